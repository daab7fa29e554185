"""Items a step fails on (a parser bug, a header no mail library takes, a store error): each
failed try is counted on the item's document with its error; after `[worker] max_tries` it is
a poison item, quarantined with its reason, its sender told where a note is due, the operator
told, and its source moves on. Nothing is retried silently forever."""

from __future__ import annotations

import hashlib
import logging
from email import policy
from email.parser import BytesHeaderParser

from sqlalchemy import select

from outputs.reasons import because
from outputs.reasons import reason as coded
from parsers.mail import is_auto_reply, is_bounce, read_headers
from parsers.model import ParsedDocument, reason_text
from processor import problems
from processor.actions import reply_address
from processor.actions.notify_sender import notify_sender
from processor.desk import Desk
from processor.pipeline import Incoming, Outcome
from processor.store.models import Document
from vocabulary import SILENT_KINDS

log = logging.getLogger(__name__)

FOR_THE_SENDER = {"code": "failed_on_our_side"}  # worded in the sender's language by the catalogs


def failed(desk: Desk, item: Incoming, exc: BaseException) -> Outcome | None:
    """Count a failed try of `item`. None while it has tries left (its source keeps it for the
    next pass); the quarantined outcome its source settles it with once it has none."""
    error = f"{type(exc).__name__}: {exc}"[:2000]
    return failed_document(
        desk, hashlib.sha256(item.data).hexdigest(), item.source, item.filename, item.data, error
    )


def failed_document(
    desk: Desk, digest: str, source: str, filename: str, data: bytes | None, error: str
) -> Outcome | None:
    limit = desk.config.worker.max_tries
    with desk.store.transaction() as session:
        row = session.scalars(select(Document).where(Document.sha256 == digest)).first()
        if (
            row is None
        ):  # it failed before it was registered (the store itself?): nothing to count on
            log.error(
                "%s %s failed before it was registered (%s); it is tried again next pass",
                source,
                filename,
                error,
            )
            return None
        if row.status != "received":  # settled meanwhile (another worker): the source may let it go
            return Outcome("duplicate", filename, document_id=row.id, reason="already processed")
        row.tries, row.last_error = (row.tries or 0) + 1, error
        if row.tries < limit:
            log.warning(
                "%s %s failed (try %d of %d): %s; it is tried again next pass",
                source,
                filename,
                row.tries,
                limit,
                error,
            )
            return None
        reason = f"could not be processed in {row.tries} tries ({error}): staff should look at it"
        row.status, row.reason = (
            "quarantined",
            because(coded("quarantine.poison", tries=row.tries, detail=error)),
        )
        headers = headers_of(data, filename) if data else None
        sender = (
            reply_address(headers, desk.own_addresses())
            if headers and headers.kind not in SILENT_KINDS
            else None
        )
        if sender:  # in reply to the mail itself, so it threads with it
            notify_sender(
                desk, session, row, headers, sender, reason_text(FOR_THE_SENDER), [FOR_THE_SENDER]
            )
        problems.report(
            desk,
            session,
            "poison_item",
            f"poison:{row.id}",
            because(
                coded(
                    "problem.poison",
                    **problems.source_named(source),
                    file=filename,
                    document=row.id,
                    tries=row.tries,
                    detail=error,
                )
            ),
        )
        return Outcome(
            "quarantined",
            filename,
            document_id=row.id,
            sender=sender,
            reason=reason,
            coded_reason=row.reason,
        )


def headers_of(data: bytes, filename: str) -> ParsedDocument | None:
    """A mail that could not be processed, by its headers alone (read leniently: the mail may
    be the trouble): whom to tell, unless it is a robot's (kind `bounce`), and what it answers."""
    if not filename.endswith(".eml"):
        return None
    try:
        message = BytesHeaderParser(policy=policy.default).parsebytes(data[:65536])
        doc = ParsedDocument(file=filename, format="eml", meta=read_headers(message))
    except Exception:  # noqa: BLE001 - headers even a lenient reader cannot take: no one to answer
        return None
    if is_bounce(doc.meta) or is_auto_reply(doc.meta):
        doc.kind = "bounce"
    return doc
