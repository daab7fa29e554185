"""A command staff type by hand loads only what it uses: `--help`, `cases` and `inspect` of a
plain mail must not import the OCR stack, numpy, OpenCV, openpyxl, matplotlib or procrastinate
(each is loaded on the path that reads or writes its kind of thing)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, sample

# the modules a hand-typed command must not load, and why each is heavy
HEAVY = {
    "numpy": "arrays, for OCR and checkboxes",
    "cv2": "OpenCV, for scanned pages",
    "parsers.ocr": "the OCR stack",
    "rapidocr_onnxruntime": "the OCR stack",
    "tesserocr": "the OCR stack",
    "openpyxl": "spreadsheets, for xlsx and reports",
    "matplotlib": "charts, for reports",
    "procrastinate": "the distributed job queue",
    "alembic": "migrations, only when the store is not at the newest schema",
}

# runs the command as `aftersales` would, then writes the names of the modules it loaded
DUMP_MODULES_AT_EXIT = """
import atexit, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write("\\n".join(sorted(sys.modules))))
sys.argv[0] = "aftersales"
from processor.cli import main
raise SystemExit(main())
"""


def modules_loaded(tmp_path: Path, *args: str, cwd: Path) -> set[str]:
    out = tmp_path / "modules.txt"
    result = subprocess.run(
        [sys.executable, "-c", DUMP_MODULES_AT_EXIT, str(out), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return set(out.read_text().split())


def heavy_in(loaded: set[str]) -> dict[str, str]:
    return {name: why for name, why in HEAVY.items() if name in loaded}


def test_help_loads_nothing_heavy(tmp_path):
    loaded = modules_loaded(tmp_path, "--help", cwd=tmp_path)
    assert heavy_in(loaded) == {}
    assert (
        "sqlalchemy" not in loaded and "parsers.mail" not in loaded
    )  # help needs neither store nor parser


def test_cases_loads_nothing_heavy(tmp_path, desk_dir):
    first = modules_loaded(
        tmp_path, "cases", cwd=desk_dir
    )  # a new store: migrated, so alembic comes in once
    assert {name: why for name, why in heavy_in(first).items() if name != "alembic"} == {}
    again = modules_loaded(
        tmp_path, "cases", cwd=desk_dir
    )  # a store at the newest schema: nothing to migrate
    assert heavy_in(again) == {}
    assert "sqlalchemy" in again  # it did read the store


def test_inspect_of_a_plain_mail_loads_nothing_heavy(tmp_path):
    mail = sample("003-")  # a complaint in the text of a mail, nothing attached
    loaded = modules_loaded(tmp_path, "inspect", str(mail), cwd=tmp_path)
    assert heavy_in(loaded) == {}
    assert "parsers.mail" in loaded  # it did parse the mail
    assert (
        "sqlalchemy" not in loaded
    )  # parse + decide need no store (the rules' [targets] once pulled it in)


def test_inspect_of_a_scan_still_loads_the_ocr_stack(tmp_path):
    """The other side: the OCR stack is there when a page has no text layer."""
    scans = [
        p
        for p in sorted(Path(sample("001-").parent).glob("*"))
        if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".tif", ".tiff")
    ]
    if not scans:
        pytest.skip("no scanned sample")
    loaded = modules_loaded(tmp_path, "inspect", str(scans[0]), cwd=tmp_path)
    assert "parsers.ocr" in loaded and "numpy" in loaded


def test_the_store_knows_the_newest_migration_as_alembic_does():
    """The store skips Alembic when its schema is at HEAD: HEAD must be Alembic's own head."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from processor.store import HEAD, MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_heads() == [HEAD]


def test_a_store_behind_the_newest_schema_is_still_migrated(tmp_path):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from processor.store import HEAD, MIGRATIONS, open_store

    url = f"sqlite:///{tmp_path}/s.db"
    store = open_store(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "-1")
        assert connection.execute(text("select version_num from alembic_version")).scalar() != HEAD
    store.close()
    store = open_store(url)
    with store.engine.connect() as connection:
        assert connection.execute(text("select version_num from alembic_version")).scalar() == HEAD
    store.close()


def test_the_rules_know_the_staff_commands_the_desk_carries_out():
    """Rule files are checked against STAFF_COMMANDS (no store needed); staff.py carries them out."""
    from processor.rules.engine import STAFF_COMMANDS
    from processor.staff import HANDLERS

    assert list(HANDLERS) == list(STAFF_COMMANDS)


def test_a_pass_of_the_worker_with_nothing_to_read_loads_nothing_heavy(tmp_path, desk_dir):
    """`run --once` (a cron job, or each distributed worker's start) pays for no OCR stack,
    spreadsheet or chart library when no scan, sheet or report is there."""
    modules_loaded(tmp_path, "cases", cwd=desk_dir)  # the store made and migrated first
    loaded = modules_loaded(tmp_path, "run", "--once", cwd=desk_dir)
    assert heavy_in(loaded) == {}
