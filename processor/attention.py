"""What needs a person: quarantined items with their reasons, items filed for staff, held
return requests, and open cases the rules judged on uncertain evidence — for `aftersales
attention` and the daily digest's "needs attention" section."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from processor.cases import OPEN_STATUSES, to_utc_naive
from processor.store.models import Case, CaseEvent, Document, ReturnRequest

KINDS = ("quarantined", "filed_for_staff", "held_return", "uncertain")  # the order they are listed in
WINDOW = timedelta(days=7)  # quarantined and filed items this recent are listed (older ones were seen)
CONFIRMING = ("category", "level")  # a staff command on a fact settles its uncertainty


@dataclass(frozen=True)
class Item:
    kind: str  # one of KINDS
    ref: str  # a case number, else the file's name
    at: datetime  # naive UTC, as stored
    reason: str  # why it needs a person (stored text, or the uncertain facts for `uncertain`)
    sender: str | None = None


def gather(session: Session, now: datetime, window: timedelta = WINDOW) -> list[Item]:
    """Everything that needs a person as of `now`, by kind then time."""
    since = to_utc_naive(now - window)
    return [*quarantined(session, since), *filed_for_staff(session, since), *held_returns(session),
            *uncertain(session)]


def quarantined(session: Session, since: datetime) -> list[Item]:
    rows = session.execute(select(Document.filename, Document.received_at, Document.reason, Document.sender)
                           .where(Document.status == "quarantined", Document.received_at >= since)
                           .order_by(Document.received_at))
    return [Item("quarantined", name, at, reason or "", sender) for name, at, reason, sender in rows]


def filed_for_staff(session: Session, since: datetime) -> list[Item]:
    """Feedback forms and inspection verdicts quoting no case: recorded, for a person to file."""
    rows = session.execute(select(Document.filename, Document.received_at, Document.kind, Document.sender,
                                  Document.parsed)
                           .where(Document.status == "recorded", Document.case_id.is_(None),
                                  Document.received_at >= since).order_by(Document.received_at))
    return [Item("filed_for_staff", name, at, kind or "", sender) for name, at, kind, sender, parsed in rows
            if any(action.get("type") == "file_for_staff" for action in (parsed or {}).get("actions", []))]


def held_returns(session: Session) -> list[Item]:
    rows = session.execute(select(Case.case_no, ReturnRequest.received_at, ReturnRequest.held_reason, Case.sender)
                           .join(Case, Case.id == ReturnRequest.case_id)
                           .where(ReturnRequest.status == "held").order_by(ReturnRequest.received_at))
    return [Item("held_return", case_no, at, reason or "", sender) for case_no, at, reason, sender in rows]


def uncertain(session: Session) -> list[Item]:
    """Open cases with a fact the rules were unsure of (issue 16: the `uncertain` facts kept with
    the document that opened the case) that no staff command (#category, #level) has set since."""
    rows = session.execute(select(Case.id, Case.case_no, Case.opened_at, Case.sender, Document.parsed["uncertain"])
                           .join(CaseEvent, CaseEvent.case_id == Case.id)
                           .join(Document, Document.id == CaseEvent.document_id)
                           .where(CaseEvent.type == "received", Case.status.in_(OPEN_STATUSES))
                           .order_by(Case.opened_at))
    found = []
    for case_id, case_no, opened, sender, facts in rows:
        if not facts:
            continue
        settled = set(session.scalars(select(CaseEvent.type).where(CaseEvent.case_id == case_id,
                                                                   CaseEvent.type.in_(CONFIRMING))))
        if facts := [fact for fact in dict.fromkeys(facts) if fact not in settled]:
            found.append(Item("uncertain", case_no, opened, ", ".join(facts), sender))
    return found
