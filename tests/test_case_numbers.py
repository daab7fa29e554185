"""Case numbers: CS-YYMM-NNNN, restarting monthly, never repeated or skipped under concurrency."""

from __future__ import annotations

import multiprocessing
from datetime import datetime

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


def test_concurrent_writers_never_repeat_or_skip(tmp_path):
    url = f"sqlite:///{tmp_path}/s.db"
    open_store(url).close()
    queue = multiprocessing.get_context("spawn").Queue()
    workers = [multiprocessing.get_context("spawn").Process(target=_allocate, args=(url, 25, queue)) for _ in range(4)]
    for worker in workers:
        worker.start()
    numbers = [n for _ in workers for n in queue.get(timeout=60)]
    for worker in workers:
        worker.join(timeout=60)
    assert sorted(numbers) == [f"CS-2611-{i:04d}" for i in range(1, 101)]
