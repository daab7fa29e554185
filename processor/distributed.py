"""Several workers on several hosts, through procrastinate (jobs kept in the desk's own
PostgreSQL — no other broker to run). The jobs are the single-process worker's round, one table
for both (processor.rounds.ROUND: each entry is a task of its name, with its locks):

- `poll_source(name)`: one source (mailbox, Maildir, shared folder) read: each item archived,
  registered and settled, and a `process_document` job deferred for it, so documents are
  spread over the workers; a lock per source, so one worker at a time reads a mailbox, and a
  queueing lock, so at most one poll per source waits.
- `deliver_outbox()`: the outbox sent (rows are claimed in batches that skip rows another
  worker holds, so workers never send a mail twice); deferred after each document, at most one
  waiting; retried by the engine on failure.
- `desk_jobs()`: scans waiting for OCR, escalations, callbacks, auto-close, digests and reports,
  the checks for problems; `import_master_data()`.
- `tick` (periodic, every minute): defers the above. procrastinate defers a periodic task once
  per period across all workers.
- A worker killed mid-job leaves its jobs `doing`: procrastinate only marks the worker stalled
  once its heartbeat stops. `take_over_stalled` runs them again (`[worker] stalled_seconds`),
  at each tick, at start and, with `--once`, while waiting for the end; every job here is safe
  to run twice.

Run `aftersales run --distributed` on each host (the config's store must be PostgreSQL).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable

import procrastinate
import psycopg

from processor.archive import read_original
from processor.config import Config
from processor.desk import Desk
from processor.errors import ConfigError
from processor.pipeline import Outcome, accept, process, process_registered
from processor.poison import failed_document
from processor.problems import polled
from processor.rounds import ROUND, Job
from processor.sources.folder import FolderSource
from processor.store.models import Document
from processor.worker import sources_of

log = logging.getLogger(__name__)

QUEUE = "aftersales"
# a job held back by a lock is not announced when the lock frees: look again this often
FETCH_SECONDS = 1.0


def conninfo(config: Config) -> str:
    url = config.database_url
    if not url.startswith("postgresql"):
        raise ConfigError(
            'distributed workers need a PostgreSQL store: set [store] url = "postgresql+psycopg://…"'
        )
    return "postgresql://" + url.split("://", 1)[1]


def opened_once(config: Config) -> Callable[[], Desk]:
    """This process's desk, opened from the loaded config at its first use (in the worker, not
    when the app is made) and shared by every job after it."""
    lock = threading.Lock()
    opened: list[Desk] = []

    def desk() -> Desk:
        with lock:  # jobs run in threads: the first two must not open two desks
            if not opened:
                opened.append(Desk.open(config))
            return opened[0]

    return desk


Defer = Callable[..., None]


def make_app(config: Config, desk: Callable[[], Desk] | None = None) -> procrastinate.App:
    """The jobs of the round (processor.rounds.ROUND) and `process_document` as procrastinate
    tasks. Each task is a thin coroutine: the sync work runs in a thread (documents in
    parallel), and deferring further jobs goes back to the worker's event loop, which is free
    meanwhile (deferring from the thread itself would wait on a loop the job blocks)."""
    # autocommit: each of procrastinate's queries is one statement (a stored procedure); in a
    # transaction of its own it would cost a BEGIN and a COMMIT more, two round trips a query
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=conninfo(config), configure=autocommit)
    )
    desk = desk or opened_once(config)

    async def in_thread(work: Callable[[Defer], object]) -> object:
        loop = asyncio.get_running_loop()

        def defer(
            task: str,
            lock: str | None = None,
            queueing_lock: str | None = None,
            *,
            look_first: bool = True,
            **kwargs: object,
        ) -> None:
            future = asyncio.run_coroutine_threadsafe(
                _defer(app, task, lock, queueing_lock, kwargs, look_first), loop
            )
            future.result(timeout=60)

        return await asyncio.to_thread(work, defer)

    async def poll_source(name: str) -> object:
        return await in_thread(lambda defer: poll(desk(), name, defer))

    def steps_of(job: Job) -> Callable[[], Awaitable[object]]:
        async def run_steps() -> object:
            return await in_thread(lambda defer: [step.run(desk()) for step in job.steps])

        return run_steps

    for job in ROUND:
        app.task(
            queue=QUEUE,
            name=job.name,
            lock=None if job.per_source else job.lock,
            retry=retry_of(job),
        )(poll_source if job.per_source else steps_of(job))

    @app.task(queue=QUEUE, name="process_document", retry=config.worker.max_tries - 1)
    async def process_document(document_id: int) -> object:
        return await in_thread(lambda defer: process_one(desk(), document_id, defer))

    @app.periodic(cron="* * * * *", periodic_id="tick")
    @app.task(queue=QUEUE, name="tick", queueing_lock="tick")
    async def tick(timestamp: int) -> None:
        await take_over_stalled(app, config.worker.stalled_seconds)
        for task, lock, queueing_lock, kwargs in first_round(desk()):
            await _defer(app, task, lock, queueing_lock, kwargs)

    return app


def retry_of(job: Job) -> procrastinate.RetryStrategy | bool:
    if not job.retries:
        return False
    return procrastinate.RetryStrategy(max_attempts=job.retries, wait=job.retry_wait)


async def autocommit(connection: psycopg.AsyncConnection) -> None:
    """The pool's hook for each new connection."""
    await connection.set_autocommit(True)


