"""`quarantine`: a document the desk cannot take is kept aside with its reason, for staff."""

from __future__ import annotations

from processor.actions import Action
from processor.actions.step import Step


def handle(step: Step, action: Action) -> None:
    reason = action.detail["reason"]
    step.row.status, step.row.reason = "quarantined", reason
    step.outcome.status, step.outcome.reason = "quarantined", reason
    codes = [found.get("code") for found in step.doc.reasons]  # coded parser errors (issue 21 A)
    step.outcome.reason_code = codes[0] if codes else "unreadable" if step.doc.errors else "unrecognised"
