"""An IMAP mailbox (imapclient): new mail found by UID, fetched in batches, archived and
committed by the pipeline first, then marked \\Seen and moved to the Processed or Quarantine
folder. The folder's UIDVALIDITY and last UID are kept in the store, so nothing is fetched
twice in normal running; after a crash or a UIDVALIDITY change the pipeline knows each mail by
its content hash and Message-ID, so nothing is processed twice either.

A server that cannot be reached is retried with a growing pause; the worker goes on with its
other sources meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from imapclient import DELETED, FLAGGED, SEEN, IMAPClient
from sqlalchemy import select

from parsers.model import ParseError
from processor.config import Imap
from processor.desk import Desk
from processor.mail_login import login_for, tls_context
from processor.pipeline import Incoming
from processor.sources import Done
from processor.store.models import MailboxState

log = logging.getLogger(__name__)

MAX_PAUSE_SECONDS = 300


@dataclass
class Backoff:
    """After a failure, wait 5 s, then 10, 20 … up to 5 minutes before trying again."""

    pause: float = 0.0
    not_before: float = 0.0

    def ready(self) -> bool:
        return time.monotonic() >= self.not_before

    def failed(self) -> float:
        self.pause = min(MAX_PAUSE_SECONDS, self.pause * 2 or 5)
        self.not_before = time.monotonic() + self.pause
        return self.pause

    def succeeded(self) -> None:
        self.pause, self.not_before = 0.0, 0.0


# One per mailbox for the life of the process: sources are made afresh on each pass.
_BACKOFF: dict[str, Backoff] = {}


def connect(desk: Desk, settings: Imap) -> IMAPClient:
    context = tls_context(desk.config, settings.ca_file)
    client = IMAPClient(
        settings.host,
        port=settings.port,
        ssl=settings.security == "tls",
        ssl_context=context,
        timeout=settings.timeout_seconds,
    )
    try:
        if settings.security == "starttls":
            client.starttls(context)
        login = login_for(settings, f"imap {settings.name}")
        if login and login.token:
            client.oauth2_login(login.username, login.token)
        elif login:
            client.login(login.username, login.password)
    except Exception:
        _close(client)
        raise
    return client


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - the connection may already be gone; nothing to save
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001
            pass


class ImapSource:
    def __init__(self, desk: Desk, settings: Imap) -> None:
        self.desk = desk
        self.settings = settings
        self.name = f"imap:{settings.name}"
        self.backoff = _BACKOFF.setdefault(self.name, Backoff())
        self.created: set[str] = set()
        self.waiting = False  # this pass skipped it (pausing after a failure)

    def items(self) -> Iterator[tuple[Incoming, Done]]:
        self.waiting = not self.backoff.ready()  # not read this pass: no good poll to note
        if self.waiting:
            log.debug("%s: waiting before the next attempt", self.name)
            return
        try:
            client = connect(self.desk, self.settings)
        except Exception:
            log.warning(
                "%s: cannot connect to %s:%s; next try in %.0f s",
                self.name,
                self.settings.host,
                self.settings.port,
                self.backoff.failed(),
            )
            raise
        try:
            yield from self._folder(client, self.settings.folder)
            self.backoff.succeeded()
        except Exception:
            log.warning("%s: connection lost; next try in %.0f s", self.name, self.backoff.failed())
            raise
        finally:
            _close(client)

    # ------------------------------------------------------------ reading

    def _folder(self, client: IMAPClient, folder: str) -> Iterator[tuple[Incoming, Done]]:
        selected = client.select_folder(folder)
        uidvalidity = int(selected[b"UIDVALIDITY"])
        last_uid = self._last_uid(folder, uidvalidity)
        uids = sorted(uid for uid in client.search(["UID", f"{last_uid + 1}:*"]) if uid > last_uid)
        if uids:
            log.info("%s: %d new in %s", self.name, len(uids), folder)
        self.unsettled: int | None = None  # the first UID of this pass left for the next one
        for start in range(0, len(uids), self.settings.batch_size):
            batch = uids[start : start + self.settings.batch_size]
            yield from self._batch(client, folder, uidvalidity, batch)

    def _batch(self, client: IMAPClient, folder: str, uidvalidity: int, batch: list[int]):  # noqa: ANN202
        limit = self.desk.limits.max_message_bytes
        sizes = {
            uid: found[b"RFC822.SIZE"]
            for uid, found in client.fetch(batch, ["RFC822.SIZE"]).items()
        }
        small = [uid for uid in batch if uid in sizes and sizes[uid] <= limit]
        large = [uid for uid in batch if uid in sizes and uid not in small]
        bodies = {
            uid: found[b"BODY[]"]
            for uid, found in (client.fetch(small, ["BODY.PEEK[]"]) if small else {}).items()
        }
        headers = {
            uid: found[b"BODY[HEADER]"]
            for uid, found in (client.fetch(large, ["BODY.PEEK[HEADER]"]) if large else {}).items()
        }
        settled: list[tuple[int, bool]] = []  # (uid, quarantined) of the items done so far
        try:
            for uid in batch:
                item = self._item(folder, uidvalidity, uid, bodies, headers, sizes)
                if item is None:  # expunged by someone else meanwhile
                    continue
                yield (
                    item,
                    lambda outcome, uid=uid: settled.append((uid, outcome.status == "quarantined")),
                )
                if self.unsettled is None and uid not in {done for done, _ in settled}:
                    self.unsettled = (
                        uid  # the reader kept it for the next pass: the last UID stays below
                    )
        except GeneratorExit:  # the reader stopped early: settle what it finished, if we still can
            try:
                self.settle(client, folder, uidvalidity, settled)
            except Exception:  # noqa: BLE001 - read again next time, and known by content then
                log.warning(
                    "%s: could not mark %d processed mails; they are read again next time",
                    self.name,
                    len(settled),
                )
            raise
        self.settle(client, folder, uidvalidity, settled)

    def _item(
        self, folder: str, uidvalidity: int, uid: int, bodies: dict, headers: dict, sizes: dict
    ) -> Incoming | None:
        """A fetched mail; one over the size limit only by its headers, with the reason."""
        ref, filename = (
            f"{folder};UIDVALIDITY={uidvalidity};UID={uid}",
            f"{self.settings.name}-{uid}.eml",
        )
        if uid in bodies:
            return Incoming(self.name, ref, filename, bodies[uid])
        if uid in headers:
            limit = self.desk.limits.max_message_bytes
            return Incoming(
                self.name,
                ref,
                filename,
                headers[uid],
                refusal=ParseError(
                    "message_too_large",
                    size=f"{sizes[uid] / 2**20:.0f}",
                    limit=f"{limit / 2**20:.0f}",
                ),
            )
        return None

    # ------------------------------------------------------------ settling

    def settle(
        self, client: IMAPClient, folder: str, uidvalidity: int, settled: list[tuple[int, bool]]
    ) -> None:
        """After the pipeline committed the batch's items: flag and move them, a command for
        all at once, then remember the last UID. A crash before this reads them again next
        time, and the store knows them by content: nothing is processed twice."""
        for quarantined in (False, True):
            uids = [uid for uid, bad in settled if bad == quarantined]
            if not uids:
                continue
            client.add_flags(uids, [SEEN, FLAGGED] if quarantined else [SEEN])
            target = (
                self.settings.quarantine_folder if quarantined else self.settings.processed_folder
            )
            if target and target != folder:
                self._move(client, uids, target)
        passed = [uid for uid, _ in settled if self.unsettled is None or uid < self.unsettled]
        if passed:  # never past a mail that is not settled: it must be fetched again next pass
            self._remember(folder, uidvalidity, max(passed))
        settled.clear()

    def _move(self, client: IMAPClient, uids: list[int], target: str) -> None:
        if target not in self.created:
            if not client.folder_exists(target):
                client.create_folder(target)
            self.created.add(target)
        if client.has_capability("MOVE"):
            client.move(uids, target)
            return
        client.copy(uids, target)  # RFC 3501 servers without MOVE: COPY, \Deleted, EXPUNGE
        client.add_flags(uids, [DELETED])
        if client.has_capability("UIDPLUS"):
            client.uid_expunge(uids)
        else:
            client.expunge()

    # ------------------------------------------------------------ state

    def _last_uid(self, folder: str, uidvalidity: int) -> int:
        with self.desk.store.transaction() as session:
            state = self._state(session, folder)
            if state.uidvalidity != uidvalidity:
                if state.uidvalidity is not None:
                    log.warning(
                        "%s: UIDVALIDITY of %s changed (%s → %s): reading it again; mail already "
                        "processed is known by content and Message-ID",
                        self.name,
                        folder,
                        state.uidvalidity,
                        uidvalidity,
                    )
                state.uidvalidity, state.last_uid = uidvalidity, 0
            return state.last_uid

    def _remember(self, folder: str, uidvalidity: int, uid: int) -> None:
        with self.desk.store.transaction() as session:
            state = self._state(session, folder)
            if state.uidvalidity == uidvalidity and uid > state.last_uid:
                state.last_uid = uid

    def _state(self, session, folder: str) -> MailboxState:  # noqa: ANN001
        state = session.scalars(
            select(MailboxState).where(
                MailboxState.source == self.name, MailboxState.folder == folder
            )
        ).first()
        if state is None:
            state = MailboxState(source=self.name, folder=folder, uidvalidity=None, last_uid=0)
            session.add(state)
            session.flush()
        return state


# ---------------------------------------------------------------- IDLE

RE_IDLE_SECONDS = 25 * 60  # RFC 2177: servers may drop an IDLE after 30 minutes
IDLE_CHECK_SECONDS = 5.0


class IdleWatcher(threading.Thread):
    """Waits in IMAP IDLE on one mailbox and sets `wake` when mail arrives, so the worker
    polls at once instead of at its next interval. Re-IDLEs every 25 minutes; after a dropped
    connection it reconnects with the same growing pause as polling."""

    def __init__(
        self, desk: Desk, settings: Imap, wake: threading.Event, stop: threading.Event
    ) -> None:
        super().__init__(name=f"idle:{settings.name}", daemon=True)
        self.desk, self.settings, self.wake, self.stop_event = desk, settings, wake, stop
        self.backoff = Backoff()

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                self._watch()
                return
            except Exception as exc:  # noqa: BLE001 - network trouble: wait, then reconnect
                pause = self.backoff.failed()
                log.warning(
                    "imap:%s IDLE: %s: %s; reconnecting in %.0f s",
                    self.settings.name,
                    type(exc).__name__,
                    exc,
                    pause,
                )
                self.stop_event.wait(pause)

    def _watch(self) -> None:
        client = connect(self.desk, self.settings)
        try:
            if not client.has_capability("IDLE"):
                log.warning("imap:%s: the server has no IDLE; polling only", self.settings.name)
                return
            client.select_folder(self.settings.folder, readonly=True)
            self.backoff.succeeded()
            log.info(
                "imap:%s: waiting in IDLE for new mail in %s on %s",
                self.settings.name,
                self.settings.folder,
                self.settings.host,
            )
            first = True
            while not self.stop_event.is_set():
                client.idle()
                if first:  # mail that came before the IDLE began raises no EXISTS: poll once
                    self.wake.set()
                    first = False
                started = time.monotonic()
                while not self.stop_event.is_set() and time.monotonic() - started < RE_IDLE_SECONDS:
                    checked = time.monotonic()
                    responses = client.idle_check(timeout=IDLE_CHECK_SECONDS)
                    if not responses and time.monotonic() - checked < IDLE_CHECK_SECONDS / 2:
                        # imapclient swallows EOF while idling: readable with nothing to read is a
                        # closed connection
                        raise ConnectionError("the server closed the connection during IDLE")
                    if any(
                        len(response) > 1 and response[1] in (b"EXISTS", b"RECENT")
                        for response in responses
                    ):
                        log.info(
                            "imap:%s: new mail in %s (IDLE)",
                            self.settings.name,
                            self.settings.folder,
                        )
                        self.wake.set()
                client.idle_done()
        finally:
            _close(client)
