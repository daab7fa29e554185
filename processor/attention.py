"""What needs a person: quarantined items with their reasons, items filed for staff, held
return requests, and open cases the rules judged on uncertain evidence — for `aftersales
attention` and the daily digest's "needs attention" section."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from outputs import compose, reasons
from outputs.i18n import gettext, has, label
from parsers.model import ParsedDocument
from processor import outbox
from processor.cases import OPEN_STATUSES, from_utc_naive, to_utc_naive
from processor.desk import Rulebook
from processor.store.models import Case, CaseEvent, Document, ReturnRequest

KINDS = (
    "quarantined",
    "filed_for_staff",
    "held_return",
    "uncertain",
)  # the order they are listed in
WINDOW = timedelta(
    days=7
)  # quarantined and filed items this recent are listed (older ones were seen)
CONFIRMING = ("category", "level")  # a staff command on a fact settles its uncertainty
NO_CASE = "attention.reason.no_case"  # the reason code of an item filed for staff


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
    return [
        *quarantined(session, since),
        *filed_for_staff(session, since),
        *held_returns(session),
        *uncertain(session),
    ]


def quarantined(session: Session, since: datetime) -> list[Item]:
    rows = session.execute(
        select(Document.filename, Document.received_at, Document.reason, Document.sender)
        .where(Document.status == "quarantined", Document.received_at >= since)
        .order_by(Document.received_at)
    )
    return [
        Item("quarantined", name, at, reason or "", sender) for name, at, reason, sender in rows
    ]


def filed_for_staff(session: Session, since: datetime) -> list[Item]:
    """Feedback forms and inspection verdicts quoting no case, which nothing acted on (an
    inspection that decided return lines by its part numbers has no reason kept)."""
    rows = session.execute(
        select(
            Document.filename, Document.received_at, Document.kind, Document.sender, Document.parsed
        )
        .where(
            Document.status == "recorded",
            Document.case_id.is_(None),
            Document.reason.is_not(None),
            Document.received_at >= since,
        )
        .order_by(Document.received_at)
    )
    return [
        Item("filed_for_staff", name, at, kind or "", sender)
        for name, at, kind, sender, parsed in rows
        if any(
            action.get("type") == "file_for_staff" for action in (parsed or {}).get("actions", [])
        )
    ]


def held_returns(session: Session) -> list[Item]:
    rows = session.execute(
        select(Case.case_no, ReturnRequest.received_at, ReturnRequest.held_reason, Case.sender)
        .join(Case, Case.id == ReturnRequest.case_id)
        .where(ReturnRequest.status == "held")
        .order_by(ReturnRequest.received_at)
    )
    return [
        Item("held_return", case_no, at, reason or "", sender)
        for case_no, at, reason, sender in rows
    ]


def uncertain(session: Session) -> list[Item]:
    """Open cases with a fact the rules were unsure of (issue 16: the `uncertain` facts kept with
    the document that opened the case) that no staff command (#category, #level) has set since."""
    rows = session.execute(
        select(Case.id, Case.case_no, Case.opened_at, Case.sender, Document.parsed["uncertain"])
        .join(CaseEvent, CaseEvent.case_id == Case.id)
        .join(Document, Document.id == CaseEvent.document_id)
        .where(CaseEvent.type == "received", Case.status.in_(OPEN_STATUSES))
        .order_by(Case.opened_at)
    )
    found = []
    for case_id, case_no, opened, sender, facts in rows:
        if not facts:
            continue
        settled = set(
            session.scalars(
                select(CaseEvent.type).where(
                    CaseEvent.case_id == case_id, CaseEvent.type.in_(CONFIRMING)
                )
            )
        )
        if facts := [fact for fact in dict.fromkeys(facts) if fact not in settled]:
            found.append(Item("uncertain", case_no, opened, ", ".join(facts), sender))
    return found


# ---------------------------------------------------------------- as people read it


def reason_text(language: str, reason: str) -> str:
    """A stored reason in the reader's language: coded reasons by their catalog text with the
    technical detail on a line of its own, a bare catalog id by its text, other text (kept
    before reasons had codes) as it was."""
    if reason and has(language, reason):
        return gettext(language, reason)
    return reasons.with_detail(reason, language)


def describe(item: Item, language: str) -> str:
    """Why the item needs a person, in `language`."""
    if item.kind == "uncertain":
        facts = gettext(language, "report.list_sep").join(
            gettext(language, f"attention.fact.{fact}") for fact in item.reason.split(", ")
        )
        return gettext(language, "attention.uncertain", facts=facts)
    if item.kind == "filed_for_staff":
        return gettext(language, "attention.filed", kind=label(language, "kind", item.reason))
    return reason_text(language, item.reason)


def codes(item: Item) -> list[str]:
    """The reason codes of an item (`quarantine.poison`), for scripts; none for text kept uncoded."""
    if item.kind == "uncertain":
        return [f"attention.fact.{fact}" for fact in item.reason.split(", ")]
    if item.kind == "filed_for_staff":
        return [f"kind.{item.reason}"]
    return reasons.codes(item.reason) or (
        [item.reason] if item.reason.startswith("attention.") else []
    )


COLUMNS = (
    "what",
    "ref",
    "when",
    "sender",
    "why",
)  # of `rows`; headed by the catalog's attention.column.*


def rows(items: list[Item], book: Rulebook, language: str) -> list[tuple[str, str, str, str, str]]:
    """(what, which, when, from whom, why) of each item, for the command's table and the digest."""
    return [
        (
            gettext(language, f"attention.kind.{item.kind}"),
            item.ref,
            from_utc_naive(item.at, book).strftime("%Y-%m-%d %H:%M"),
            item.sender or "—",
            describe(item, language),
        )
        for item in items
    ]


def digest_rows(items: list[Item], book: Rulebook, language: str) -> list[tuple[str, str]]:
    """The digest's "needs attention" section: (label, value) rows of a staff note."""
    found = []
    for what, which, when, _, why in rows(items, book, language):
        first, *details = why.split("\n")
        found.append(
            (
                f"[{what}] {which}",
                "\n    ".join(
                    [gettext(language, "attention.digest_row", why=first, when=when), *details]
                ),
            )
        )
    return found


def tell_staff(book: Rulebook, session: Session, row: Document, doc: ParsedDocument) -> str:
    """An item filed for staff: its reason kept (so `attention` lists it) and the desk's
    operator or staff addresses told at once; returns what was done, for the run's table."""
    row.reason = row.reason or reasons.because(reasons.reason(NO_CASE))
    to = book.attention_addresses()
    if not to:
        return "filed for staff (no [desk] operator or staff_addresses to tell)"
    language = book.config.desk.default_language
    when = (
        from_utc_naive(row.received_at, book).strftime("%Y-%m-%d %H:%M") if row.received_at else "—"
    )
    message = compose.staff_note(
        book.sender,
        to=", ".join(to),
        subject=gettext(
            language,
            "attention.filed_subject",
            file=row.filename,
            kind=label(language, "kind", doc.kind),
        ),
        greeting=gettext(language, "attention.staff_greeting"),
        intro=gettext(language, "attention.filed_intro"),
        rows=[
            (gettext(language, "attention.row.file"), row.filename),
            (gettext(language, "attention.row.sender"), row.sender or "—"),
            (gettext(language, "attention.row.received"), when),
            (gettext(language, "attention.row.why"), reason_text(language, row.reason)),
        ],
        case_no=None,
        purpose="filed",
        language=language,
    )
    outbox.queue(session, message, "filed_for_staff", document_id=row.id)
    return f"filed for staff: told {', '.join(to)}"
