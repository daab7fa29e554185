"""The case lifecycle: open a case from a document, record events, apply a customer's reply.
A case's history is its events (who, when, what, from which document); none is ever edited."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from parsers.model import ParsedDocument
from processor.case_numbers import next_case_number
from processor.rules.engine import Decision
from processor.store.models import Case, CaseEvent

STATUSES = ("received", "acknowledged", "assigned", "investigating", "replied", "callback", "closed", "reopened")
OPEN_STATUSES = tuple(status for status in STATUSES if status != "closed")


def to_utc_naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def add_event(
    session: Session, case: Case, type_: str, actor: str, *, document_id: int | None = None,
    status: str | None = None, **detail: Any,
) -> CaseEvent:
    if status:
        detail = {"from": case.status, "to": status, **detail}
        case.status = status
    event = CaseEvent(case_id=case.id, type=type_, actor=actor, document_id=document_id, detail=detail)
    session.add(event)
    return event


def open_case(
    session: Session, doc: ParsedDocument, decision: Decision, *, received: datetime, pattern: str,
    document_id: int, actor: str,
) -> Case:
    case = Case(
        case_no=next_case_number(session, received, pattern),
        opened_at=to_utc_naive(received),
        status="received",
        kind=doc.kind,
        category=decision.category,
        level=decision.level,
        business_line=decision.business_line,
        language=doc.language or "zh-Hans",
        sender=doc.meta.get("sender") or doc.value("email"),
        customer_name=doc.value("customer_name") or doc.value("company"),
        owner=decision.owner,
        fields={**doc.field_values, **({"lines": doc.lines} if doc.lines else {})},
        deadlines=[deadline.as_json() for deadline in decision.deadlines],
        next_deadline_at=to_utc_naive(decision.deadlines[0].due) if decision.deadlines else None,
    )
    session.add(case)
    session.flush()
    add_event(session, case, "received", actor, document_id=document_id, kind=doc.kind, file=doc.file,
              rules=decision.fired)
    return case


def find_case(session: Session, case_no: str | None) -> Case | None:
    if not case_no:
        return None
    return session.scalars(select(Case).where(Case.case_no == case_no.upper())).first()


def record_reply(session: Session, case: Case, doc: ParsedDocument, *, actor: str, document_id: int) -> str:
    """A customer's reply or callback answer on its case; returns what it did to the case."""
    if doc.kind == "callback" and doc.value("satisfied") is True:
        add_event(session, case, "callback", actor, document_id=document_id, status="closed", satisfied=True)
        case.closed_at = datetime.now(UTC).replace(tzinfo=None)
        return "closed: customer satisfied"
    if doc.kind == "callback" and doc.value("satisfied") is False:
        add_event(session, case, "callback", actor, document_id=document_id, status="reopened", satisfied=False)
        case.closed_at = None
        return "reopened: customer not satisfied"
    if case.status == "closed":
        add_event(session, case, "customer_reply", actor, document_id=document_id, status="reopened",
                  text=doc.text[:2000])
        case.closed_at = None
        return "reopened by the customer's reply"
    add_event(session, case, "customer_reply", actor, document_id=document_id, text=doc.text[:2000])
    return "recorded on the case"
