"""Several workers on several hosts, through procrastinate (jobs kept in the desk's own
PostgreSQL — no other broker to run). The job functions are the single-process worker's:

- `poll_source(name)`: one source (mailbox, Maildir, shared folder) read: each item archived,
  registered and settled, and a `process_document` job deferred for it, so documents are
  spread over the workers; a lock per source, so one worker at a time reads a mailbox, and a
  queueing lock, so at most one poll per source waits.
- `deliver_outbox()`: the outbox sent (rows are claimed one by one, so workers never send a
  mail twice); retried by the engine on failure.
- `desk_jobs()`: escalations, callbacks, auto-close, digests and reports; `import_master_data()`.
- `tick` (periodic, every minute): defers the above. procrastinate defers a periodic task once
  per period across all workers; a dead worker's jobs are taken up again by the others once its
  heartbeat stops (`stalled_worker_timeout`).

Run `aftersales run --distributed` on each host (the config's store must be PostgreSQL).
"""

from __future__ import annotations

import logging
import threading
import time
from functools import lru_cache

import procrastinate

from processor.config import Config
from processor.desk import Desk
from processor.errors import ConfigError

log = logging.getLogger(__name__)

QUEUE = "aftersales"
STALLED_SECONDS = 60


def conninfo(config: Config) -> str:
    url = config.database_url
    if not url.startswith("postgresql"):
        raise ConfigError("distributed workers need a PostgreSQL store: set [store] url = \"postgresql+psycopg://…\"")
    return "postgresql://" + url.split("://", 1)[1]


@lru_cache(maxsize=1)
def _desk_for(config_file: str) -> Desk:
    from pathlib import Path

    from processor.config import load_config

    return Desk.open(load_config(Path(config_file)))


_deferrers: dict[str, procrastinate.App] = {}
_deferrer_lock = threading.Lock()


def defer_from_task(dsn: str, task: str, lock: str | None, queueing_lock: str | None, **kwargs) -> None:  # noqa: ANN003
    """Defer a job from inside a running (sync) job. The worker's own connector is async and
    waits on the worker's event loop, which a sync job blocks: with two jobs deferring at once
    that deadlocks, so jobs defer through a synchronous connector of their own."""
    with _deferrer_lock:
        app = _deferrers.get(dsn)
        if app is None:
            app = procrastinate.App(connector=procrastinate.SyncPsycopgConnector(conninfo=dsn)).open()
            _deferrers[dsn] = app
    try:
        app.configure_task(task, queue=QUEUE, lock=lock, queueing_lock=queueing_lock).defer(**kwargs)
    except procrastinate.exceptions.AlreadyEnqueued:
        pass  # one is waiting already


