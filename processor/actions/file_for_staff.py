"""`file_for_staff`: a document no rule opens a case for (a feedback form, an inspection
verdict) is kept with its reason, so that `aftersales attention` lists it, and the desk's
operator or staff addresses are told at once — unless a verdict was acted on already."""

from __future__ import annotations

from processor import attention
from processor.actions import Action
from processor.actions.step import Step
from vocabulary import Kind


def handle(step: Step, action: Action) -> None:
    step.recorded()
    if (
        step.doc.kind == Kind.INSPECTION and not step.row.reason
    ):  # apply_inspection decided its lines
        return
    step.outcome.reason = attention.tell_staff(step.desk, step.session, step.row, step.doc)
