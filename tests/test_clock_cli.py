"""The operator's clock: `inspect --at` decides as if an item arrived then, `cases --at` says
which steps would be overdue then, `show` gives each document's arrival and its Date header."""

from __future__ import annotations

import json
import os
from datetime import datetime

import pytest

from tests.conftest import ROOT, SAMPLES
from tests.test_cli import aftersales, example_desk

pytestmark = pytest.mark.slow  # the command as processes, and the worker once

MAIL = "001-mail-complaint-oil.eml"  # Date: Thu, 12 Nov 2026 13:18:00 +0800
FORM = "016-docx-complaint-form.docx"  # a file: no Date header


def inspect(*args: str, cwd) -> dict:  # noqa: ANN001
    result = aftersales("inspect", "--json", *args, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="samples not available")
def test_inspect_at_decides_as_if_the_item_arrived_then(tmp_path):
    now = inspect(str(SAMPLES / MAIL), cwd=tmp_path)
    assert now["received"] == "2026-11-12T13:18+08:00" and "13:18:00" in now["date_header"]
    eve = inspect("--at", "2026-12-31 16:00", str(SAMPLES / MAIL), cwd=tmp_path)
    assert eve["received"] == "2026-12-31T16:00+08:00"
    close = next(d for d in eve["deadlines"] if d["step"] == "close")
    assert (close["due"], close["outside"]) == ("2027-01-01T16:00+08:00", "a holiday")
    assert eve["date_header"] == now["date_header"]  # the header is still shown as it was


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="samples not available")
def test_inspect_without_a_date_header_uses_the_files_time(tmp_path):
    form = tmp_path / FORM
    form.write_bytes((SAMPLES / FORM).read_bytes())
    stamp = datetime.fromisoformat("2026-10-09T10:15:00+08:00").timestamp()
    os.utime(form, (stamp, stamp))
    assert inspect(str(form), cwd=tmp_path)["received"] == "2026-10-09T10:15+08:00"


def test_a_bad_at_is_one_line_and_exit_2(tmp_path):
    result = aftersales("inspect", "--at", "tomorrow-ish", str(ROOT / "README.md"), cwd=tmp_path)
    assert (
        result.returncode == 2
        and result.stderr.count("\n") == 1
        and "2026-12-31 16:00" in result.stderr
    )


def test_cases_at_lists_what_would_be_overdue_then_and_show_gives_arrival_and_date(tmp_path):
    env = example_desk(tmp_path)
    assert aftersales("run", "--once", env=env).returncode == 0
    later = [
        json.loads(line)
        for line in aftersales(
            "cases", "--json", "--at", "2031-01-01 09:00", env=env
        ).stdout.splitlines()
    ]
    assert later and all(row["overdue"] for row in later)
    assert any("first_contact" in row["overdue"] for row in later)
    before = [
        json.loads(line)
        for line in aftersales(
            "cases", "--json", "--at", "2001-01-01 09:00", env=env
        ).stdout.splitlines()
    ]
    assert before and not any(row["overdue"] for row in before)
    table = aftersales("cases", "--at", "2031-01-01 09:00", env=env)
    assert table.returncode == 0 and "overdue at 2031-01-01 09:00" in table.stdout
    show = aftersales("show", later[0]["case"], env=env)
    assert "arrived" in show.stdout and "Date:" in show.stdout
