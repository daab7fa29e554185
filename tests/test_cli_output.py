"""What the operator sees of the CLI: one meaning per column in the run table, a progress bar
that names the item and keeps log lines above it, no library INFO lines unless --verbose,
`show` wrapped within the terminal at word boundaries under its own column."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from rich.console import Console

from processor import logs
from processor.cli import outcomes_table, run_with_progress
from processor.pipeline import Outcome
from processor.store.models import Case, CaseEvent
from tests.conftest import ROOT, SAMPLES, drop_settled

WHY = (
    "seed 004 §5: handled and answered within five working days of the complaint, the callback "
    "coming after that"
)


def aftersales(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "processor", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        timeout=300,
    )


def column(table, name: str) -> list[str]:  # noqa: ANN001
    found = next(col for col in table.columns if col.header == name)
    return [str(cell) for cell in found._cells]


def test_the_run_table_keeps_a_quarantine_reason_out_of_the_deadline_column():
    outcomes = [
        Outcome(
            "processed",
            "a.eml",
            kind="complaint",
            case_no="CS-2611-0001",
            next_deadline="2026-11-30T10:30+08:00",
        ),
        Outcome("quarantined", "bad.docx", reason="bad.docx is damaged: please send it again"),
    ]
    table = outcomes_table(outcomes, "2 items")
    assert column(table, "next deadline") == ["2026-11-30 10:30+08:00", "—"]
    assert column(table, "why / note") == ["—", "bad.docx is damaged: please send it again"]
    assert column(table, "outcome") == ["processed", "quarantined"]


def test_library_info_lines_only_with_verbose(tmp_path):
    # each store is new, so each `init` migrates it: Alembic logs its upgrades at INFO
    quiet = aftersales("--config", str(tmp_path / "quiet" / "aftersales.toml"), "init")
    assert quiet.returncode == 0, quiet.stderr
    assert "alembic" not in quiet.stderr
    loud = aftersales("--config", str(tmp_path / "loud" / "aftersales.toml"), "--verbose", "init")
    assert loud.returncode == 0, loud.stderr
    assert "alembic" in loud.stderr  # the libraries' records are there when asked for


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="samples not available")
def test_the_progress_bar_names_the_item_and_log_lines_stay_above_it(desk, desk_dir):
    incoming = desk_dir / "shared" / "incoming"
    drop_settled(incoming, SAMPLES / "016-docx-complaint-form.docx")
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120, color_system=None)
    logs.configure(logging.INFO)
    try:
        outcomes = run_with_progress(desk, console)
    finally:
        logs.configure(logging.WARNING)
    assert [outcome.status for outcome in outcomes] == ["processed"]
    screen = out.getvalue()
    assert "folder:shared  016-docx-complaint-form.docx" in screen  # the bar names the item
    # the worker's log line went through the bar's console: a line of its own, not glued to a bar frame
    (line,) = [line for line in screen.splitlines() if "processor.worker" in line]
    assert (
        line.lstrip("\r")
        .split(" ", 2)[2]
        .startswith("INFO processor.worker: folder:shared 016-docx-complaint-form.docx")
    )
    assert logging.getLogger().handlers and not isinstance(
        logging.getLogger().handlers[0], logs.ConsoleHandler
    )


def test_show_wraps_within_the_terminal_under_its_own_column(desk, desk_dir):
    with desk.store.transaction() as session:
        case = Case(
            case_no="CS-2611-0042",
            opened_at=datetime(2026, 11, 20, 2, 0),
            kind="complaint",
            status="assigned",
            sender="someone@example.test",
            language="zh-Hans",
            owner="服务经理",
            customer_name="王喆",
            fields={"description": "热水器打不着火，" * 8},
            deadlines=[{"step": "close", "due": "2026-11-27T10:00+08:00", "why": WHY}],
        )
        session.add(case)
        session.flush()
        session.add(
            CaseEvent(
                case_id=case.id,
                type="received",
                actor="someone@example.test",
                at=datetime(2026, 11, 20, 2, 0, tzinfo=UTC).replace(tzinfo=None),
                detail={"why": WHY},
            )
        )
    result = aftersales(
        "--config", str(desk_dir / "aftersales.toml"), "show", "CS-2611-0042", COLUMNS="72"
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(len(line.rstrip()) for line in lines if line.isascii()) <= 72
    deadlines = lines.index("deadlines:")
    block = lines[
        deadlines + 2 : lines.index("timeline:")
    ]  # the line after the step and its due time
    assert len(block) > 1  # the long why wrapped …
    indent = block[0].index("seed")
    for line in block[1:]:  # … under its own column, never back under the step's name
        assert line[:indent].strip() == "" and line[indent] != " "
    words = " ".join(line[indent:].strip() for line in block).split()
    assert " ".join(words) == WHY  # broken between words only


def test_the_worker_names_the_sources_it_polls(desk):
    from processor.worker import source_names, sources_of

    assert (
        source_names(desk)
        == [source.name for source in sources_of(desk)]
        == ["maildir:inbox", "folder:shared"]
    )
