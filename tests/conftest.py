"""Shared fixtures: the samples folder and a fresh desk on the embedded default."""

from __future__ import annotations

import os
import shutil
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
    for sub in ("shared/incoming", "shared/processed", "shared/quarantine", "inbox/new", "inbox/cur", "inbox/tmp", "master"):
        (tmp_path / sub).mkdir(parents=True)
    return tmp_path


@pytest.fixture
def desk(desk_dir: Path):
    opened = Desk.open(load_config(desk_dir / "aftersales.toml"))
    yield opened
    opened.close()
