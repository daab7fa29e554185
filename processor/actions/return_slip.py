"""`return_slip`: a return sheet's request on its case. Its lines are decided by the returns
policy (processor/returns.py) and the decided ones go to the dealer on a slip — to who sent
the sheet, else the dealer's address on record; lines held for staff wait. Before the owner's
notice, which names the held lines."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from parsers.model import ParsedDocument
from processor import returns
from processor.actions import Action
from processor.actions.step import Step
from processor.desk import Desk
from processor.store.models import Case


def handle(step: Step, action: Action) -> None:
    step.outcome.reason = open_request(
        step.desk,
        step.session,
        step.case,
        step.doc,
        step.item.source,
        step.row.id,
        step.examined.received,
    )


def open_request(
    desk: Desk,
    session: Session,
    case: Case,
    doc: ParsedDocument,
    source: str,
    document_id: int,
    received: datetime,
) -> str:
    request = returns.open_request(
        session, desk, case, doc, document_id=document_id, source=source, received=received
    )
    if request.status == "held":
        return f"return request held for staff: {returns.reason_text(request.held_reason, 'en')}"
    slip = returns.issue_slip(
        session, desk, request, to=returns.slip_address(session, request, case), now=desk.now()
    )
    return f"return slip {slip}" if slip else "return request recorded"
