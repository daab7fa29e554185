"""Case numbers: CS-YYMM-NNNN, restarting monthly, never repeated or skipped under concurrency."""

from __future__ import annotations

import multiprocessing
from datetime import datetime

import pytest

from processor.case_numbers import next_case_number
from processor.store import open_store

PATTERN = "CS-{yy}{mm}-{seq:04d}"


def test_sequence_restarts_each_month(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/s.db")
    with store.transaction() as session:
        first = [next_case_number(session, datetime(2026, 11, 3), PATTERN) for _ in range(2)]
        december = next_case_number(session, datetime(2026, 12, 1), PATTERN)
    assert first == ["CS-2611-0001", "CS-2611-0002"]
    assert december == "CS-2612-0001"


def test_rolled_back_number_is_handed_out_again(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/s.db")
    try:
        with store.transaction() as session:
            next_case_number(session, datetime(2026, 11, 3), PATTERN)
            raise RuntimeError("case could not be saved")
    except RuntimeError:
        pass
    with store.transaction() as session:
        assert next_case_number(session, datetime(2026, 11, 3), PATTERN) == "CS-2611-0001"


def _allocate(url: str, count: int, queue) -> None:  # noqa: ANN001
    store = open_store(url)
    numbers = []
    for _ in range(count):
        with store.transaction() as session:
            numbers.append(next_case_number(session, datetime(2026, 11, 3), PATTERN))
    queue.put(numbers)


def allocate_concurrently(url: str, processes: int, each: int, timeout: float = 120) -> list[str]:
    """Case numbers taken by `processes` processes at once, `each` apiece, on one store."""
    open_store(url).close()
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_allocate, args=(url, each, queue)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    numbers = [n for _ in workers for n in queue.get(timeout=timeout)]
    for worker in workers:
        worker.join(timeout=60)
    return numbers


@pytest.mark.slow  # several processes
def test_concurrent_writers_never_repeat_or_skip(tmp_path):
    numbers = allocate_concurrently(f"sqlite:///{tmp_path}/s.db", 4, 25, timeout=60)
    assert sorted(numbers) == [f"CS-2611-{i:04d}" for i in range(1, 101)]
