"""One item's way through the desk, as a list of small steps:

    archive → register → parse → decide (rules) → record (case, events) → act (outbox)

`examine` runs parse + decide with no side effects (that is `aftersales inspect`);
`process` runs every step, each committed, so that a crash anywhere loses nothing and a rerun
does nothing twice: the original is archived first, a document is known by its hash, and
mails are outbox rows written in the same transaction as the case they belong to.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import policy
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from outputs import compose, outbox
from parsers import ParsedDocument, parse_document
from parsers.shapes import line_value, match_known
from processor import returns, staff
from processor.actions import Action, plan
from processor.archive import archive_bytes, read_original
from processor.cases import find_case, open_case, record, record_reply, to_utc_naive
from processor.delivery import record_bounce
from processor.desk import Desk, Rulebook
from processor.master_data import known_codes
from processor.rules.engine import Decision, decide
from processor.store.models import Case, CaseEvent, Document, Original

log = logging.getLogger(__name__)


@dataclass
class Incoming:
    """An item a source found: its bytes and where it came from."""

    source: str
    ref: str
    filename: str
    data: bytes
    refusal: str | None = None  # set by a source that would not fetch it whole (too large)


@dataclass
class Examined:
    doc: ParsedDocument
    decision: Decision
    actions: list[Action]
    received: datetime


@dataclass
class Outcome:
    status: str  # processed | quarantined | recorded | duplicate
    filename: str
    kind: str = "unknown"
    document_id: int | None = None
    case_no: str | None = None
    sender: str | None = None
    category: str | None = None
    level: str | None = None
    owner: str | None = None
    next_deadline: str | None = None
    reason: str | None = None
    actions: list[str] = field(default_factory=list)


def received_time(doc: ParsedDocument, book: Rulebook) -> datetime:
    """When an item arrived: the mail's Date header when it is sane, else now."""
    try:
        sent = parsedate_to_datetime(doc.meta["date"]) if doc.meta.get("date") else None
    except (TypeError, ValueError, IndexError):
        sent = None
    if sent is None or sent.tzinfo is None:
        return book.now()
    return sent.astimezone(book.timezone)


def examine(
    data: bytes, filename: str, book: Rulebook, received: datetime | None = None, refusal: str | None = None,
) -> Examined:
    doc = parse_document(data, filename, book.limits)
    if isinstance(book, Desk):
        match_master_data(book, doc)
    if refusal:  # only its headers were fetched: say why, to the sender they name
        doc.kind, doc.errors = "unknown", [refusal]
    when = received or received_time(doc, book)
    decision = decide(doc, book.rules, book.calendar, when)
    actions = plan(doc, decision, book.own_addresses())
    return Examined(doc, decision, actions, when)


def match_master_data(desk: Desk, doc: ParsedDocument) -> None:
    """Codes read by OCR (the document's, or a scanned attachment's) taken for the master
    data's: a close reading is mended and unverified, an exact one changes nothing."""
    scanned = [part for part in (doc, *doc.attachments) if part.meta.get("ocr")]
    if desk.store is None or not scanned:
        return
    with desk.store.transaction() as session:
        known = known_codes(session)
    for part in scanned:
        if unsure := match_known(part, known):
            part.meta["unverified"] = list(dict.fromkeys([*part.meta.get("unverified", []), *unsure]))


def as_json(examined: Examined) -> dict[str, Any]:
    """The `inspect --json` contract (keep it stable; later issues only add keys)."""
    doc, decision = examined.doc, examined.decision
    return {
        "file": doc.file,
        "kind": doc.kind,
        "format": doc.format,
        "language": doc.language,
        "fields": doc.field_values,
        "provenance": doc.provenance,
        "lines": doc.lines,
        "category": decision.category,
        "level": decision.level,
        "business_line": decision.business_line,
        "case_ref": doc.case_ref,
        "owner": decision.owner,
        "deadlines": [deadline.as_json() for deadline in decision.deadlines],
        "missing": decision.missing,
        "unverified": unverified(doc),
        "actions": [action.as_json() for action in examined.actions],
        "rules_fired": decision.fired,
        "attachments": [
            {"file": a.file, "format": a.format, "kind": a.kind, "errors": a.errors} for a in doc.attachments
        ],
        "evidence": doc.evidence,
        "received": examined.received.isoformat(timespec="minutes"),
        "warnings": doc.warnings,
        "errors": doc.errors,
    }


