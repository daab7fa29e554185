"""Delivering the outbox over SMTP (smtplib). Rows are claimed in batches (queued → sending,
in a committed transaction that skips rows another worker holds, so two workers never take
the same row, and leased: `[smtp] lease_seconds`), then sent one by one. Each is marked sent
in an open transaction while the server has the whole mail but the final dot that makes it
take it, and that transaction is committed the moment the server's 250 is read (rolled back
on anything else). A transient failure (4xx, a dropped or refused connection) puts a row back
in the queue for later, the pause doubling each time; a permanent one (5xx) or too many
attempts marks it failed and tells staff.

A row left in `sending` by a crash is sent again once its lease runs out. A crash repeats a
mail only if it falls between reading the 250 and writing the COMMIT, a few microseconds (a
COMMIT written before the process dies still reaches the server); the mail then keeps its
Message-ID, by which receiving systems drop a duplicate. Marking after the 250 instead left a
whole round trip to the database in which a crash made a duplicate; committing the mark
before the dot would lose a mail instead.
"""

from __future__ import annotations

import functools
import logging
import re
import smtplib
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Connection, or_, select, update

from processor.config import Config, Smtp
from processor.mail_login import Login, login_for, tls_context
from processor.store import Store
from processor.store.models import OutboxMessage, utcnow
from vocabulary import OutboxStatus

log = logging.getLogger(__name__)

CLAIM_BATCH = 100  # rows claimed at a time, at most
SENT_PER_SECOND = 5  # at least, on a slow server: a claim holds no more than its lease allows
MAX_PAUSE = timedelta(hours=1)


@dataclass
class Delivery:
    sent: int = 0
    deferred: int = 0
    failed: list[int] = field(default_factory=list)
    login_refused: str | None = (
        None  # the server refused our login: no mail can go until it is fixed
    )


def classify(exc: Exception) -> tuple[bool, str]:
    """(permanent?, what happened) for an exception smtplib raised."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        text = "; ".join(
            f"{rcpt}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for rcpt, (code, msg) in exc.recipients.items()
        )
        return all(500 <= code < 600 for code in codes), text
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return False, f"login refused ({exc.smtp_code}): check the [smtp] username and secret"
    if isinstance(exc, smtplib.SMTPResponseException):
        message = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return 500 <= exc.smtp_code < 600, f"{exc.smtp_code} {message}"
    return False, f"{type(exc).__name__}: {exc}"


class HookBeforeTheDot:
    """smtplib's DATA with a hook called when the server has the whole message but not the
    final dot, which is what makes it take the mail (a connection dropped before the dot makes
    the server discard it): the mark's round trips to the database happen there, outside the
    moment between the server's 250 and our commit."""

    before_end: Callable[[], None]  # set for each mail by SmtpConnection.send

    def data(self, msg: bytes) -> tuple[int, bytes]:
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        body = DOT_AT_LINE_START.sub(b"..", msg)  # RFC 5321 4.5.2 transparency, as smtplib does
        self.send(body if body.endswith(b"\r\n") else body + b"\r\n")
        self.before_end()
        self.send(b".\r\n")
        return self.getreply()


class HookedSmtp(HookBeforeTheDot, smtplib.SMTP):
    pass


class HookedSmtpSsl(HookBeforeTheDot, smtplib.SMTP_SSL):
    pass


DOT_AT_LINE_START = re.compile(rb"(?m)^\.")


class SmtpConnection:
    """One connection for a delivery run, opened on first use and again after a drop."""

    def __init__(self, config: Config, settings: Smtp) -> None:
        self.config, self.settings = config, settings
        self.client: smtplib.SMTP | None = None
        self.login: Login | None = login_for(settings, "smtp")

    def open(self) -> smtplib.SMTP:
        if self.client is not None:
            return self.client
        settings, context = self.settings, tls_context(self.config, self.settings.ca_file)
        if settings.security == "tls":
            client = HookedSmtpSsl(
                settings.host, settings.port, timeout=settings.timeout_seconds, context=context
            )
        else:
            client = HookedSmtp(settings.host, settings.port, timeout=settings.timeout_seconds)
            if settings.security == "starttls":
                client.starttls(context=context)
        try:
            if self.login and self.login.token:
                client.ehlo_or_helo_if_needed()
                code, reply = client.docmd("AUTH", "XOAUTH2 " + self.login.xoauth2())
                if code != 235:
                    raise smtplib.SMTPAuthenticationError(code, reply)
            elif self.login:
                client.login(self.login.username, self.login.password or "")
        except Exception:
            client.close()
            raise
        # the final dot goes in a write of its own (see HookBeforeTheDot): without this, Nagle's
        # algorithm holds it until the server acknowledges the body, which it delays (40 ms)
        client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.client = client
        return client

    def send(self, mail: Claimed, envelope_from: str, before_end: Callable[[], None]) -> dict:
        """Send one mail; `before_end` runs when the server has all of it but the final dot."""
        try:
            client = self.open()
            client.before_end = before_end
            return client.sendmail(envelope_from, list(mail.recipients), mail.raw)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException):
            try:
                if self.client is not None:
                    self.client.rset()  # the server answered: the connection is still good
            except Exception:  # noqa: BLE001 - it was not; open a new one for the next mail
                self.close()
            raise
        except OSError:  # smtplib's disconnects and the socket's own errors
            self.close()
            raise

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except Exception:  # noqa: BLE001 - closing a dead connection
                self.client.close()
            self.client = None


def server_unusable(exc: Exception, connection: SmtpConnection) -> bool:
    """A failure of the server or the login rather than of this mail: no connection came up,
    the connection dropped, or the login was refused."""
    if isinstance(exc, smtplib.SMTPAuthenticationError) or connection.client is None:
        return True
    return not isinstance(exc, (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException))


