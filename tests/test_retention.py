"""Retention: cases closed more than five years ago are exported, purged and audited; newer
and open ones stay. Times are set against a frozen clock, or against the clock the CLI reads:
the tests hold in any year."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from processor.pipeline import Incoming, process
from processor.retention import purge
from processor.store.models import AuditEntry, Case, Document, OutboxMessage, utcnow
from tests.conftest import ROOT, sample


@pytest.mark.slow  # the command as processes
def test_old_closed_cases_are_exported_purged_and_audited(desk, desk_dir, tmp_path):
    for name in ("001-", "002-", "003-"):
        process(desk, Incoming("test", name, f"{name}.eml", sample(name).read_bytes()))
    with desk.store.transaction() as session:
        old, recent, still_open = session.scalars(select(Case).order_by(Case.id)).all()
        now = (
            utcnow()
        )  # the CLI below reads the real clock: closed ten years and one year before it
        old.status, old.closed_at = "closed", now - timedelta(days=3653)
        recent.status, recent.closed_at = "closed", now - timedelta(days=365)
        old_no, old_id = old.case_no, old.id
        archived = (
            desk.config.archive_dir
            / session.scalars(select(Document).where(Document.case_id == old_id)).one().archive_path
        )
    assert archived.is_file()
    dry = subprocess.run(
        [
            sys.executable,
            "-m",
            "processor",
            "--config",
            str(desk_dir / "aftersales.toml"),
            "retention",
            "--dry-run",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert dry.returncode == 0 and "would purge 1 cases" in dry.stdout
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "processor",
            "--config",
            str(desk_dir / "aftersales.toml"),
            "retention",
            "--export",
            str(tmp_path / "export"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    (folder,) = (tmp_path / "export").iterdir()
    (line,) = (folder / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    record = json.loads(line)
    assert record["case"]["case_no"] == old_no and record["events"] and record["mails"]
    assert len(list((folder / "originals").iterdir())) == 1
    assert not archived.exists()
    with desk.store.transaction() as session:
        assert [case.case_no for case in session.scalars(select(Case))] == [
            recent.case_no,
            still_open.case_no,
        ]
        assert (
            session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == old_id)).all()
            == []
        )
        (entry,) = session.scalars(select(AuditEntry)).all()
        assert entry.action == "retention_purge" and entry.detail["cases"] == [old_no]


FROZEN = datetime(
    2026, 11, 28, 12, 0
)  # the clock of the test below (naive UTC, as the store keeps times)


def test_the_cutoff_is_the_retention_period_back_from_now(desk):
    for name in ("001-", "002-"):
        process(desk, Incoming("test", name, f"{name}.eml", sample(name).read_bytes()))
    five_years_before = datetime(2021, 11, 28, 12, 0)
    with desk.store.transaction() as session:
        just_over, just_under = session.scalars(select(Case).order_by(Case.id)).all()
        just_over.status, just_over.closed_at = "closed", five_years_before - timedelta(minutes=1)
        just_under.status, just_under.closed_at = "closed", five_years_before + timedelta(minutes=1)
    assert purge(desk, years=5, export_dir=None, dry_run=True, now=FROZEN).cases == 1
    assert (
        purge(desk, years=5, export_dir=None, dry_run=True, now=FROZEN + timedelta(minutes=2)).cases
        == 2
    )
    assert (
        purge(desk, years=6, export_dir=None, dry_run=True, now=FROZEN + timedelta(minutes=2)).cases
        == 0
    )
    done = purge(desk, years=5, export_dir=None, now=FROZEN, actor="test")
    assert (done.cases, done.export) == (1, None)
    with desk.store.transaction() as session:
        assert [case.closed_at for case in session.scalars(select(Case))] == [
            five_years_before + timedelta(minutes=1)
        ]