def unverified(doc: ParsedDocument) -> list[str]:
    """Fields read with low confidence or mended (OCR), the mail's own or its attachments', and
    return lines' values (`lines[0].amount`) the reader could not vouch for."""
    found = list(doc.meta.get("unverified", []))
    for attachment in doc.attachments:
        found.extend(name for name in attachment.meta.get("unverified", []) if name in doc.fields)
    return [name for name in dict.fromkeys(found) if name in doc.fields or is_line_value(doc, name)]


def is_line_value(doc: ParsedDocument, name: str) -> bool:
    found = line_value(name)
    return found is not None and found[0] < len(doc.lines)


def process(desk: Desk, item: Incoming) -> Outcome:
    document_id, duplicate = register(desk, item)
    if duplicate:
        return Outcome("duplicate", item.filename, document_id=document_id, reason="already processed")
    examined = examine(item.data, item.filename, desk, received=desk.now(), refusal=item.refusal)
    return record_and_act(desk, item, document_id, examined)


def accept(desk: Desk, item: Incoming) -> tuple[int, bool]:
    """The first half of `process`, for workers that share the work: the original archived and
    its document registered; (document id, whether it is new and still to be processed)."""
    document_id, duplicate = register(desk, item)
    return document_id, not duplicate


def process_registered(desk: Desk, document_id: int) -> Outcome:
    """The second half: a registered document, from the archive, through parse, rules and
    actions (on any worker; a document already done is not done again)."""
    with desk.store.transaction() as session:
        row = session.get(Document, document_id)
        if row is None or row.status != "received":
            return Outcome("duplicate", row.filename if row else "?", document_id=document_id, reason="already processed")
        item = Incoming(row.source, row.source_ref, row.filename, read_original(desk.config.archive_dir, session, row))
    examined = examine(item.data, item.filename, desk, received=desk.now())
    return record_and_act(desk, item, document_id, examined)


def channel_of(source: str) -> str:
    """How an item came in, for the reports: by mail, or dropped into a shared folder."""
    kind = source.split(":", 1)[0]
    return {"imap": "mail", "maildir": "mail", "folder": "shared folder"}.get(kind, "other")


def message_id_of(item: Incoming) -> str | None:
    if not item.filename.endswith(".eml"):
        return None
    # compat32: only one raw header is wanted, and the default policy's header objects cost more
    found = BytesHeaderParser(policy=policy.compat32).parsebytes(item.data[:65536]).get("Message-ID")
    return str(found).strip() if found else None


def processed_before(session, row: Document, message_id: str) -> bool:  # noqa: ANN001
    """The same mail from the same mailbox with other bytes (a server that rewrote a header
    after a UIDVALIDITY change) is known by its Message-ID."""
    return session.scalar(select(Document.id).where(
        Document.message_id == message_id, Document.source == row.source,
        Document.id != row.id, Document.status != "received").limit(1)) is not None


OCR_WAIT = "OCR not available"


def retry_waiting_for_ocr(desk: Desk) -> list[Outcome]:
    """Scans quarantined because OCR could not run are processed again, from the archive, once
    it can: a fax is never dropped."""
    from parsers.ocr import available

    if available() is not None:
        return []
    with desk.store.transaction() as session:
        waiting = session.scalars(select(Document).where(
            Document.status == "quarantined", Document.reason.contains(OCR_WAIT))).all()
        items = []
        for row in waiting:
            row.status = "received"  # taken up again below
            items.append(Incoming(row.source, row.source_ref, row.filename,
                                  read_original(desk.config.archive_dir, session, row)))
    return [process(desk, item) for item in items]


def register(desk: Desk, item: Incoming) -> tuple[int, bool]:
    """Archive the original, then find or create its document row: (id, already done — the
    same bytes, or the same mail by its Message-ID, processed before)."""
    digest, relative = archive_bytes(desk.config.archive_dir, item.data)
    message_id = message_id_of(item)
    for _ in range(2):  # a concurrent writer may insert the same hash between our two steps
        try:
            with desk.store.transaction() as session:
                row = session.scalars(select(Document).where(Document.sha256 == digest)).first()
                if row is not None and row.status != "received":
                    return row.id, True
                if row is None:
                    row = Document(sha256=digest, size=len(item.data), filename=item.filename[:512],
                                   source=item.source, source_ref=item.ref[:1024], archive_path=relative)
                    session.add(row)
                    if desk.store.shared and desk.config.store.originals_in_store:  # another host may process it
                        session.add(Original(sha256=digest, data=item.data))
                    session.flush()
                if message_id and processed_before(session, row, message_id):
                    row.status = "duplicate"
                    return row.id, True
                return row.id, False
        except IntegrityError:
            continue
    raise RuntimeError(f"could not register {item.filename}")


