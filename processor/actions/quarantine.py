"""`quarantine`: a document the desk cannot take is kept aside with its reason, for staff."""

from __future__ import annotations

from outputs import reasons
from processor.actions import Action
from processor.actions.step import Step
from vocabulary import DocumentStatus


def handle(step: Step, action: Action) -> None:
    """The reason stored coded (`aftersales attention`, the digest and the .reason.txt word it
    in the desk's language); the outcome's, for the log, in English."""
    coded = reasons.because(*(parser_reason(found) for found in action.detail["reasons"]))
    step.row.status, step.row.reason = DocumentStatus.QUARANTINED, coded
    step.outcome.status, step.outcome.reason = DocumentStatus.QUARANTINED, action.detail["reason"]
    step.outcome.coded_reason = coded


def parser_reason(found: dict[str, str]) -> tuple[str, dict[str, str]]:
    """A parser's coded reason (`{"code": "encrypted_pdf", "file": …}`) as the store keeps it."""
    return reasons.reason(
        f"reason.{found['code']}", **{k: v for k, v in found.items() if k != "code"}
    )
