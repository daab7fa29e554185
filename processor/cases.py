"""The case lifecycle: open a case from a document, record events, keep its deadlines.

received → acknowledged → assigned → investigating → replied → callback → closed, and
reopened when the customer is not satisfied. A case's history is its events (who, when,
what, from which document); none is ever edited. Every event also settles the case's
deadlines: the rule file's [steps] say which event or status completes a step, and a
deadline rule with `on = "<event>"` starts when that event happens.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from outputs import compose
from outputs.i18n import gettext
from parsers.model import ParsedDocument
from processor import batch_alerts, ladders, outbox
from processor.case_numbers import next_case_number
from processor.examining import unverified
from processor.rules.engine import Decision, matches
from processor.rules.lifecycle import OPEN_STATUSES, STATUSES, case_facts, deadline_json  # noqa: F401 - re-exported
from processor.store.models import Case, CaseEvent
from vocabulary import CaseStatus

if TYPE_CHECKING:
    from processor.desk import Rulebook


def to_utc_naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def from_utc_naive(moment: datetime, book: Rulebook) -> datetime:
    return moment.replace(tzinfo=UTC).astimezone(book.timezone)


def record(
    session: Session,
    book: Rulebook,
    case: Case,
    type_: str,
    actor: str,
    *,
    status: str | None = None,
    document_id: int | None = None,
    at: datetime | None = None,
    **detail: Any,
) -> CaseEvent:
    """One event on a case (and its new status, if any); the deadlines follow."""
    at = at or book.now()
    if status:
        detail = {"from": case.status, "to": status, **detail}
        case.status = status
        case.closed_at = to_utc_naive(at) if status == CaseStatus.CLOSED else None
    event = CaseEvent(
        case_id=case.id,
        type=type_,
        actor=actor,
        document_id=document_id,
        detail=detail,
        at=to_utc_naive(at),
    )
    session.add(event)
    case.updated_at = to_utc_naive(at)
    settle_deadlines(book, case, {type_, status} - {None}, at)
    return event


def settle_deadlines(book: Rulebook, case: Case, happened: set[str], at: datetime) -> None:
    """Mark the steps this event (its type, and the status it set) completes, start the
    deadlines it starts, and keep `next_deadline_at` (what the escalation job looks at) on the
    earliest step still open."""
    deadlines = [dict(deadline) for deadline in case.deadlines or []]
    for deadline in deadlines:
        step = book.rules.steps.get(deadline["step"])
        if (
            deadline.get("done") is None
            and step
            and (case.status in step.done_when or happened & set(step.done_on))
        ):
            deadline["done"] = at.isoformat(timespec="minutes")
    for rule in book.rules.deadlines:
        if rule.on in happened and matches(rule.when, case_facts(case)):
            deadlines = [
                d for d in deadlines if not (d["step"] == rule.step and d.get("done") is None)
            ]
            deadlines.append(deadline_json(book.calendar, at, rule, deadlines, book.rules.steps))
    case.deadlines = deadlines  # a new list, so the JSON column is written
    pending = [datetime.fromisoformat(d["due"]) for d in deadlines if d.get("done") is None]
    case.next_deadline_at = (
        to_utc_naive(min(pending)) if pending and case.status != CaseStatus.CLOSED else None
    )


def open_deadlines(case: Case) -> list[dict[str, Any]]:
    return [deadline for deadline in case.deadlines or [] if deadline.get("done") is None]


def sender_address(doc: ParsedDocument) -> str | None:
    """Who a case came from, lower-cased: addresses are compared without case, and so an index
    on it serves the per-sender lookups (the reports). A mail's is its one sender identity
    (none when its From has none: an address in its body may be anyone's); a file's, its form's."""
    address = doc.meta.get("sender") if doc.format == "eml" else doc.value("email")
    return address.lower() if address else None


def open_case(
    session: Session,
    book: Rulebook,
    doc: ParsedDocument,
    decision: Decision,
    *,
    received: datetime,
    document_id: int,
    actor: str,
    channel: str | None = None,
) -> Case:
    case = Case(
        case_no=next_case_number(session, received, book.config.desk.case_number_format),
        opened_at=to_utc_naive(received),
        status=CaseStatus.RECEIVED,
        channel=channel,
        kind=doc.kind,
        category=decision.category,
        level=decision.level,
        business_line=decision.business_line,
        language=doc.language or "zh-Hans",
        sender=sender_address(doc),
        customer_name=doc.value("customer_name") or doc.value("company"),
        owner=decision.owner,
        owner_role=decision.owner_role,
        owner_email=decision.owner_email,
        fields={
            **doc.field_values,
            **({"lines": doc.lines} if doc.lines else {}),
            **({"unverified": doubtful} if (doubtful := unverified(doc)) else {}),
        },  # attachments' too
        deadlines=[deadline.as_json() for deadline in decision.deadlines],
    )
    session.add(case)
    session.flush()
    record(
        session,
        book,
        case,
        "received",
        actor,
        document_id=document_id,
        at=received,
        kind=doc.kind,
        file=doc.file,
        rules=decision.fired,
    )
    batch_alerts.check(session, book, case)
    return case


def find_case(session: Session, case_no: str | None) -> Case | None:
    if not case_no:
        return None
    return session.scalars(select(Case).where(Case.case_no == case_no.upper())).first()


def customer_verdict(book: Rulebook, doc: ParsedDocument) -> bool | None:
    """Whether a callback answer or a feedback form says the customer is satisfied."""
    if doc.kind == "feedback_form":
        rating = doc.value("result_rating")
        return None if rating is None else rating in book.rules.callback.satisfied_ratings
    return doc.value("satisfied") if doc.kind == "callback" else None


def record_reply(
    session: Session,
    book: Rulebook,
    case: Case,
    doc: ParsedDocument,
    *,
    actor: str,
    document_id: int,
) -> str:
    """A customer's reply, callback answer or feedback form on its case; returns what it did."""
    verdict = customer_verdict(book, doc)
    if verdict is True:
        record(
            session,
            book,
            case,
            "callback_answer",
            actor,
            document_id=document_id,
            status=CaseStatus.CLOSED,
            satisfied=True,
        )
        return "closed: customer satisfied"
    if verdict is False:
        record(
            session, book, case, "callback_answer", actor, document_id=document_id, satisfied=False
        )
        record(
            session,
            book,
            case,
            "reopened",
            "desk",
            status=CaseStatus.REOPENED,
            why="customer not satisfied",
        )
        told = tell_not_satisfied(session, book, case, doc)
        return "reopened: customer not satisfied" + (f"; told {', '.join(told)}" if told else "")
    record(
        session, book, case, "customer_reply", actor, document_id=document_id, text=doc.text[:2000]
    )
    if case.status != CaseStatus.CLOSED:
        return "recorded on the case"
    if doc.meta.get("courtesy"):  # a thank-you after closing
        return "recorded on the closed case: a courtesy, not a reopening"
    record(
        session,
        book,
        case,
        "reopened",
        "desk",
        status=CaseStatus.REOPENED,
        why="the customer wrote again",
    )
    return "reopened by the customer's reply"


def tell_not_satisfied(
    session: Session, book: Rulebook, case: Case, doc: ParsedDocument
) -> list[str]:
    """Not satisfied at callback: the case goes back to its owner and the line's director at
    once, with the customer's own words (seed 004 §7-2, §8-2), not in tomorrow's digest."""
    told = ladders.people(book, case, book.rules.callback.not_satisfied_to)
    if not told:
        return []
    rework = next((d for d in open_deadlines(case) if d["step"] == "rework"), None)
    words = (doc.value("customer_opinion") or doc.text or "").strip()[:2000] or "—"
    language = book.config.desk.default_language  # a staff mail: the desk's
    own = book.rules.labels()
    message = compose.staff_note(
        book.sender,
        to=told[0].email,
        cc=[person.email for person in told[1:]] or None,
        language=language,
        subject=gettext(language, "staff.not_satisfied.subject", case_no=case.case_no),
        greeting=ladders.name_of(book, told[0].name, language),
        intro=gettext(language, "staff.not_satisfied.intro", case_no=case.case_no, words=words),
        rows=[
            (gettext(language, "staff.row.customer"), case.customer_name or case.sender or "—"),
            (
                gettext(language, "staff.row.category"),
                compose.fact_label(language, "category", case.category, own),
            ),
            (
                gettext(language, "staff.row.line"),
                compose.fact_label(language, "business_line", case.business_line, own),
            ),
            (
                gettext(language, "staff.row.rework_due"),
                rework["due"].replace("T", " ")[:16] if rework else "—",
            ),
        ],
        case_no=case.case_no,
        purpose="not_satisfied",
        closing=gettext(language, "staff.not_satisfied.closing"),
    )
    outbox.queue(session, message, "not_satisfied", case_id=case.id)
    return [person.email for person in told]