def record_and_act(desk: Desk, item: Incoming, document_id: int, examined: Examined) -> Outcome:
    doc, decision = examined.doc, examined.decision
    outcome = Outcome("processed", item.filename, kind=doc.kind, document_id=document_id,
                      sender=doc.meta.get("sender") or doc.value("email"),
                      actions=[action.type for action in examined.actions])
    actor = outcome.sender or item.source
    with desk.store.transaction() as session:
        # locked, and looked at again: a job run twice at once (a worker taken for dead while
        # it still ran) records the document once
        row = session.get(Document, document_id, with_for_update=True)
        if row.status != "received":
            return Outcome("duplicate", item.filename, document_id=document_id, reason="already processed")
        row.kind, row.parsed = doc.kind, _storable(as_json(examined))
        row.sender, row.subject = outcome.sender, (doc.meta.get("subject") or None)
        row.message_id = doc.meta.get("message_id")
        types = {action.type for action in examined.actions}
        if "quarantine" in types:
            quarantine(desk, session, row, doc, examined, outcome)
        elif "record_on_case" in types:
            reply_to_case(desk, session, row, doc, outcome, actor)
        elif doc.kind == "return_sheet" and (case := find_case(session, doc.case_ref)) is not None:
            record(session, desk, case, "return_sheet", actor, document_id=row.id, file=doc.file)
            row.case_id, row.status = case.id, "processed"
            outcome.reason = handle_return_sheet(desk, session, case, doc, item, row.id, examined.received)
            outcome.case_no = case.case_no
        elif "notify_owner" in types:
            case = open_case(session, desk, doc, decision, received=examined.received, document_id=row.id,
                             actor=actor, channel=channel_of(item.source))
            row.case_id, row.status = case.id, "processed"
            send_case_mails(desk, session, case, doc, examined)
            if doc.kind == "return_sheet":
                outcome.reason = handle_return_sheet(desk, session, case, doc, item, row.id, examined.received)
            outcome.case_no, outcome.category, outcome.level = case.case_no, case.category, case.level
            outcome.owner = case.owner
            outcome.next_deadline = decision.deadlines[0].due.isoformat(timespec="minutes") if decision.deadlines else None
        else:
            row.status, outcome.status = "recorded", "recorded"
            if doc.kind == "bounce":
                outcome.reason = record_bounce(desk, session, doc)
        if doc.kind == "inspection" and "quarantine" not in types:
            outcome.reason = handle_inspection(desk, session, doc, row.id) or outcome.reason
    return outcome


def handle_return_sheet(desk: Desk, session, case, doc: ParsedDocument, item: Incoming, document_id: int,  # noqa: ANN001
                        received: datetime) -> str:
    request = returns.open_request(session, desk, case, doc, document_id=document_id, source=item.source,
                                   received=received)
    if request.status == "held":
        return f"return request held for staff: {request.held_reason}"
    slip = returns.issue_slip(session, desk, request, to=returns.slip_address(session, request, case), now=desk.now())
    return f"return slip {slip}" if slip else "return request recorded"


def handle_inspection(desk: Desk, session, doc: ParsedDocument, document_id: int) -> str | None:  # noqa: ANN001
    """A verdict decides the return lines waiting for it; their dealers get a slip for them."""
    lines = returns.apply_inspection(session, desk, doc, document_id=document_id)
    slips = []
    for request in {line.request for line in lines}:
        case = session.get(Case, request.case_id)
        slip = returns.issue_slip(session, desk, request, to=returns.slip_address(session, request, case), now=desk.now())
        slips.extend([slip] if slip else [])
    return f"inspection decided {len(lines)} return lines; slips {', '.join(slips)}" if lines else None


def quarantine(desk: Desk, session, row: Document, doc: ParsedDocument, examined: Examined, outcome: Outcome) -> None:  # noqa: ANN001
    reason = next(a.detail["reason"] for a in examined.actions if a.type == "quarantine")
    row.status, row.reason = "quarantined", reason
    outcome.status, outcome.reason = "quarantined", reason
    for action in examined.actions:
        if action.type == "notify_sender":
            message = compose.notice(
                desk.sender, to=action.to, language=doc.language or desk.config.desk.default_language,
                reason=reason, filename=None if doc.format == "eml" else doc.file,
                in_reply_to=doc.meta.get("message_id"), references=doc.meta.get("references", []),
            )
            outbox.queue(session, message, "notice", document_id=row.id)