def make_app(config: Config) -> procrastinate.App:
    dsn = conninfo(config)
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=dsn))
    config_file = str(config.source_file)

    def desk() -> Desk:
        return _desk_for(config_file)

    @app.task(queue=QUEUE, name="poll_source", retry=2)
    def poll_source(name: str) -> int:
        """Read a source: each new item archived and registered, a job deferred to process it
        (on whichever worker is free), then the item settled in its source."""
        from processor.pipeline import Outcome, accept, process
        from processor.worker import sources_of

        source = next((s for s in sources_of(desk()) if s.name == name), None)
        if source is None:
            log.warning("no source %s in the config", name)
            return 0
        count = 0
        for item, done in source.items():
            if item.refusal:  # only its headers were fetched: decided here and now
                done(process(desk(), item))
                continue
            document_id, new = accept(desk(), item)
            if new:
                defer_from_task(dsn, "process_document", None, f"document:{document_id}", document_id=document_id)
                count += 1
            done(Outcome("processed" if new else "duplicate", item.filename, document_id=document_id))
        return count

    @app.task(queue=QUEUE, name="process_document", retry=2)
    def process_document(document_id: int) -> str:
        from processor.pipeline import process_registered

        outcome = process_registered(desk(), document_id)
        if outcome.status == "quarantined" and outcome.reason:
            quarantine_in_folder(desk(), document_id, outcome.reason)
        defer_from_task(dsn, "deliver_outbox", None, "outbox")  # its mails go out now, not at the next tick
        return outcome.status

    @app.task(queue=QUEUE, name="deliver_outbox", retry=procrastinate.RetryStrategy(max_attempts=5, wait=10))
    def deliver_outbox() -> int:
        from processor.delivery import deliver

        return deliver(desk())

    @app.task(queue=QUEUE, name="desk_jobs", lock="desk_jobs")
    def desk_jobs() -> dict:
        from processor.jobs import run_jobs
        from processor.pipeline import retry_waiting_for_ocr

        retry_waiting_for_ocr(desk())
        return run_jobs(desk())

    @app.task(queue=QUEUE, name="import_master_data", lock="master_data")
    def import_master_data() -> int:
        from processor.master_data import import_folder

        return len(import_folder(desk()))

    @app.periodic(cron="* * * * *", periodic_id="tick")
    @app.task(queue=QUEUE, name="tick", queueing_lock="tick")
    def tick(timestamp: int) -> None:
        defer_all(desk())

    def defer_all(current: Desk) -> None:
        from processor.worker import sources_of

        for lock, task, kwargs in [("master_data", "import_master_data", {}),
                                   *[(f"source:{s.name}", "poll_source", {"name": s.name}) for s in sources_of(current)],
                                   (None, "deliver_outbox", {}), ("desk_jobs", "desk_jobs", {})]:
            # the outbox needs no lock: its rows are claimed one by one
            defer_from_task(dsn, task, lock, lock or "outbox", **kwargs)

    app.defer_all = defer_all  # type: ignore[attr-defined]
    return app


def quarantine_in_folder(current: Desk, document_id: int, reason: str) -> None:
    """A shared-folder file found bad after it left the folder: a copy goes to its quarantine."""
    from processor.sources.folder import FolderSource
    from processor.store.models import Document
    from processor.worker import sources_of

    with current.store.transaction() as session:
        row = session.get(Document, document_id)
        source = next((s for s in sources_of(current) if s.name == row.source and isinstance(s, FolderSource)), None)
        if source is not None:
            source.quarantine_copy(row.filename, (current.config.archive_dir / row.archive_path).read_bytes(), reason)


def run(config: Config, *, once: bool = False, concurrency: int = 2) -> None:
    """Apply the job tables if needed, queue a first round, and work (until stopped, or until
    the queue is empty with `once`)."""
    app = make_app(config)
    ensure_schema(app, conninfo(config))
    app.defer_all(_desk_for(str(config.source_file)))  # type: ignore[attr-defined]
    options = dict(queues=[QUEUE], concurrency=concurrency, stalled_worker_timeout=STALLED_SECONDS,
                   update_heartbeat_interval=5)
    if not once:
        app.run_worker(wait=True, **options)
        return
    # --once: work until no job of ours is left, also those deferred by jobs that ended after
    # the queue first looked empty (a long poll defers its outbox when it is done)
    for _ in range(120):
        app.run_worker(wait=False, **options)
        if waiting_jobs(conninfo(config)) == 0:
            return
        time.sleep(0.5)


def waiting_jobs(dsn: str) -> int:
    import psycopg

    with psycopg.connect(dsn) as connection:
        return connection.execute("select count(*) from procrastinate_jobs where queue_name = %s and status in ('todo', 'doing')",
                                  (QUEUE,)).fetchone()[0]


def ensure_schema(app: procrastinate.App, dsn: str) -> None:
    """procrastinate's own tables, created once (its schema is not part of our migrations);
    an advisory lock keeps two workers starting together from both creating them."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("select pg_advisory_lock(4242001)")
        try:
            if connection.execute("select to_regclass('procrastinate_jobs')").fetchone()[0] is None:
                connection.execute(app.schema_manager.get_schema())
        finally:
            connection.execute("select pg_advisory_unlock(4242001)")