async def _defer(
    app: procrastinate.App,
    task: str,
    lock: str | None,
    queueing_lock: str | None,
    kwargs: dict,
    look_first: bool = True,
) -> None:
    """Defer a job, unless one with its queueing lock waits already. For a shared lock (every
    document defers the outbox) looking first spares the server's log a duplicate-key error
    per document; a lock seldom taken (a document's own) is not looked at first
    (`look_first=False`). The lock itself still settles a race."""
    if queueing_lock and look_first and await already_waiting(app, queueing_lock):
        return
    try:
        await app.configure_task(
            task, queue=QUEUE, lock=lock, queueing_lock=queueing_lock
        ).defer_async(**kwargs)
    except procrastinate.exceptions.AlreadyEnqueued:
        pass  # one is waiting already


async def take_over_stalled(app: procrastinate.App, stalled_seconds: float) -> int:
    """Run again the jobs of workers silent for `stalled_seconds` (killed, or their host gone):
    procrastinate forgets such workers but leaves their jobs `doing`, where a job's lock would
    also keep every later job with that lock (a mailbox's next poll) from running."""
    manager = app.job_manager
    await manager.prune_stalled_workers(stalled_seconds)
    stalled = await manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=stalled_seconds)
    for job in stalled:
        log.warning("job %s (%s) of a stalled worker is run again", job.id, job.task_name)
        try:
            try:
                await manager.retry_job(job)
            except (
                procrastinate.exceptions.UniqueViolation
            ):  # one with its queueing lock waits already:
                await manager.finish_job(
                    job, procrastinate.jobs.Status.FAILED, delete_job=False
                )  # that one does it
        except (
            procrastinate.exceptions.ConnectorException
        ):  # of retry or finish: another worker took it first
            log.info("job %s was taken over by another worker meanwhile", job.id)
    return len(stalled)


async def already_waiting(app: procrastinate.App, queueing_lock: str) -> bool:
    row = await app.connector.execute_query_one_async(
        "select exists (select 1 from procrastinate_jobs where queueing_lock = %(lock)s and status = 'todo') as waiting",
        lock=queueing_lock,
    )
    return bool(row["waiting"])


def first_round(current: Desk) -> list[tuple[str, str | None, str | None, dict]]:
    """(task, lock, queueing lock, arguments) of each job of a round (processor.rounds.ROUND):
    master data, a poll per source, the desk's jobs and the outbox (no lock: its rows are
    claimed by whichever worker takes them)."""
    deferred: list[tuple[str, str | None, str | None, dict]] = []
    for job in ROUND:
        if job.per_source:
            deferred += [
                (job.name, *job.locks(source.name), {"name": source.name})
                for source in sources_of(current)
            ]
        else:
            deferred.append((job.name, *job.locks(), {}))
    return deferred


def poll(current: Desk, name: str, defer: Defer) -> int:
    """Read a source: each new item archived and registered, a job deferred to process it (on
    whichever worker is free), then the item settled in its source."""
    source = next((s for s in sources_of(current) if s.name == name), None)
    if source is None:
        log.warning("no source %s in the config", name)
        return 0
    count = 0
    try:
        for item, done in source.items():
            if item.refusal:  # only its headers were fetched: decided here and now
                done(process(current, item))
                continue
            document_id, new = accept(current, item)
            if new:
                defer(
                    "process_document",
                    None,
                    f"document:{document_id}",
                    look_first=False,
                    document_id=document_id,
                )
                count += 1
            done(
                Outcome("processed" if new else "duplicate", item.filename, document_id=document_id)
            )
    except (
        Exception
    ) as exc:  # noted for `status` and the unreachable-mailbox check; the engine retries
        polled(current, source.name, f"{type(exc).__name__}: {exc}")
        raise
    if not getattr(source, "waiting", False):
        polled(current, source.name, None)
    return count