@dataclass(frozen=True)
class Claimed:
    """A claimed outbox row: what sending it takes."""

    id: int
    recipients: list[str]
    raw: bytes


def claim_due(store: Store, lease: timedelta, limit: int = CLAIM_BATCH) -> list[Claimed]:
    """Up to `limit` rows due now, claimed for this worker in one statement (stale `sending`
    rows of a crashed worker included), with what sending them takes. Rows another worker is
    claiming are skipped, not waited for; a claim is a lease, short enough that its rows are
    sent well within it."""
    now = utcnow()
    due = or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now)
    pending = OutboxMessage.status.in_((OutboxStatus.QUEUED, OutboxStatus.SENDING))
    with store.transaction() as session:
        candidates = (
            select(OutboxMessage.id)
            .where(pending, due)
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claimed = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(candidates), pending, due)
            .values(
                status=OutboxStatus.SENDING,
                attempts=OutboxMessage.attempts + 1,
                next_attempt_at=now + lease,
            )
            .returning(OutboxMessage.id, OutboxMessage.recipients, OutboxMessage.raw)
            .execution_options(synchronize_session=False)
        ).all()
    return sorted((Claimed(*row) for row in claimed), key=lambda mail: mail.id)


def deliver_by_smtp(
    store: Store,
    config: Config,
    envelope_from: str,
    on_failure: Callable[[OutboxMessage], None] | None = None,
) -> Delivery:
    """Send every due row, a claimed batch at a time over one connection; `on_failure` is
    called (in the row's transaction) for each row that failed for good, so the desk can tell
    staff and flag the case."""
    connection = SmtpConnection(config, config.smtp)
    result = Delivery()
    try:
        lease = timedelta(seconds=config.smtp.lease_seconds)
        batch = max(1, min(CLAIM_BATCH, int(config.smtp.lease_seconds * SENT_PER_SECOND)))
        while claimed := claim_due(store, lease, batch):
            if not send_claimed(
                store, config.smtp, connection, claimed, envelope_from, result, on_failure
            ):
                break
    finally:
        connection.close()
    return result


def send_claimed(
    store: Store,
    settings: Smtp,
    connection: SmtpConnection,
    claimed: list[Claimed],
    envelope_from: str,
    result: Delivery,
    on_failure: Callable[[OutboxMessage], None] | None,
) -> bool:
    """Send claimed rows, each marked sent before the final dot of its DATA and committed as
    soon as the server took it; False when the server is unusable (the rest are given back
    untried)."""
    with store.engine.connect() as database:
        for index, mail in enumerate(claimed):
            try:
                refused = connection.send(
                    mail, envelope_from, functools.partial(mark_sent, database, mail.id)
                )
                database.commit()  # first thing after the 250: the mark and the delivery stand together
            except Exception as exc:  # every failure is kept on the row or gives it back
                database.rollback()  # not taken, or we cannot know: still claimed, not marked
                if server_unusable(exc, connection):  # try them all again next pass
                    log.warning(
                        "smtp %s:%s unusable (%s); %d mails wait",
                        settings.host,
                        settings.port,
                        classify(exc)[1],
                        len(claimed) - index,
                    )
                    if isinstance(exc, smtplib.SMTPAuthenticationError):
                        result.login_refused = f"{settings.host}:{settings.port} {classify(exc)[1]}"
                    release(store, [waiting.id for waiting in claimed[index:]])
                    result.deferred += len(claimed) - index
                    return False
                with store.transaction() as session:
                    _defer_or_fail(
                        session.get(OutboxMessage, mail.id),
                        *classify(exc),
                        settings,
                        result,
                        on_failure,
                    )
                continue
            if refused:  # some recipients were refused, the others took it
                note_refused(database, mail.id, refused)
            result.sent += 1
    return True


def mark_sent(database: Connection, row_id: int) -> None:
    """Marked in the open transaction, committed by the caller once the server took the mail."""
    database.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id)
        .values(status=OutboxStatus.SENT, sent_at=utcnow(), next_attempt_at=None)
    )


def note_refused(database: Connection, row_id: int, refused: dict) -> None:
    text = "refused: " + "; ".join(f"{r}: {c}" for r, (c, _) in refused.items())
    database.execute(
        update(OutboxMessage).where(OutboxMessage.id == row_id).values(last_error=text)
    )
    database.commit()


def _defer_or_fail(
    row: OutboxMessage,
    permanent: bool,
    what: str,
    settings: Smtp,
    result: Delivery,
    on_failure: Callable[[OutboxMessage], None] | None,
) -> None:
    row.last_error = what[:2000]
    if permanent or row.attempts >= settings.max_attempts:
        row.status, row.next_attempt_at = OutboxStatus.FAILED, None
        result.failed.append(row.id)
        log.error("outbox %s to %s failed for good: %s", row.id, row.recipients, what)
        if on_failure:
            on_failure(row)
        return
    pause = min(MAX_PAUSE, timedelta(seconds=settings.retry_seconds * 2 ** (row.attempts - 1)))
    row.status, row.next_attempt_at = OutboxStatus.QUEUED, utcnow() + pause
    result.deferred += 1
    log.warning("outbox %s deferred (%s); next try in %s", row.id, what, pause)


def release(store: Store, row_ids: list[int]) -> None:
    """Give claimed rows back untried (the server was unreachable): no attempt is counted."""
    with store.transaction() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(row_ids), OutboxMessage.status == OutboxStatus.SENDING)
            .values(
                status=OutboxStatus.QUEUED,
                attempts=OutboxMessage.attempts - 1,
                next_attempt_at=None,
            )
        )
