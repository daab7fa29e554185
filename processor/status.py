"""What `aftersales status` prints: each source and its last good poll, the queue, the outbox,
the quarantine and the open problems, plain lines a person or a monitoring system reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outputs import reasons
from processor.desk import Desk
from processor.problems import open_problems
from processor.store.models import Document, OutboxMessage, SourcePoll, utcnow
from processor.worker import sources_of


def gather(desk: Desk, session: Session) -> tuple[list[str], int]:
    """(the lines, how many problems are open)."""

    def local(moment: datetime | None) -> str:
        return (
            moment.replace(tzinfo=UTC).astimezone(desk.timezone).strftime("%Y-%m-%d %H:%M")
            if moment
            else "never"
        )

    def count(model, *where) -> int:  # noqa: ANN001
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    lines = ["sources:"]
    polls = {row.source: row for row in session.scalars(select(SourcePoll))}
    for source in sources_of(desk):
        row = polls.get(source.name)
        state = f"last good poll {local(row.last_success_at if row else None)}"
        if row and row.failing_since:
            state += f"; failing since {local(row.failing_since)}: {row.last_error}"
        lines.append(f"  {source.name:30} {state}")
    waiting = count(Document, Document.status == "received")
    retried = count(Document, Document.status == "received", Document.tries > 0)
    lines.append(
        f"queue: {waiting} items waiting, {retried} of them failed before and are tried again"
    )
    lines.append(
        f"outbox: {count(OutboxMessage, OutboxMessage.status.in_(('queued', 'sending')))} to send, "
        f"{count(OutboxMessage, OutboxMessage.status == 'failed')} failed for good"
    )
    day = utcnow() - timedelta(days=1)
    lines.append(
        f"quarantine: {count(Document, Document.status == 'quarantined')} items, "
        f"{count(Document, Document.status == 'quarantined', Document.received_at >= day)} in the last 24 hours"
    )
    found = open_problems(session)
    lines.append(f"problems: {len(found)} open" if found else "problems: none")
    lines.extend(
        f"  {p.key}  since {local(p.first_seen)}: {summary_line(p.summary)}" for p in found
    )
    return lines, len(found)


def summary_line(summary: str) -> str:
    """A problem's coded summary on one line, in English like the rest of `status`."""
    details = reasons.details(summary)
    return reasons.reason_text(summary, "en") + (f" ({'; '.join(details)})" if details else "")
