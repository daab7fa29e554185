"""`quarantine`: a document the desk cannot take is kept aside with its reason, for staff."""

from __future__ import annotations

from processor.actions import Action
from processor.actions.step import Step
from vocabulary import DocumentStatus


def handle(step: Step, action: Action) -> None:
    reason = action.detail["reason"]
    step.row.status, step.row.reason = DocumentStatus.QUARANTINED, reason
    step.outcome.status, step.outcome.reason = DocumentStatus.QUARANTINED, reason
    codes = [found.get("code") for found in step.doc.reasons]  # coded parser errors (issue 21 A)
    step.outcome.reason_code = codes[0] if codes else "unreadable" if step.doc.errors else "unrecognised"
