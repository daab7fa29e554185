"""One item's way through the desk, as a list of small steps:

    archive → register → parse → decide (rules) → record (case, events) → act (outbox)

`examine` (processor/examining.py) runs parse + decide with no side effects (that is `aftersales inspect`);
`process` runs every step, each committed, so that a crash anywhere loses nothing and a rerun
does nothing twice: the original is archived first, a document is known by its hash, and
mails are outbox rows written in the same transaction as the case they belong to.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.parser import BytesHeaderParser
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from outputs import compose, outbox, reasons
from parsers import ParsedDocument, ParseError
from parsers.mail import case_ref_pattern
from processor import answering, attention, ladders, returns, staff, trust
from processor.archive import archive_bytes, read_original
from processor.cases import find_case, open_case, record, record_reply, sender_address
from processor.config import Config
from processor.delivery import record_bounce
from processor.desk import Desk
from processor.examining import Examined, as_json, examine, planned, unverified
from processor.rules.engine import decide
from processor.store.models import Case, Document, Original

log = logging.getLogger(__name__)


@dataclass
class Incoming:
    """An item a source found: its bytes and where it came from."""

    source: str
    ref: str
    filename: str
    data: bytes
    refusal: ParseError | None = None  # set by a source that would not fetch it whole (too large)


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
    coded_reason: str | None = None  # a quarantine's reason as stored (coded), for the .reason.txt
    actions: list[str] = field(default_factory=list)


def process(desk: Desk, item: Incoming) -> Outcome:
    document_id, duplicate, arrived = register(desk, item)
    if duplicate:
        return Outcome("duplicate", item.filename, document_id=document_id, reason="already processed")
    examined = examine(item.data, item.filename, desk, received=arrival(desk, arrived), refusal=item.refusal)
    return record_and_act(desk, item, document_id, examined)


def accept(desk: Desk, item: Incoming) -> tuple[int, bool]:
    """The first half of `process`, for workers that share the work: the original archived and
    its document registered; (document id, whether it is new and still to be processed)."""
    document_id, duplicate, _arrived = register(desk, item)
    return document_id, not duplicate


def process_registered(desk: Desk, document_id: int) -> Outcome:
    """The second half: a registered document, from the archive, through parse, rules and
    actions (on any worker; a document already done is not done again)."""
    with desk.store.transaction() as session:
        row = session.get(Document, document_id)
        if row is None or row.status != "received":
            return Outcome("duplicate", row.filename if row else "?", document_id=document_id, reason="already processed")
        item = Incoming(row.source, row.source_ref, row.filename, read_original(desk.config.archive_dir, session, row))
        arrived = row.received_at
    examined = examine(item.data, item.filename, desk, received=arrival(desk, arrived))
    return record_and_act(desk, item, document_id, examined)


def channel_of(source: str, config: Config | None = None) -> str:
    """How an item came in, for the rules and the reports: by mail, dropped into a shared
    folder, or what that folder's `channel` says it holds (the manufacturer's DN work orders)."""
    kind, _, name = source.partition(":")
    folder = next((folder for folder in (config.folders if config else []) if folder.name == name), None)
    if kind == "folder" and folder is not None and folder.channel:
        return folder.channel
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


OCR_WAIT = ("reason.ocr_unavailable", "OCR not available")  # its code; the English kept before reasons had codes


def retry_waiting_for_ocr(desk: Desk) -> list[Outcome]:
    """Scans quarantined because OCR could not run are processed again, from the archive, once
    it can: a fax is never dropped."""
    with desk.store.transaction() as session:
        waiting = session.scalars(select(Document).where(
            Document.status == "quarantined", or_(*(Document.reason.contains(wait) for wait in OCR_WAIT)))).all()
        if not waiting:
            return []
        # the OCR stack (OpenCV, numpy: seconds of CPU) imported only when a scan waits for it
        from parsers.ocr import available

        if available() is not None:
            return []
        items = []
        for row in waiting:
            row.status = "received"  # taken up again below
            items.append(Incoming(row.source, row.source_ref, row.filename,
                                  read_original(desk.config.archive_dir, session, row)))
    return [process(desk, item) for item in items]


def arrival(desk: Desk, registered: datetime | None) -> datetime:
    """When an item came in, in the desk's time: when it was first registered (UTC), so that
    an item tried again on a later pass keeps its deadlines; now for a new one."""
    if registered is None:
        return desk.now()
    return registered.replace(tzinfo=UTC).astimezone(desk.timezone).replace(second=0, microsecond=0)


def register(desk: Desk, item: Incoming) -> tuple[int, bool, datetime | None]:
    """Archive the original, then find or create its document row: (id, already done — the
    same bytes, or the same mail by its Message-ID, processed before —, when it was first
    registered, None when that is now)."""
    digest, relative = archive_bytes(desk.config.archive_dir, item.data)
    message_id = message_id_of(item)
    for _ in range(2):  # a concurrent writer may insert the same hash between our two steps
        try:
            with desk.store.transaction() as session:
                row = session.scalars(select(Document).where(Document.sha256 == digest)).first()
                first_seen = row.received_at if row is not None else None  # a new one arrives now
                if row is not None and row.status != "received":
                    return row.id, True, first_seen
                if row is None:
                    row = Document(sha256=digest, size=len(item.data), filename=item.filename[:512],
                                   source=item.source, source_ref=item.ref[:1024], archive_path=relative)
                    session.add(row)
                    if desk.store.shared and desk.config.store.originals_in_store:  # another host may process it
                        session.add(Original(sha256=digest, data=item.data))
                    session.flush()
                if message_id and processed_before(session, row, message_id):
                    row.status = "duplicate"
                    return row.id, True, first_seen
                return row.id, False, first_seen
        except IntegrityError:
            continue
    raise RuntimeError(f"could not register {item.filename}")


def record_and_act(desk: Desk, item: Incoming, document_id: int, examined: Examined) -> Outcome:
    doc = examined.doc
    outcome = Outcome("processed", item.filename, kind=doc.kind, document_id=document_id,
                      sender=sender_address(doc),
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
        quoted = find_case(session, doc.case_ref)
        if "quarantine" in types:
            quarantine(desk, session, row, doc, examined, outcome)
        elif "record_on_case" in types:
            reply_to_case(desk, session, row, doc, examined, item, outcome, actor)
        elif doc.kind == "return_sheet" and quoted is not None and trust.is_party(session, desk, quoted, doc):
            record(session, desk, quoted, "return_sheet", actor, document_id=row.id, file=doc.file)
            row.case_id, row.status = quoted.id, "processed"
            outcome.reason = handle_return_sheet(desk, session, quoted, doc, item, row.id, examined.received)
            outcome.case_no = quoted.case_no
        elif "notify_owner" in types:
            new_case(desk, session, row, doc, examined, item, outcome, actor)
            if quoted is not None:  # a stranger's sheet quoting someone else's case: linked, never joined
                link_cases(desk, session, quoted, row, outcome, actor)
        else:
            row.status, outcome.status = "recorded", "recorded"
            outcome.reason = next((a.detail["note"] for a in examined.actions if a.type == "record"), None)
            if doc.kind == "bounce":
                outcome.reason = record_bounce(desk, session, doc)
        if doc.kind == "inspection" and "quarantine" not in types:
            outcome.reason = handle_inspection(desk, session, doc, row, item.source, actor) or outcome.reason
        if "file_for_staff" in types and (doc.kind != "inspection" or row.reason):  # nothing acted on it
            outcome.reason = attention.tell_staff(desk, session, row, doc)
    return outcome


def new_case(desk: Desk, session, row: Document, doc: ParsedDocument, examined: Examined, item: Incoming,  # noqa: ANN001
             outcome: Outcome, actor: str) -> Case:
    decision = examined.decision
    case = open_case(session, desk, doc, decision, received=examined.received, document_id=row.id,
                     actor=actor, channel=channel_of(item.source, desk.config))
    row.case_id, row.status = case.id, "processed"
    acknowledge(desk, session, case, doc, examined)
    if doc.kind == "return_sheet":  # before the owner's notice, which names the lines held for staff
        outcome.reason = handle_return_sheet(desk, session, case, doc, item, row.id, examined.received)
    notify_owner(desk, session, case, doc, examined)
    outcome.case_no, outcome.category, outcome.level = case.case_no, case.category, case.level
    outcome.owner, outcome.kind = case.owner, doc.kind
    outcome.next_deadline = decision.deadlines[0].due.isoformat(timespec="minutes") if decision.deadlines else None
    return case


def handle_return_sheet(desk: Desk, session, case, doc: ParsedDocument, item: Incoming, document_id: int,  # noqa: ANN001
                        received: datetime) -> str:
    request = returns.open_request(session, desk, case, doc, document_id=document_id, source=item.source,
                                   received=received)
    if request.status == "held":
        return f"return request held for staff: {returns.reason_text(request.held_reason, 'en')}"
    slip = returns.issue_slip(session, desk, request, to=returns.slip_address(session, request, case), now=desk.now())
    return f"return slip {slip}" if slip else "return request recorded"


def handle_inspection(desk: Desk, session, doc: ParsedDocument, row: Document, source: str,  # noqa: ANN001
                      actor: str) -> str | None:
    """A verdict from the quality department decides the return lines of the case it names
    that wait for it; the dealer gets a slip for them. Any other verdict is kept for staff."""
    case = named_case(desk, session, doc)
    if not trust.may_send_verdicts(desk, doc, source):
        why = reasons.reason("filed.verdict_not_quality", sender=doc.meta.get("sender") or source)
    elif case is None:
        why = reasons.reason("filed.verdict_no_case")
    else:
        lines = returns.apply_inspection(session, desk, doc, case, document_id=row.id, actor=actor)
        request = returns.request_of(session, case)
        slip = returns.issue_slip(session, desk, request, to=returns.slip_address(session, request, case),
                                  now=desk.now()) if lines else None
        return f"inspection decided {len(lines)} return lines of {case.case_no}" + (f"; slip {slip}" if slip else "")
    row.reason = reasons.because(why)
    return f"{reasons.reason_text(row.reason, 'en')}: recorded for staff, not acted on"


def named_case(desk: Desk, session, doc: ParsedDocument) -> Case | None:  # noqa: ANN001
    """The case a document names: the mail's case reference, else one of our case numbers in
    the file's name or the text of the mail and its attachments."""
    ours = case_ref_pattern(desk.config.desk.case_number_format)
    texts = [doc.file, doc.text, *(attachment.text for attachment in doc.attachments)]
    for number in [doc.case_ref, *(found for text in texts for found in ours.findall(text or ""))]:
        if number and (case := find_case(session, number)) is not None:
            return case
    return None


