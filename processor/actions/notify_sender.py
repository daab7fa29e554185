"""`notify_sender`: the polite note to whoever sent an item the desk could not take."""

from __future__ import annotations

from sqlalchemy.orm import Session

from outputs import compose, reasons
from parsers.model import ParsedDocument
from processor import answering, outbox
from processor.actions import Action
from processor.actions.step import Step
from processor.desk import Desk
from processor.store.models import Document


def handle(step: Step, action: Action) -> None:
    reason = action.detail["reason"]
    if why := notify_sender(
        step.desk, step.session, step.row, step.doc, action.to, reason, action.detail.get("reasons")
    ):
        step.outcome.reason = f"{reason} (no notice sent: {why})"
        step.row.reason = reasons.added(
            step.row.reason, reasons.reason("quarantine.no_notice", detail=why)
        )
        step.outcome.coded_reason = step.row.reason


def notify_sender(
    desk: Desk,
    session: Session,
    row: Document,
    doc: ParsedDocument,
    to: str,
    reason: str,
    reasons: list[dict[str, str]] | None = None,
) -> str | None:
    """The one way such a note goes (also for poison items, processor/poison.py), through the
    answering gate (capped, never to robots or loops); returns why it was withheld."""
    if why := answering.withheld(desk, session, doc, to, "notice"):
        return why
    message = compose.notice(
        desk.sender,
        to=to,
        language=doc.language or desk.config.desk.default_language,
        reason=reason,
        reasons=reasons,
        filename=None if doc.format == "eml" else doc.file,
        in_reply_to=doc.meta.get("message_id"),
        references=doc.meta.get("references", []),
    )
    outbox.queue(session, message, "notice", document_id=row.id)
    return None