def reply_to_case(desk: Desk, session, row: Document, doc: ParsedDocument, outcome: Outcome, actor: str) -> None:  # noqa: ANN001
    """A mail about a known case: staff commands from staff, the customer's words otherwise."""
    case = find_case(session, doc.case_ref)
    if case is None:
        reason = f"refers to case {doc.case_ref}, which this desk does not know: staff should check it"
        row.status, row.reason = "quarantined", reason
        outcome.status, outcome.reason = "quarantined", reason
        return
    from_staff = staff.is_staff(desk, doc)
    if from_staff and (doc.kind == "reply" or staff.commands_in(doc.text)):
        outcome.reason = staff.act(session, desk, case, doc, actor=actor, document_id=row.id)
    elif doc.kind == "inspection":
        record(session, desk, case, "inspection", actor, document_id=row.id,
               verdict=doc.value("verdict"), responsibility=doc.value("responsibility"))
        outcome.reason = f"inspection verdict recorded: {doc.value('verdict')}"
    else:
        outcome.reason = record_reply(session, desk, case, doc, actor=actor, document_id=row.id)
    row.case_id, row.status = case.id, "processed"
    outcome.case_no, outcome.status = case.case_no, "recorded"


def send_case_mails(desk: Desk, session, case, doc: ParsedDocument, examined: Examined) -> None:  # noqa: ANN001
    decision = examined.decision
    language = doc.language or desk.config.desk.default_language
    by_type = {action.type: action for action in examined.actions}
    ack = by_type.get("acknowledge")
    if ack and too_many_acks(desk, session, ack.to):
        record(session, desk, case, "ack_withheld", "desk", to=ack.to,
               why=f"over {desk.config.desk.max_acks_per_sender_per_hour} acknowledgements to this address in an hour")
        ack = None
    if ack:
        reply_by = decision.deadline("reply")
        message = compose.acknowledgement(
            desk.sender, to=ack.to, case_no=case.case_no, kind=doc.kind, language=language,
            fields=doc.field_values, missing=decision.missing, confirm=unverified(doc), lines=doc.lines,
            reply_by=reply_by.due.strftime("%Y-%m-%d %H:%M") if reply_by else None,
            reply_by_provisional=bool(reply_by and reply_by.provisional),
            in_reply_to=doc.meta.get("message_id"), references=doc.meta.get("references", []),
        )
        outbox.queue(session, message, "acknowledgement", case_id=case.id)
        record(session, desk, case, "acknowledged", "desk", status="acknowledged", to=ack.to,
                  message_id=message["Message-ID"])
    notice = by_type["notify_owner"]
    cc = [action.to for action in examined.actions if action.type in ("inform", "escalate") and action.to]
    message = compose.owner_notice(
        desk.sender, to=notice.to, owner=decision.owner or "", case_no=case.case_no, kind=doc.kind,
        fields=doc.field_values, category=decision.category, level=decision.level,
        business_line=decision.business_line, origin=case.sender,
        deadlines=[d.as_json() for d in decision.deadlines], escalate="escalate" in by_type, cc=cc,
    )
    outbox.queue(session, message, "owner_notice", case_id=case.id)
    record(session, desk, case, "assigned", "desk", status="assigned", owner=decision.owner, to=notice.to, cc=cc)
    if "escalate" in by_type:
        record(session, desk, case, "escalated", "desk", to=by_type["escalate"].to, why="major complaint")


def too_many_acks(desk: Desk, session, address: str) -> bool:  # noqa: ANN001
    """Loop and flood safety: at most so many acknowledgements per address per hour."""
    since = to_utc_naive(desk.now() - timedelta(hours=1))
    with session.no_autoflush:  # the case being opened has no acknowledgement yet: its rows can wait for the commit
        sent = session.scalar(
            select(func.count(CaseEvent.id)).join(Case, Case.id == CaseEvent.case_id)
            .where(CaseEvent.type == "acknowledged", CaseEvent.at >= since, Case.sender == address.lower())
        )
    return sent >= desk.config.desk.max_acks_per_sender_per_hour


def _storable(data: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe copy (dates as text) for the document row."""
    import json

    return json.loads(json.dumps(data, ensure_ascii=False, default=str))