def quarantine(desk: Desk, session, row: Document, doc: ParsedDocument, examined: Examined, outcome: Outcome) -> None:  # noqa: ANN001
    """Kept for staff: the reason stored coded (`aftersales attention`, the digest and the
    .reason.txt word it in the desk's language); the outcome's, for the log, in English."""
    action = next(a for a in examined.actions if a.type == "quarantine")
    reason, coded = action.detail["reason"], [parser_reason(found) for found in action.detail["reasons"]]
    outcome.status, outcome.reason = "quarantined", reason
    for action in examined.actions:
        if action.type == "notify_sender":
            if why := notify_sender(desk, session, row, doc, action.to, reason, action.detail.get("reasons")):
                outcome.reason = f"{reason} (no notice sent: {why})"
                coded.append(reasons.reason("quarantine.no_notice", detail=why))
    row.status, row.reason = "quarantined", reasons.because(*coded)
    outcome.coded_reason = row.reason


def parser_reason(found: dict[str, str]) -> tuple[str, dict[str, str]]:
    """A parser's coded reason (`{"code": "encrypted_pdf", "file": …}`) as the store keeps it."""
    return reasons.reason(f"reason.{found['code']}", **{k: v for k, v in found.items() if k != "code"})


def notify_sender(desk: Desk, session, row: Document, doc: ParsedDocument, to: str, reason: str,  # noqa: ANN001
                  reasons: list[dict[str, str]] | None = None) -> str | None:
    """The polite note to whoever sent an item the desk could not take: the one way it goes,
    through the answering gate (capped, never to robots or loops); returns why it was withheld."""
    if why := answering.withheld(desk, session, doc, to, "notice"):
        return why
    message = compose.notice(
        desk.sender, to=to, language=doc.language or desk.config.desk.default_language,
        reason=reason, reasons=reasons, filename=None if doc.format == "eml" else doc.file,
        in_reply_to=doc.meta.get("message_id"), references=doc.meta.get("references", []),
    )
    outbox.queue(session, message, "notice", document_id=row.id)
    return None


