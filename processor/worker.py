"""The worker: poll every source, process each item, deliver the outbox; once, or on the
`schedule` timetable. Plain job functions, so another engine can run them later."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterable

import schedule

from processor import poison, problems
from processor.desk import Desk
from processor.pipeline import Incoming, Outcome, process
from processor.rounds import ROUND
from processor.sources import Done, Source
from processor.sources.folder import FolderSource
from processor.sources.imap import IdleWatcher, ImapSource
from processor.sources.maildir import MaildirSource

log = logging.getLogger(__name__)


def sources_of(desk: Desk) -> list[Source]:
    config = desk.config
    found: list[Source] = []
    for maildir in config.maildirs:
        found.append(MaildirSource(maildir.name, config.path(maildir.path)))
    for mailbox in config.imap:
        found.append(ImapSource(desk, mailbox))
    for folder in config.folders:
        incoming, processed, quarantine = config.folder_paths(folder)
        found.append(
            FolderSource(
                folder.name,
                incoming,
                processed,
                quarantine,
                config.limits.max_file_bytes,
                config.limits.max_message_bytes,
                config.desk.default_language,
            )
        )
    return found


def source_names(desk: Desk) -> list[str]:
    """What the worker reads, as its log names it: `maildir:inbox`, `imap:…` (IDLE), `folder:shared`."""
    config = desk.config
    names = [f"maildir:{maildir.name}" for maildir in config.maildirs]
    names += [
        f"imap:{mailbox.name}" + (" (IDLE)" if mailbox.idle else "") for mailbox in config.imap
    ]
    return names + [f"folder:{folder.name}" for folder in config.folders]


def poll(
    desk: Desk,
    on_outcome: Callable[[Outcome], None] | None = None,
    on_item: Callable[[Incoming], None] | None = None,
) -> list[Outcome]:
    """One pass over every source; an item that fails is counted and left for the next pass
    (quarantined after `[worker] max_tries`), a source that fails is noted for `status`.
    `on_item` hears of each item before it is processed, `on_outcome` after (a progress bar)."""
    outcomes = []
    for source in sources_of(desk):
        try:
            for outcome in process_items(desk, source.items(), on_item):
                outcomes.append(outcome)
                if on_outcome:
                    on_outcome(outcome)
        except Exception as exc:  # a mailbox down or a connection lost: the others go on
            log.warning(
                "source %s failed: %s: %s; it is tried again later",
                source.name,
                type(exc).__name__,
                exc,
            )
            noted(desk, source.name, f"{type(exc).__name__}: {exc}")
        else:
            if not getattr(
                source, "waiting", False
            ):  # a mailbox pausing after a failure was not read
                noted(desk, source.name, None)
    return outcomes


def noted(desk: Desk, source: str, error: str | None) -> None:
    try:
        problems.polled(desk, source, error)
    except Exception:  # noqa: BLE001 - the store down: the pass itself says so
        log.exception("could not note the pass of %s", source)


def process_items(
    desk: Desk,
    items: Iterable[tuple[Incoming, Done]],
    on_item: Callable[[Incoming], None] | None = None,
) -> Iterable[Outcome]:
    for item, done in items:
        if on_item:
            on_item(item)
        try:
            outcome = process(desk, item)
        except Exception as exc:  # counted on its document; quarantined once it has no tries left
            log.exception("could not process %s from %s", item.filename, item.source)
            outcome = poison.failed(desk, item, exc)
            if outcome is None:
                continue  # not settled: its source keeps it for the next pass
        try:
            done(outcome)
        except (
            Exception
        ):  # recorded in the store; settled in its source on a later pass, as a duplicate
            log.exception(
                "could not settle %s in %s; it is settled on a later pass",
                item.filename,
                item.source,
            )
            continue
        log.info(
            "%s %s: %s %s",
            item.source,
            item.filename,
            outcome.status,
            outcome.case_no or outcome.reason or "",
        )
        yield outcome


def run_once(
    desk: Desk,
    on_outcome: Callable[[Outcome], None] | None = None,
    on_item: Callable[[Incoming], None] | None = None,
) -> list[Outcome]:
    """One round (processor.rounds.ROUND), each step in turn; a step that fails is logged and
    the round goes on: it runs again on the next."""
    outcomes: list[Outcome] = []
    for job in ROUND:
        if job.per_source:
            outcomes.extend(poll(desk, on_outcome, on_item))
            continue
        for step in job.steps:
            try:
                done = step.run(desk)
            except Exception:  # a failing step must not stop intake, nor the steps after it
                log.exception("%s; it runs again on the next pass", step.failed)
                continue
            if step.outcomes:
                outcomes.extend(done)
    return outcomes


def _stop(*_signal: object) -> None:
    raise KeyboardInterrupt


def run_forever(desk: Desk) -> None:  # pragma: no cover - exercised by the CLI tests
    """Poll and deliver every `poll_seconds`, and at once when an IDLE mailbox reports new
    mail; Ctrl-C or SIGTERM stops it between jobs."""
    signal.signal(signal.SIGTERM, _stop)
    wake, stop = threading.Event(), threading.Event()
    for mailbox in desk.config.imap:
        if mailbox.idle:
            IdleWatcher(desk, mailbox, wake, stop).start()
    scheduler = schedule.Scheduler()
    scheduler.every(desk.config.worker.poll_seconds).seconds.do(run_once, desk)
    log.info(
        "worker started: polling %s every %s s",
        ", ".join(source_names(desk)) or "no source (check the config)",
        desk.config.worker.poll_seconds,
    )
    run_once(desk)
    try:
        while True:
            scheduler.run_pending()
            if wake.wait(timeout=max(0.2, min(scheduler.idle_seconds or 1, 5))):
                wake.clear()
                run_once(desk)
    except KeyboardInterrupt:
        stop.set()
        print("worker stopped", file=sys.stderr)
