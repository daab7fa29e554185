"""Whether the desk may write to an outside sender now: the one gate every automatic mail to a
sender passes (acknowledgements, notices of unreadable, refused or over-limit mail), so that
the desk never becomes a backscatter source or one end of a mail loop.

Never to ourselves or a no-reply robot; never to automated or bulk mail (its kind, decided by
the mail parser); no notice in reply to a mail of ours (an autoresponder without auto-reply
headers answering our notice); and at most `[desk] max_acks_per_sender_per_hour` such mails
per address per hour, addresses compared normalised (case, plus-tags, IDN)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from parsers.addresses import normalise
from parsers.model import ParsedDocument
from processor.actions import NO_REPLY, from_ourselves
from processor.desk import Rulebook
from processor.store.models import OutboxMessage, utcnow
from vocabulary import SILENT_KINDS

# what counts against the per-address cap: the desk's automatic mails to outside senders (a
# purpose passed to `withheld` counts too, so a new kind of notice shares the same budget)
CAPPED_PURPOSES = ("acknowledgement", "notice")


def withheld(
    book: Rulebook, session: Session, doc: ParsedDocument, to: str | None, purpose: str
) -> str | None:
    """None when the desk may write to `to` about `doc` now (an automatic mail of `purpose`,
    its outbox purpose); else why not, to record for staff."""
    if not to:
        return "no sender address to answer"
    if from_ourselves(to, book.own_addresses()) or NO_REPLY.match(to):
        return "our own or a no-reply address"
    if doc.kind in SILENT_KINDS:
        return f"{doc.kind}: automated mail is never answered"
    if purpose == "notice" and answers_our_mail(book, doc):
        # a robot answering our notice, without auto-reply headers; a person who answers a
        # notice with a complaint still gets that acknowledged
        return "it answers a mail of ours (a loop)"
    if over_cap(book, session, to, {*CAPPED_PURPOSES, purpose}):
        return (
            f"over {book.config.desk.max_acks_per_sender_per_hour} mails to this address in an hour"
        )
    return None


def answers_our_mail(book: Rulebook, doc: ParsedDocument) -> bool:
    """In-Reply-To or References name a Message-ID of ours (our domain on the right)."""
    ours = "@" + book.sender.domain.lower() + ">"
    ids = [doc.meta.get("in_reply_to") or "", *doc.meta.get("references", [])]
    return any(ours in identifier.lower() for identifier in ids)


def over_cap(book: Rulebook, session: Session, to: str, purposes: set[str]) -> bool:
    key = normalise(to)
    since = utcnow() - timedelta(hours=1)  # the wall clock: a flood is counted in real time
    with session.no_autoflush:
        sent = session.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.recipient_key == key,
                OutboxMessage.created_at >= since,
                OutboxMessage.purpose.in_(purposes),
            )
        )
    pending = sum(
        1
        for row in session.new  # queued in this transaction, not yet flushed
        if isinstance(row, OutboxMessage) and row.recipient_key == key and row.purpose in purposes
    )
    return sent + pending >= book.config.desk.max_acks_per_sender_per_hour
