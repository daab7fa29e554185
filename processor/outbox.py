"""The outbox: the only way out. A mail is a row first (in the same transaction as the case
change that caused it); delivering it is a separate step that marks it once done. On the
embedded default, delivering writes an .eml file into the outbox folder."""

from __future__ import annotations

import os
import re
import tempfile
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import getaddresses
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from parsers.addresses import normalise
from processor.store.models import OutboxMessage, utcnow
from vocabulary import OutboxStatus


def queue(
    session: Session,
    message: EmailMessage,
    purpose: str,
    *,
    case_id: int | None = None,
    document_id: int | None = None,
) -> OutboxMessage:
    headers: dict[str, list[str]] = {}
    for name, value in message.raw_items():  # as stored: compose's own, not parsed again (issue 23)
        headers.setdefault(name.lower(), []).append(str(value))
    recipients = [
        address for _, address in getaddresses(headers.get("to", []) + headers.get("cc", []))
    ]
    message_id = headers.get("message-id", [None])[0]
    row = OutboxMessage(
        message_id=message_id.strip() if message_id else None,
        purpose=purpose,
        case_id=case_id,
        document_id=document_id,
        recipients=recipients,
        recipient_key=normalise(recipients[0])[:320] if recipients else None,
        subject=str(message["Subject"]),
        raw=message.as_bytes(policy=SMTP_POLICY),  # CRLF line ends, as the wire and .eml files want
        status=OutboxStatus.QUEUED,
    )
    session.add(row)  # inserted at the commit, with the case's other rows (one round trip for all)
    return row


def eml_name(row: OutboxMessage) -> str:
    subject = re.sub(r"[^\w\-\[\]]+", "_", row.subject)[:60].strip("_")
    return f"{row.id:06d}-{row.purpose}-{subject}.eml"


def write_to_folder(folder: Path, row: OutboxMessage) -> Path:
    """Write (or rewrite, after a crash) the row's .eml file; the name depends on the row only."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)  # mails to customers: their owner's only
    target = folder / eml_name(row)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".outgoing-")
    with os.fdopen(handle, "wb") as out:
        out.write(row.raw)
    os.replace(temporary, target)
    return target


def deliver_to_folder(store, folder: Path) -> int:  # noqa: ANN001
    """Deliver every queued mail into the outbox folder; returns how many were written."""
    delivered = 0
    with store.transaction() as session:
        ids = session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.status == OutboxStatus.QUEUED)
        ).all()
    for message_id in ids:
        with store.transaction() as session:
            row = session.get(OutboxMessage, message_id)
            if row is None or row.status != OutboxStatus.QUEUED:
                continue
            write_to_folder(folder, row)
            row.status, row.sent_at, row.attempts = "written", utcnow(), row.attempts + 1
            delivered += 1
    return delivered