def process_one(current: Desk, document_id: int, defer: Defer) -> str:
    try:
        outcome = process_registered(current, document_id)
    except Exception as exc:  # counted; the engine retries it until it is a poison item
        outcome = failed_registered(current, document_id, exc)
        if outcome is None:
            raise
    if outcome.status == "quarantined" and outcome.reason:
        quarantine_in_folder(current, document_id, outcome.reason)
    # its mails go out now, not at the next tick: one delivery job waits at most, and sends
    # what the documents processed meanwhile queued too, over one connection
    defer("deliver_outbox", None, "outbox")
    return outcome.status


def failed_registered(current: Desk, document_id: int, exc: Exception):  # noqa: ANN201
    """A registered document's failed try counted (processor.poison), from the archive's copy."""
    with current.store.transaction() as session:
        row = session.get(Document, document_id)
        digest, source, filename = row.sha256, row.source, row.filename
        data = read_original(current.config.archive_dir, session, row)
    return failed_document(
        current, digest, source, filename, data, f"{type(exc).__name__}: {exc}"[:2000]
    )


def quarantine_in_folder(current: Desk, document_id: int, reason: str) -> None:
    """A shared-folder file found bad after it left the folder: a copy goes to its quarantine."""
    with current.store.transaction() as session:
        row = session.get(Document, document_id)
        source = next(
            (
                s
                for s in sources_of(current)
                if s.name == row.source and isinstance(s, FolderSource)
            ),
            None,
        )
        if source is not None:
            source.quarantine_copy(
                row.filename,
                read_original(current.config.archive_dir, session, row),
                reason,
                row.reason,
            )


def run(config: Config, *, once: bool = False, concurrency: int = 2) -> None:
    """Apply the job tables if needed, queue a first round, and work (until stopped, or until
    no job of ours is left with `once`)."""
    desk = opened_once(config)
    app = make_app(config, desk)
    ensure_schema(app, conninfo(config))
    stalled = config.worker.stalled_seconds
    options = dict(
        queues=[QUEUE],
        concurrency=concurrency,
        stalled_worker_timeout=stalled,
        update_heartbeat_interval=min(10.0, stalled / 6),
        fetch_job_polling_interval=FETCH_SECONDS,
    )

    async def start() -> None:
        async with app.open_async():
            await take_over_stalled(app, stalled)
            for task, lock, queueing_lock, kwargs in first_round(desk()):
                await _defer(app, task, lock, queueing_lock, kwargs)
            if once:
                await work_until_idle(app, options, stalled)

    asyncio.run(start())
    if not once:
        app.run_worker(wait=True, **options)


async def work_until_idle(app: procrastinate.App, options: dict, stalled_seconds: float) -> None:
    """--once: work until no job of ours waits or runs, also those deferred by jobs meanwhile
    (a poll defers a job per document, each document the outbox), and those a killed worker
    left, once they count as stalled. The worker is stopped from outside rather than with
    wait=False, which stops at the first empty look while jobs still run and still defer."""
    worker = asyncio.create_task(app.run_worker_async(wait=True, **options))
    quiet, looks = 0, 0
    while (
        quiet < 2 and not worker.done()
    ):  # two looks in a row: a job defers its follow-ups before it ends
        await asyncio.sleep(0.1)
        looks += 1
        if looks % 10 == 0:  # once a second
            await take_over_stalled(app, stalled_seconds)
        quiet = quiet + 1 if await waiting_jobs(app) == 0 else 0
    worker.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await worker


async def waiting_jobs(app: procrastinate.App) -> int:
    """Jobs of ours waiting or running, over the app's own pool of connections."""
    row = await app.connector.execute_query_one_async(
        "select count(*) as waiting from procrastinate_jobs where queue_name = %(queue)s and status in ('todo', 'doing')",
        queue=QUEUE,
    )
    return int(row["waiting"])


def ensure_schema(app: procrastinate.App, dsn: str) -> None:
    """procrastinate's own tables, created once (its schema is not part of our migrations);
    an advisory lock keeps two workers starting together from both creating them."""
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("select pg_advisory_lock(4242001)")
        try:
            if connection.execute("select to_regclass('procrastinate_jobs')").fetchone()[0] is None:
                connection.execute(app.schema_manager.get_schema())
        finally:
            connection.execute("select pg_advisory_unlock(4242001)")
