"""Several workers on one PostgreSQL through procrastinate: sources spread over workers, one
poller per source at a time, every item processed and answered exactly once."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from processor.config import load_config
from processor.desk import Desk
from processor.store.models import Case, Document, OutboxMessage
from tests.conftest import ROOT, SAMPLES, drop_settled
from tests.mailservers import wait_for
from tests.pgserver import bindir
from tests.test_mail_servers import (  # noqa: F401 - fixtures
    ALICE,
    DESK,
    assert_each_arrived_once_but_in_doubt,
    large_batch,
    no_lease_left,
    parsed,
    servers,
    wire,
)
from tests.test_postgres import pg_desk_dir, postgres  # noqa: F401 - fixtures

pytestmark = [
    pytest.mark.slow,  # PostgreSQL, Dovecot, several workers
    pytest.mark.skipif(bindir() is None, reason="PostgreSQL is installed by make test"),
]


def test_two_distributed_workers_share_the_sources_and_answer_each_mail_once(pg_desk_dir):  # noqa: F811
    config = pg_desk_dir / "aftersales.toml"
    text = (
        config.read_text(encoding="utf-8")
        + '\n[[folders]]\nname = "second"\npath = "second/incoming"\n'
    )
    config.write_text(text, encoding="utf-8")
    (pg_desk_dir / "second" / "incoming").mkdir(parents=True)
    mails = sorted(p for p in SAMPLES.glob("0[01]*-mail-complaint-*.eml"))[:8]
    for index, path in enumerate(mails):
        shutil.copy(path, pg_desk_dir / "inbox" / "new" / f"17640{index:05d}.M{index}.test")
    for name, target in (
        ("016-docx-complaint-form.docx", "shared"),
        ("018-docx-complaint-form.docx", "second"),
        ("022-pdf-complaint-form.pdf", "second"),
        ("048-bad-not-a-docx.docx", "shared"),
    ):
        drop_settled(pg_desk_dir / target / "incoming", SAMPLES / name)
    command = [
        sys.executable,
        "-m",
        "processor",
        "--config",
        str(config),
        "run",
        "--distributed",
        "--once",
    ]
    workers = [
        subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for worker in workers:
        _, errors = worker.communicate(timeout=240)
        assert worker.returncode == 0, errors.decode()[-2000:]
    with Desk.open(load_config(config)) as desk, desk.store.transaction() as session:
        assert session.scalar(select(func.count(Document.id))) == len(mails) + 4
        assert session.scalar(select(func.count(Case.id))) == len(mails) + 3
        acknowledgements = session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == "acknowledgement")
        ).all()
        assert len({row.case_id for row in acknowledgements}) == len(acknowledgements) >= len(mails)
        assert {
            (row.purpose, row.status)
            for row in session.scalars(select(OutboxMessage))
            if row.status != "written"
        } == set()
    written = list((pg_desk_dir / "outbox").glob("*.eml"))
    with Desk.open(load_config(config)) as desk, desk.store.transaction() as session:
        assert len(written) == session.scalar(select(func.count(OutboxMessage.id)))
    assert list((pg_desk_dir / "inbox" / "new").iterdir()) == []
    assert sorted(p.name for p in (pg_desk_dir / "shared" / "quarantine").iterdir()) == [
        "048-bad-not-a-docx.docx",
        "048-bad-not-a-docx.docx.reason.txt",
    ]


def test_a_document_fetched_on_one_host_is_processed_on_another_without_its_disk(pg_desk_dir):  # noqa: F811
    """Hosts share the PostgreSQL store, not the archive's disk: the original travels in the store."""
    from processor.pipeline import Incoming, accept, process_registered
    from processor.store.models import Original

    config_a = pg_desk_dir / "aftersales.toml"
    config_b = pg_desk_dir / "host-b.toml"
    config_b.write_text(
        config_a.read_text(encoding="utf-8").replace(
            'archive_dir = "archive"', 'archive_dir = "archive-b"'
        ),
        encoding="utf-8",
    )
    data = sorted(SAMPLES.glob("0[01]*-mail-complaint-*.eml"))[0].read_bytes()
    with Desk.open(load_config(config_a)) as host_a:
        document_id, new = accept(host_a, Incoming("maildir:inbox", "1", "1.eml", data))
    assert new and not (pg_desk_dir / "archive-b").exists()
    with Desk.open(load_config(config_b)) as host_b:
        outcome = process_registered(host_b, document_id)
        with host_b.store.transaction() as session:
            row = session.get(Document, document_id)
            assert session.get(Original, row.sha256).data == data
    assert outcome.status == "processed" and outcome.case_no
    assert (
        pg_desk_dir / "archive-b" / row.archive_path
    ).read_bytes() == data  # kept on host B from then on


