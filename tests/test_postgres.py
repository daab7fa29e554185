"""The store on a real PostgreSQL (psycopg 3): the same migrations, the pipeline, case numbers
from concurrent processes, and reports sent once by two workers."""

from __future__ import annotations

import multiprocessing

import pytest
from sqlalchemy import func, select

from processor.config import load_config
from processor.desk import Desk
from processor.pipeline import Incoming, process
from processor.store.models import Case, OutboxMessage, Report
from tests.conftest import EXAMPLE_CONFIG, sample
from tests.pgserver import PostgresServer, bindir
from tests.test_case_numbers import allocate_concurrently

pytestmark = [
    pytest.mark.slow,  # PostgreSQL
    pytest.mark.skipif(bindir() is None, reason="PostgreSQL is installed by make test"),
]


@pytest.fixture(scope="module")
def postgres():
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_desk_dir(tmp_path, postgres):
    tmp_path = tmp_path / "pg"
    tmp_path.mkdir()
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8").replace(
        'url = "sqlite:///aftersales.db"', f'url = "{postgres.database()}"'
    )
    (tmp_path / "aftersales.toml").write_text(text, encoding="utf-8")
    for sub in ("shared/incoming", "inbox/new", "inbox/cur", "inbox/tmp", "master"):
        (tmp_path / sub).mkdir(parents=True)
    return tmp_path


def test_migrations_and_the_pipeline_on_postgresql(pg_desk_dir):
    with Desk.open(load_config(pg_desk_dir / "aftersales.toml")) as desk:
        assert desk.store.engine.dialect.name == "postgresql"
        first = process(desk, Incoming("test", "1", "001.eml", sample("001-").read_bytes()))
        again = process(desk, Incoming("test", "2", "001-again.eml", sample("001-").read_bytes()))
        sheet = process(
            desk, Incoming("folder:shared", "028", "028.xlsx", sample("028-").read_bytes())
        )
        assert (first.status, again.status, sheet.status) == ("processed", "duplicate", "processed")
        with desk.store.transaction() as session:
            assert session.scalar(select(func.count(Case.id))) == 2
            assert session.scalar(select(func.count(OutboxMessage.id))) >= 3


def test_concurrent_case_numbers_on_postgresql(postgres):
    numbers = allocate_concurrently(postgres.database(), 4, 50)
    assert sorted(numbers) == [f"CS-2611-{i:04d}" for i in range(1, 201)]


def _reports(config: str, queue) -> None:  # noqa: ANN001
    from pathlib import Path

    from processor import reports
    from tests.test_reports import local

    with Desk.open(load_config(Path(config))) as desk:
        queue.put(reports.send_due_reports(desk, local("2026-11-03T09:30")))


def test_two_workers_send_each_report_once_on_postgresql(pg_desk_dir):
    from tests.test_reports import make_specs, seed

    with Desk.open(load_config(pg_desk_dir / "aftersales.toml")) as desk:
        seed(desk, make_specs())
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [
        context.Process(target=_reports, args=(str(pg_desk_dir / "aftersales.toml"), queue))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    made = [queue.get(timeout=180) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert sum(made) == 7
    with (
        Desk.open(load_config(pg_desk_dir / "aftersales.toml")) as desk,
        desk.store.transaction() as session,
    ):
        assert session.scalar(select(func.count(Report.id))) == 7
        assert (
            session.scalar(
                select(func.count(OutboxMessage.id)).where(OutboxMessage.purpose.like("report_%"))
            )
            == 7
        )


def test_kpis_are_the_same_on_postgresql_and_sqlite(pg_desk_dir, desk_dir):
    from processor import reports
    from tests.test_reports import make_specs, seed

    specs = make_specs()
    results = []
    for folder in (pg_desk_dir, desk_dir):
        with Desk.open(load_config(folder / "aftersales.toml")) as desk:
            seed(desk, specs)
            with desk.store.transaction() as session:
                kpis = reports.compute(session, desk, reports.parse_period("monthly", "2026-10"))
            results.append([value for _, value, _ in kpis.headline()] + [kpis.by, kpis.open_by_age])
    assert results[0] == results[1]
