"""One item's way through the desk, as a list of small steps:

    archive → register → parse → decide (rules) → plan → record and act (one handler per action)

The plan (processor/actions `plan`) names every step; each is done by its handler
(processor/actions/<type>.py), all of them in one table (processor/actions/registry.py).

`examine` (processor/examining.py) runs parse + decide with no side effects (that is `aftersales inspect`);
`process` runs every step, each committed, so that a crash anywhere loses nothing and a rerun
does nothing twice: the original is archived first, a document is known by its hash, and
mails are outbox rows written in the same transaction as the case they belong to.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.parser import BytesHeaderParser
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from parsers import ParseError
from processor.actions.registry import act
from processor.actions.step import Step
from processor.archive import archive_bytes, read_original
from processor.cases import sender_address
from processor.desk import Desk
from processor.examining import Examined, as_json, examine
from processor.store.models import Document, Original
from vocabulary import DocumentStatus

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
        return Outcome(
            DocumentStatus.DUPLICATE,
            item.filename,
            document_id=document_id,
            reason="already processed",
        )
    examined = examine(
        item.data, item.filename, desk, received=arrival(desk, arrived), refusal=item.refusal
    )
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
        if row is None or row.status != DocumentStatus.RECEIVED:
            return Outcome(
                DocumentStatus.DUPLICATE,
                row.filename if row else "?",
                document_id=document_id,
                reason="already processed",
            )
        item = Incoming(
            row.source,
            row.source_ref,
            row.filename,
            read_original(desk.config.archive_dir, session, row),
        )
        arrived = row.received_at
    examined = examine(item.data, item.filename, desk, received=arrival(desk, arrived))
    return record_and_act(desk, item, document_id, examined)


def message_id_of(item: Incoming) -> str | None:
    if not item.filename.endswith(".eml"):
        return None
    # compat32: only one raw header is wanted, and the default policy's header objects cost more
    found = (
        BytesHeaderParser(policy=policy.compat32).parsebytes(item.data[:65536]).get("Message-ID")
    )
    return str(found).strip() if found else None


def processed_before(session, row: Document, message_id: str) -> bool:  # noqa: ANN001
    """The same mail from the same mailbox with other bytes (a server that rewrote a header
    after a UIDVALIDITY change) is known by its Message-ID."""
    return (
        session.scalar(
            select(Document.id)
            .where(
                Document.message_id == message_id,
                Document.source == row.source,
                Document.id != row.id,
                Document.status != DocumentStatus.RECEIVED,
            )
            .limit(1)
        )
        is not None
    )


OCR_WAIT = (
    "reason.ocr_unavailable",
    "OCR not available",
)  # its code; the English kept before reasons had codes


def retry_waiting_for_ocr(desk: Desk) -> list[Outcome]:
    """Scans quarantined because OCR could not run are processed again, from the archive, once
    it can: a fax is never dropped."""
    with desk.store.transaction() as session:
        waiting = session.scalars(
            select(Document).where(
                Document.status == DocumentStatus.QUARANTINED,
                or_(*(Document.reason.contains(wait) for wait in OCR_WAIT)),
            )
        ).all()
        if not waiting:
            return []
        # the OCR stack (OpenCV, numpy: seconds of CPU) imported only when a scan waits for it
        from parsers.ocr import available

        if available() is not None:
            return []
        items = []
        for row in waiting:
            row.status = DocumentStatus.RECEIVED  # taken up again below
            items.append(
                Incoming(
                    row.source,
                    row.source_ref,
                    row.filename,
                    read_original(desk.config.archive_dir, session, row),
                )
            )
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
                if row is not None and row.status != DocumentStatus.RECEIVED:
                    return row.id, True, first_seen
                if row is None:
                    row = Document(
                        sha256=digest,
                        size=len(item.data),
                        filename=item.filename[:512],
                        source=item.source,
                        source_ref=item.ref[:1024],
                        archive_path=relative,
                    )
                    session.add(row)
                    if (
                        desk.store.shared and desk.config.store.originals_in_store
                    ):  # another host may process it
                        session.add(Original(sha256=digest, data=item.data))
                    session.flush()
                if message_id and processed_before(session, row, message_id):
                    row.status = DocumentStatus.DUPLICATE
                    return row.id, True, first_seen
                return row.id, False, first_seen
        except IntegrityError:
            continue
    raise RuntimeError(f"could not register {item.filename}")


def record_and_act(desk: Desk, item: Incoming, document_id: int, examined: Examined) -> Outcome:
    """Record the document and run its plan through the action handlers
    (processor/actions/registry.py), in one transaction."""
    doc = examined.doc
    outcome = Outcome(
        DocumentStatus.PROCESSED,
        item.filename,
        kind=doc.kind,
        document_id=document_id,
        sender=sender_address(doc),
        actions=[action.type for action in examined.actions],
    )
    with desk.store.transaction() as session:
        # locked, and looked at again: a job run twice at once (a worker taken for dead while
        # it still ran) records the document once
        row = session.get(Document, document_id, with_for_update=True)
        if row.status != DocumentStatus.RECEIVED:
            return Outcome(
                DocumentStatus.DUPLICATE,
                item.filename,
                document_id=document_id,
                reason="already processed",
            )
        row.kind, row.parsed = doc.kind, _storable(as_json(examined))
        row.sender, row.subject = outcome.sender, (doc.meta.get("subject") or None)
        row.message_id = doc.meta.get("message_id")
        act(
            Step(desk, session, row, examined, item, outcome, actor=outcome.sender or item.source),
            examined.actions,
        )
    return outcome


def _storable(data: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe copy (dates as text) for the document row."""
    return json.loads(json.dumps(data, ensure_ascii=False, default=str))
