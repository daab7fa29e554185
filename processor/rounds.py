"""The worker's round as one table: what a round does to the desk, in which order, and under
which name and locks. The single-process worker (processor.worker) runs the table entry by
entry; the distributed worker (processor.distributed) makes each entry a procrastinate task of
that name and defers the table as its first round and at every tick.

To add something the worker does every round: write its function (desk → anything) and add a
`Step` to a `Job` here, or a new `Job` (the distributed worker then has a task of its name)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from processor.delivery import deliver
from processor.desk import Desk
from processor.jobs import run_jobs
from processor.master_data import import_folder
from processor.pipeline import retry_waiting_for_ocr
from processor.problems import run_checks

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Step:
    """One thing a round does. The single-process worker logs its failure and goes on (it runs
    again next round); in the distributed worker it fails its job."""

    run: Callable[[Desk], object]
    failed: str  # what the log says when it fails
    outcomes: bool = False  # it returns Outcomes, counted among the round's items


@dataclass(frozen=True)
class Job:
    """A job of the round: `name` is its task in the distributed worker; `lock` keeps it to one
    worker at a time, `queueing_lock` lets at most one wait. `per_source`: one job a source,
    each worker reading it its own way (the single one processes each item at once, the
    distributed one defers a job per item); `{source}` in a lock is the source's name."""

    name: str
    steps: tuple[Step, ...] = ()
    lock: str | None = None
    queueing_lock: str | None = None
    per_source: bool = False
    retries: int = (
        0  # distributed: the engine's retries after a failure (0: the next tick runs it again)
    )
    retry_wait: int = 0  # distributed: seconds before each retry

    def locks(self, source: str | None = None) -> tuple[str | None, str | None]:
        return tuple(
            lock.format(source=source) if lock else None for lock in (self.lock, self.queueing_lock)
        )


def clock_jobs(desk: Desk) -> dict[str, int]:
    """Escalations, callbacks, auto-close, digests and reports (processor.jobs); what they did
    is logged."""
    done = run_jobs(desk)
    if any(done.values()):
        log.info("jobs: %s", ", ".join(f"{name} {count}" for name, count in done.items() if count))
    return done


def master_data(desk: Desk) -> int:
    return len(import_folder(desk))


# The round, in order: master data first (the sheets of this round are decided with it), then
# every source, then what the clock and the waiting scans ask for, the checks for problems,
# and last the outbox, which sends what all of these queued.
ROUND: tuple[Job, ...] = (
    Job(
        "import_master_data",
        (Step(master_data, "importing master data failed"),),
        lock="master_data",
        queueing_lock="master_data",
    ),
    Job(
        "poll_source",
        per_source=True,
        lock="source:{source}",
        queueing_lock="source:{source}",
        retries=2,
    ),
    Job(
        "desk_jobs",
        (
            Step(
                retry_waiting_for_ocr,
                "scans waiting for OCR could not be taken up again",
                outcomes=True,
            ),
            Step(clock_jobs, "the desk's jobs failed"),
            Step(run_checks, "checking for problems failed"),
        ),
        lock="desk_jobs",
        queueing_lock="desk_jobs",
    ),
    Job(
        "deliver_outbox",
        (Step(deliver, "delivering the outbox failed; the outbox keeps every mail"),),
        queueing_lock="outbox",
        retries=5,
        retry_wait=10,
    ),
)


def job(name: str) -> Job:
    return next(entry for entry in ROUND if entry.name == name)
