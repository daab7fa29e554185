"""The tables of the store. Times are naive UTC; the desk's time zone is applied for display."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Document(Base):
    """One item that arrived (a mail or a file), archived by its content hash."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int]
    filename: Mapped[str] = mapped_column(String(512))
    source: Mapped[str] = mapped_column(String(200))
    source_ref: Mapped[str] = mapped_column(String(1024), default="")
    archive_path: Mapped[str] = mapped_column(String(512))
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="received")
    kind: Mapped[str | None] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(Text)
    sender: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(998))
    message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    parsed: Mapped[dict[str, Any] | None]
    # a step that failed on it: how often, and the last error; after `[worker] max_tries` it is
    # quarantined as a poison item (an item no pass can get through)
    tries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)


class Original(Base):
    """An original's bytes in the store itself, beside the archive file, where workers on
    several hosts share the store (PostgreSQL) but not a disk: any of them can process a
    document another one fetched."""

    __tablename__ = "originals"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Case(Base):
    """A complaint case; its history is the list of its events."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_no: Mapped[str] = mapped_column(String(40), unique=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    status: Mapped[str] = mapped_column(String(20), default="received", index=True)
    channel: Mapped[str | None] = mapped_column(String(20))  # mail | shared folder | other
    kind: Mapped[str] = mapped_column(String(30))
    category: Mapped[str | None] = mapped_column(String(30))
    level: Mapped[str | None] = mapped_column(String(20))
    business_line: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(10))
    sender: Mapped[str | None] = mapped_column(String(320), index=True)
    customer_name: Mapped[str | None] = mapped_column(String(200))
    owner: Mapped[str | None] = mapped_column(String(200))
    owner_role: Mapped[str | None] = mapped_column(String(60))
    owner_email: Mapped[str | None] = mapped_column(String(320))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    deadlines: Mapped[list[Any]] = mapped_column(default=list)
    next_deadline_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    batch_alert_id: Mapped[int | None] = mapped_column(ForeignKey("batch_alerts.id"), index=True)

    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan"
    )


class BatchAlert(Base):
    """Complaints naming the same batch (or the same product and model) that reached the rule
    file's threshold: the quality department was told once; later cases join it."""

    __tablename__ = "batch_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(
        String(500), index=True
    )  # batch_no=B2611 or product_name=…|product_model=…
    label: Mapped[str] = mapped_column(String(500))
    opened_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CaseEvent(Base):
    """Who did what to a case, when, why, from which document. Never edited."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))
    type: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))

    case: Mapped[Case] = relationship(back_populates="events")


class CaseCounter(Base):
    """The last case sequence number handed out in a month (period `YYYYMM`)."""

    __tablename__ = "case_counters"

    period: Mapped[str] = mapped_column(String(20), primary_key=True)  # 202611, or slip:202611
    last_seq: Mapped[int] = mapped_column(Integer)


class OutboxMessage(Base):
    """A mail to send: a row first, delivered later, marked sent once the server took it."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
        Index("ix_outbox_recipient_created", "recipient_key", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    purpose: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    recipients: Mapped[list[Any]] = mapped_column(default=list)
    # the first recipient in normal form (parsers.addresses.normalise): the per-address cap
    recipient_key: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(998))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class MailboxState(Base):
    """Where polling a mailbox folder left off (IMAP UIDVALIDITY and last UID)."""

    __tablename__ = "mailbox_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    folder: Mapped[str] = mapped_column(String(500))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (Index("ux_mailbox_state_source_folder", "source", "folder", unique=True),)


class Party(Base):
    """A customer, dealer or staff member the desk knows by address or code."""

    __tablename__ = "parties"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    code: Mapped[str | None] = mapped_column(String(60), index=True)
    role: Mapped[str | None] = mapped_column(String(60))
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Product(Base):
    """Master data: a part the desk knows, with its list price."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    part_no: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    spec: Mapped[str | None] = mapped_column(String(200))
    unit_price: Mapped[float | None] = mapped_column(Numeric(14, 4, asdecimal=False))


class Purchase(Base):
    """Master data: what a dealer bought in a period (the denominator of its exchange ratio)."""

    __tablename__ = "purchases"

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_code: Mapped[str] = mapped_column(String(60), index=True)
    period: Mapped[str] = mapped_column(String(10))  # 2026-09, 2026-Q3 or 2026
    amount: Mapped[float] = mapped_column(Numeric(16, 2, asdecimal=False))

    __table_args__ = (Index("ux_purchases_dealer_period", "dealer_code", "period", unique=True),)


class ReturnRequest(Base):
    """A return sheet as the desk decides it: its dealer, its lines, its slips."""

    __tablename__ = "return_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    dealer_code: Mapped[str | None] = mapped_column(String(60), index=True)
    dealer_name: Mapped[str | None] = mapped_column(String(200))
    sheet_date: Mapped[date | None] = mapped_column(Date)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | held | decided
    held_reason: Mapped[str | None] = mapped_column(Text)

    lines: Mapped[list[ReturnLine]] = relationship(
        back_populates="request", order_by="ReturnLine.line_no"
    )


class ReturnLine(Base):
    __tablename__ = "return_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("return_requests.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    order_no: Mapped[str | None] = mapped_column(String(80), index=True)
    part_no: Mapped[str | None] = mapped_column(String(80), index=True)
    product_name: Mapped[str | None] = mapped_column(String(200))
    spec: Mapped[str | None] = mapped_column(String(200))
    batch_no: Mapped[str | None] = mapped_column(String(80))
    quantity: Mapped[float | None] = mapped_column(Numeric(14, 3, asdecimal=False))
    unit: Mapped[str | None] = mapped_column(String(20))
    unit_price: Mapped[float | None] = mapped_column(Numeric(14, 4, asdecimal=False))
    amount: Mapped[float | None] = mapped_column(Numeric(16, 2, asdecimal=False))
    ship_date: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(30))
    action: Mapped[str | None] = mapped_column(String(30))
    decision: Mapped[str] = mapped_column(
        String(20), default="pending"
    )  # accepted | refused | pending | held
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(320))
    problems: Mapped[list[Any]] = mapped_column(default=list)
    slip_no: Mapped[str | None] = mapped_column(String(40), index=True)

    request: Mapped[ReturnRequest] = relationship(back_populates="lines")


class Report(Base):
    """A periodic report that was produced: one row per report and period, so it goes out
    once, however many workers run and however late they wake."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    period: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    message_id: Mapped[str | None] = mapped_column(String(998))
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (Index("ux_reports_kind_period", "kind", "period", unique=True),)


class AuditEntry(Base):
    """What was done to the store as a whole (a retention purge), by whom and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(60))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SourcePoll(Base):
    """When a source (mailbox, Maildir, shared folder) was last read through, and since when it
    fails: `aftersales status` shows it, and a mailbox unreachable for long is a problem."""

    __tablename__ = "source_polls"

    source: Mapped[str] = mapped_column(String(200), primary_key=True)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime)
    failing_since: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class Problem(Base):
    """Something the operator must know (a poison item, a refused SMTP login, a mailbox out of
    reach): opened once, mailed once, summed up daily while it lasts, closed when it is over."""

    __tablename__ = "problems"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(
        String(300), unique=True
    )  # what it is about: poison:12, imap:complaints
    kind: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)  # open | closed
    first_seen: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    summarised_at: Mapped[datetime | None] = mapped_column(
        DateTime
    )  # in the operator's last daily summary