def test_sigkill_of_distributed_workers_mid_batch_loses_and_repeats_nothing(wire, postgres):  # noqa: F811
    """Workers on PostgreSQL killed six times over while they poll the mailbox and a folder,
    process documents and send the outbox; the jobs and mail claims of the dead are taken
    over, and every item is processed once and answered once."""
    import signal

    dovecot, smtp, config = wire
    incoming = large_batch(dovecot, config, mails=40, files=8)
    config.write_text(
        f'[store]\nurl = "{postgres.database()}"\n'
        + config.read_text(encoding="utf-8")
        + FAST_RECOVERY,
        encoding="utf-8",
    )
    command = [
        sys.executable,
        "-m",
        "processor",
        "--config",
        str(config),
        "run",
        "--distributed",
        "--once",
    ]
    for (
        counted,
        more,
    ) in KILL_POINTS:  # two workers, both killed in the middle of their work, six times over
        start = progress(config)
        workers = [
            subprocess.Popen(
                command,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=os.environ.copy(),
            )
            for _ in range(2)
        ]
        wait_for(
            functools.partial(worked_up_to, config, workers, counted, start[counted] + more),
            timeout=180,
            interval=0.05,
        )
        for worker in workers:
            worker.send_signal(signal.SIGKILL)
        assert [worker.wait() for worker in workers] == [-signal.SIGKILL] * 2  # both still at work
        reached = progress(config)
        assert 0 < reached[counted] < (48 if counted == "cases" else reached["mails"]), (
            counted,
            reached,
        )  # mid-batch
    for _ in range(2):  # the leases of the dead run out, then the rest goes out
        wait_for(lambda: no_lease_left(config), timeout=30, interval=0.2)
        finished = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=180, env=os.environ.copy()
        )
        assert finished.returncode == 0, finished.stderr[-2000:]
    with Desk.open(load_config(config)) as desk, desk.store.transaction() as session:
        assert session.scalar(select(func.count(Document.id))) == 48
        numbers = [case.case_no for case in session.scalars(select(Case))]
        acks = session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == "acknowledgement")
        ).all()
    assert len(numbers) == len(set(numbers)) == 48
    assert {row.status for row in acks} == {"sent"} and len(acks) == 48
    received = [parsed(raw)["Message-ID"] for raw in dovecot.messages(ALICE)]
    assert_each_arrived_once_but_in_doubt(received, acks)
    assert dovecot.messages(DESK) == [] and list(incoming.iterdir()) == []


# Where both workers are killed: (what is counted, how many more than when they started) —
# while documents are processed, then while the outbox goes out.
KILL_POINTS = (("cases", 3), ("cases", 8), ("cases", 8), ("cases", 8), ("sent", 5), ("sent", 15))


def progress(config) -> dict[str, int]:  # noqa: ANN001
    """Cases opened, mails sent and mails queued in all, so far."""
    try:
        with Desk.open(load_config(config)) as desk, desk.store.transaction() as session:
            return {
                "cases": session.scalar(select(func.count(Case.id))),
                "sent": session.scalar(
                    select(func.count(OutboxMessage.id)).where(OutboxMessage.status == "sent")
                ),
                "mails": session.scalar(select(func.count(OutboxMessage.id))),
            }
    except Exception:  # noqa: BLE001 - the first worker is still creating the tables
        return {"cases": 0, "sent": 0, "mails": 0}


def worked_up_to(config, workers: list[subprocess.Popen], counted: str, target: int) -> bool:  # noqa: ANN001
    return progress(config)[counted] >= target or any(
        worker.poll() is not None for worker in workers
    )


LEASE_SECONDS = 3
FAST_RECOVERY = f"""lease_seconds = {LEASE_SECONDS}

[worker]
stalled_seconds = 3
"""  # appended to the [smtp] section, the config's last