def reply_to_case(desk: Desk, session, row: Document, doc: ParsedDocument, examined: Examined,  # noqa: ANN001
                  item: Incoming, outcome: Outcome, actor: str) -> None:
    """A mail about a known case: staff commands from staff, the customer's words otherwise;
    from anyone who is no party of the case, a new case linked to it."""
    case = find_case(session, doc.case_ref)
    if case is None:
        row.status, row.reason = "quarantined", reasons.because(reasons.reason("quarantine.unknown_case", case=doc.case_ref))
        outcome.status, outcome.coded_reason = "quarantined", row.reason
        outcome.reason = f"refers to case {doc.case_ref}, which this desk does not know: staff should check it"
        return
    if not trust.is_party(session, desk, case, doc):
        open_linked_case(desk, session, row, doc, examined, item, outcome, actor, case)
        return
    from_staff = trust.is_staff(desk, doc)
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


def open_linked_case(desk: Desk, session, row: Document, doc: ParsedDocument, examined: Examined,  # noqa: ANN001
                     item: Incoming, outcome: Outcome, actor: str, quoted: Case) -> None:
    """A mail quoting a case from someone who is no party of it acts on nothing there: it is a
    new complaint of its own, linked to the quoted case for staff. The sender learns nothing
    of the quoted case (their acknowledgement names only the new one)."""
    doc.kind, doc.case_ref = "complaint", None
    doc.meta["references"] = []  # our ids there carry the quoted case's number
    if doc.value("description") is None and doc.text:
        doc.put("description", doc.text[:2000], "body", 0.5)
    decision = decide(doc, desk.rules, desk.calendar, examined.received)
    linked = Examined(doc, decision, planned(doc, decision, desk), examined.received)
    new_case(desk, session, row, doc, linked, item, outcome, actor)
    link_cases(desk, session, quoted, row, outcome, actor)


