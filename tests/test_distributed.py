"""Several workers on one PostgreSQL through procrastinate: sources spread over workers, one
poller per source at a time, every item processed and answered exactly once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from processor.config import load_config
from processor.desk import Desk
from processor.store.models import Case, Document, OutboxMessage
from tests.conftest import ROOT, SAMPLES
from tests.pgserver import bindir
from tests.test_postgres import pg_desk_dir, postgres  # noqa: F401 - fixtures

pytestmark = pytest.mark.skipif(bindir() is None, reason="PostgreSQL is installed by make test")


def test_two_distributed_workers_share_the_sources_and_answer_each_mail_once(pg_desk_dir):  # noqa: F811
    config = pg_desk_dir / "aftersales.toml"
    text = config.read_text(encoding="utf-8") + '\n[[folders]]\nname = "second"\npath = "second/incoming"\n'
    config.write_text(text, encoding="utf-8")
    (pg_desk_dir / "second" / "incoming").mkdir(parents=True)
    mails = sorted(p for p in SAMPLES.glob("0[01]*-mail-complaint-*.eml"))[:8]
    for index, path in enumerate(mails):
        shutil.copy(path, pg_desk_dir / "inbox" / "new" / f"17640{index:05d}.M{index}.test")
    for name, target in (("016-docx-complaint-form.docx", "shared"), ("018-docx-complaint-form.docx", "second"),
                         ("022-pdf-complaint-form.pdf", "second"), ("048-bad-not-a-docx.docx", "shared")):
        shutil.copy(SAMPLES / name, pg_desk_dir / target / "incoming" / name)
        old = time.time() - 60
        os.utime(pg_desk_dir / target / "incoming" / name, (old, old))
    command = [sys.executable, "-m", "processor", "--config", str(config), "run", "--distributed", "--once"]
    workers = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(2)]
    for worker in workers:
        _, errors = worker.communicate(timeout=240)
        assert worker.returncode == 0, errors.decode()[-2000:]
    with Desk.open(load_config(config)) as desk, desk.store.transaction() as session:
        assert session.scalar(select(func.count(Document.id))) == len(mails) + 4
        assert session.scalar(select(func.count(Case.id))) == len(mails) + 3
        acknowledgements = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "acknowledgement")).all()
        assert len({row.case_id for row in acknowledgements}) == len(acknowledgements) >= len(mails)
        assert {(row.purpose, row.status) for row in session.scalars(select(OutboxMessage)) if row.status != "written"} == set()
    written = list((pg_desk_dir / "outbox").glob("*.eml"))
    with Desk.open(load_config(config)) as desk, desk.store.transaction() as session:
        assert len(written) == session.scalar(select(func.count(OutboxMessage.id)))
    assert list((pg_desk_dir / "inbox" / "new").iterdir()) == []
    assert sorted(p.name for p in (pg_desk_dir / "shared" / "quarantine").iterdir()) == [
        "048-bad-not-a-docx.docx", "048-bad-not-a-docx.docx.reason.txt"]


def test_a_document_fetched_on_one_host_is_processed_on_another_without_its_disk(pg_desk_dir):  # noqa: F811
    """Hosts share the PostgreSQL store, not the archive's disk: the original travels in the store."""
    from processor.pipeline import Incoming, accept, process_registered
    from processor.store.models import Original

    config_a = pg_desk_dir / "aftersales.toml"
    config_b = pg_desk_dir / "host-b.toml"
    config_b.write_text(config_a.read_text(encoding="utf-8").replace('archive_dir = "archive"', 'archive_dir = "archive-b"'),
                        encoding="utf-8")
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
    assert (pg_desk_dir / "archive-b" / row.archive_path).read_bytes() == data  # kept on host B from then on
