"""Retention: cases closed more than five years ago are exported, purged and audited; newer
and open ones stay."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime

from sqlalchemy import select

from processor.pipeline import Incoming, process
from processor.store.models import AuditEntry, Case, Document, OutboxMessage
from tests.conftest import ROOT, sample


def test_old_closed_cases_are_exported_purged_and_audited(desk, desk_dir, tmp_path):
    for name in ("001-", "002-", "003-"):
        process(desk, Incoming("test", name, f"{name}.eml", sample(name).read_bytes()))
    with desk.store.transaction() as session:
        old, recent, still_open = session.scalars(select(Case).order_by(Case.id)).all()
        old.status, old.closed_at = "closed", datetime(2020, 1, 10)
        recent.status, recent.closed_at = "closed", datetime(2024, 6, 1)
        old_no, old_id = old.case_no, old.id
        archived = desk.config.archive_dir / session.scalars(select(Document).where(Document.case_id == old_id)).one().archive_path
    assert archived.is_file()
    dry = subprocess.run([sys.executable, "-m", "processor", "--config", str(desk_dir / "aftersales.toml"), "retention",
                          "--dry-run"], capture_output=True, text=True, cwd=ROOT)
    assert dry.returncode == 0 and "would purge 1 cases" in dry.stdout
    result = subprocess.run([sys.executable, "-m", "processor", "--config", str(desk_dir / "aftersales.toml"), "retention",
                             "--export", str(tmp_path / "export")], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    (folder,) = (tmp_path / "export").iterdir()
    (line,) = (folder / "cases.jsonl").read_text(encoding="utf-8").splitlines()
    record = json.loads(line)
    assert record["case"]["case_no"] == old_no and record["events"] and record["mails"]
    assert len(list((folder / "originals").iterdir())) == 1
    assert not archived.exists()
    with desk.store.transaction() as session:
        assert [case.case_no for case in session.scalars(select(Case))] == [recent.case_no, still_open.case_no]
        assert session.scalars(select(OutboxMessage).where(OutboxMessage.case_id == old_id)).all() == []
        (entry,) = session.scalars(select(AuditEntry)).all()
        assert entry.action == "retention_purge" and entry.detail["cases"] == [old_no]