def link_cases(desk: Desk, session, quoted: Case, row: Document, outcome: Outcome, actor: str) -> None:  # noqa: ANN001
    """Both cases say so: the quoted one that a stranger wrote about it (for staff), the new one
    which case it quoted."""
    new = session.get(Case, row.case_id)
    record(session, desk, quoted, "foreign_mail", actor, document_id=row.id, linked_case=new.case_no,
           why="a mail quoting this case from someone who is no party of it: not acted on here")
    record(session, desk, new, "linked", "desk", document_id=row.id, quoted_case=quoted.case_no,
           why="the sender quoted this case but is no party of it")
    outcome.reason = f"{actor} is no party of {quoted.case_no}: new case {new.case_no}, linked to it for staff"


def acknowledge(desk: Desk, session, case, doc: ParsedDocument, examined: Examined) -> None:  # noqa: ANN001
    decision = examined.decision
    language = doc.language or desk.config.desk.default_language
    by_type = {action.type: action for action in examined.actions}
    ack = by_type.get("acknowledge")
    if ack and (why := answering.withheld(desk, session, doc, ack.to, "acknowledgement")):
        record(session, desk, case, "ack_withheld", "desk", to=ack.to, why=why)
        ack = None
    if ack:
        reply_by = decision.deadline("reply")
        message = compose.acknowledgement(
            desk.sender, to=ack.to, case_no=case.case_no, kind=doc.kind, language=language,
            fields=doc.field_values, missing=decision.missing, confirm=unverified(doc), lines=doc.lines,
            reply_by=reply_by.due.strftime("%Y-%m-%d %H:%M") if reply_by else None,
            reply_by_provisional=bool(reply_by and reply_by.provisional), refused=doc.meta.get("refused"),
            in_reply_to=doc.meta.get("message_id"), references=doc.meta.get("references", []),
        )
        outbox.queue(session, message, "acknowledgement", case_id=case.id)
        record(session, desk, case, "acknowledged", "desk", status="acknowledged", to=ack.to,
                  message_id=message["Message-ID"])


def notify_owner(desk: Desk, session, case, doc: ParsedDocument, examined: Examined) -> None:  # noqa: ANN001
    """The owner's notice, in the desk's language, with what the rules were unsure of, the
    fields OCR could not vouch for and the return lines held for staff."""
    decision = examined.decision
    by_type = {action.type: action for action in examined.actions}
    notice = by_type["notify_owner"]
    # each address once, and never the owner's own (a major complaint's owner is the GM it escalates to)
    cc = list(dict.fromkeys(action.to.lower() for action in examined.actions
                            if action.type in ("inform", "escalate") and action.to and action.to.lower() != notice.to.lower()))
    message = compose.owner_notice(
        desk.sender, to=notice.to, owner=ladders.name_of(desk, decision.owner, desk.config.desk.default_language),
        case_no=case.case_no, kind=doc.kind,
        fields=doc.field_values, category=decision.category, level=decision.level,
        business_line=decision.business_line, origin=case.sender,
        deadlines=[d.as_json() for d in decision.deadlines], escalate="escalate" in by_type, cc=cc,
        uncertain=decision.uncertain, why=decision.explain_uncertain(), unverified=unverified(doc),
        held=returns.held_rows(session, case, desk.config.desk.default_language),
        language=desk.config.desk.default_language, rule_labels=desk.rules.labels(),
    )
    outbox.queue(session, message, "owner_notice", case_id=case.id)
    record(session, desk, case, "assigned", "desk", status="assigned", owner=decision.owner, to=notice.to, cc=cc)
    if "escalate" in by_type:
        record(session, desk, case, "escalated", "desk", to=by_type["escalate"].to, why="major complaint")


def _storable(data: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe copy (dates as text) for the document row."""
    import json

    return json.loads(json.dumps(data, ensure_ascii=False, default=str))
