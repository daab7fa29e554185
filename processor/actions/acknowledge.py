"""`acknowledge`: the customer's acknowledgement of their new case, through the answering gate."""

from __future__ import annotations

from outputs import compose
from processor import answering, outbox
from processor.actions import Action
from processor.actions.step import Step
from processor.cases import record
from processor.examining import unverified


def handle(step: Step, action: Action) -> None:
    desk, session, case, doc, decision = (
        step.desk,
        step.session,
        step.case,
        step.doc,
        step.examined.decision,
    )
    if why := answering.withheld(desk, session, doc, action.to, "acknowledgement"):
        record(session, desk, case, "ack_withheld", "desk", to=action.to, why=why)
        return
    reply_by = decision.deadline("reply")
    message = compose.acknowledgement(
        desk.sender,
        to=action.to,
        case_no=case.case_no,
        kind=doc.kind,
        language=doc.language or desk.config.desk.default_language,
        fields=doc.field_values,
        missing=decision.missing,
        confirm=unverified(doc),
        lines=doc.lines,
        reply_by=reply_by.due.strftime("%Y-%m-%d %H:%M") if reply_by else None,
        reply_by_provisional=bool(reply_by and reply_by.provisional),
        refused=doc.meta.get("refused"),
        in_reply_to=doc.meta.get("message_id"),
        references=doc.meta.get("references", []),
    )
    outbox.queue(session, message, "acknowledgement", case_id=case.id)
    record(
        session,
        desk,
        case,
        "acknowledged",
        "desk",
        status="acknowledged",
        to=action.to,
        message_id=message["Message-ID"],
    )
