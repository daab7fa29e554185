"""Shared fixtures: the samples folder and a fresh desk on the embedded default."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from processor.config import load_config
from processor.desk import Desk

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path(os.environ.get("AFTERSALES_SAMPLES", ROOT.parent / "shared" / "samples"))
EXAMPLE_CONFIG = ROOT / "processor" / "data" / "config.example.toml"


def sample(name: str) -> Path:
    matches = sorted(SAMPLES.glob(f"{name}*")) if SAMPLES.is_dir() else []
    matches = [m for m in matches if not m.name.endswith(".json")]
    if not matches:
        pytest.skip(f"sample {name} not available at {SAMPLES}")
    return matches[0]


@pytest.fixture
def desk_dir(tmp_path: Path) -> Path:
    """A desk folder as `aftersales init` lays it out."""
    shutil.copyfile(EXAMPLE_CONFIG, tmp_path / "aftersales.toml")
    for sub in (
        "shared/incoming",
        "shared/processed",
        "shared/quarantine",
        "inbox/new",
        "inbox/cur",
        "inbox/tmp",
        "master",
    ):
        (tmp_path / sub).mkdir(parents=True)
    return tmp_path


@pytest.fixture
def desk(desk_dir: Path):
    opened = Desk.open(load_config(desk_dir / "aftersales.toml"))
    yield opened
    opened.close()


def settle(*paths: Path, seconds: float = 60) -> None:
    """Date files back as a writer that finished `seconds` ago would leave them (the folder
    source takes only settled files)."""
    old = time.time() - seconds
    for path in paths:
        os.utime(path, (old, old))


def drop_settled(folder: Path, source: Path) -> Path:
    """Copy a file into a shared folder as a writer that finished a minute ago would leave it."""
    target = folder / source.name
    shutil.copy(source, target)
    settle(target)
    return target


def publish_calendar(desk_dir: Path) -> None:
    """Give the desk a rule file whose [calendar] carries this year and the next, as if the
    State Council's notices were out: for tests about something else than the calendar, whose
    operator would otherwise be told (rightly, from November) that next year is provisional."""
    from datetime import date

    from processor.rules.engine import BUILTIN_RULES
    from processor.rules.holiday_schedules import estimated_year

    years = []
    for year in (date.today().year, date.today().year + 1):
        days = sorted(f'"{day.isoformat()}"' for day in estimated_year(year).holidays)
        years.append(f"\n[calendar.{year}]\nholidays = [{', '.join(days)}]\nworkdays = []\n")
    (desk_dir / "rules.toml").write_text(
        BUILTIN_RULES.read_text(encoding="utf-8") + "".join(years), encoding="utf-8"
    )
    config = desk_dir / "aftersales.toml"
    text = config.read_text(encoding="utf-8")
    assert '# file = "rules.toml"' in text
    config.write_text(
        text.replace('# file = "rules.toml"', 'file = "rules.toml"', 1), encoding="utf-8"
    )
