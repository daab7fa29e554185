"""The `aftersales` command as a user runs it: real subprocesses, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES

pytestmark = pytest.mark.slow  # the command as processes, and inspect on every sample (OCR)

REQUIRED_KEYS = {
    "file",
    "kind",
    "fields",
    "lines",
    "category",
    "level",
    "business_line",
    "case_ref",
    "owner",
    "deadlines",
    "actions",
    "warnings",
    "errors",
}


def aftersales(
    *args: str, cwd: Path | None = None, env: dict | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "processor", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        timeout=300,
    )


def test_inspect_json_runs_on_every_sample_without_a_config(tmp_path):
    if not SAMPLES.is_dir():
        pytest.skip("samples not available")
    files = sorted(str(p) for p in SAMPLES.iterdir() if not p.name.endswith((".json", ".md")))
    result = aftersales("inspect", "--json", *files, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(objects) == len(files)
    for obj in objects:
        assert REQUIRED_KEYS <= obj.keys()
        assert all("type" in action and "to" in action for action in obj["actions"])
        if obj["kind"] == "unknown":
            assert obj["errors"], f"{obj['file']}: an unreadable file must say why"
    complaint = next(o for o in objects if o["file"].startswith("001-"))
    assert {a["type"] for a in complaint["actions"]} >= {"acknowledge", "notify_owner"}


def test_user_errors_are_one_line_and_exit_2(tmp_path):
    missing = aftersales("--config", str(tmp_path / "none.toml"), "cases")
    assert missing.returncode == 2
    assert missing.stderr.count("\n") == 1 and "aftersales init" in missing.stderr
    no_file = aftersales("inspect", str(tmp_path / "nothing.eml"), cwd=tmp_path)
    assert (no_file.returncode, no_file.stderr.strip()) == (
        2,
        f"aftersales: {tmp_path / 'nothing.eml'}: no such file",
    )
    (tmp_path / "bad.toml").write_text("[desk]\nnmae = 1\n")
    bad = aftersales("--config", str(tmp_path / "bad.toml"), "run", "--once")
    assert bad.returncode == 2 and "desk.nmae" in bad.stderr and "Traceback" not in bad.stderr


def test_every_command_has_help():
    for command in ("init", "run", "inspect", "ingest", "cases", "show", "report", "rules"):
        result = aftersales(command, "--help")
        assert result.returncode == 0 and "usage: aftersales" in result.stdout


def example_desk(tmp_path: Path) -> dict[str, str]:
    """A desk made by `init` with the example mails in its inbox; the environment naming it."""
    config = tmp_path / "desk" / "aftersales.toml"
    env = {"AFTERSALES_CONFIG": str(config)}
    assert aftersales("init", env=env).returncode == 0
    for mail in sorted((ROOT / "examples" / "inbox" / "new").iterdir()):
        (config.parent / "inbox" / "new" / mail.name).write_bytes(mail.read_bytes())
    return env


def test_init_run_cases_show_report_end_to_end(tmp_path):
    env = example_desk(tmp_path)
    config = Path(env["AFTERSALES_CONFIG"])
    run = aftersales("run", "--once", env=env)
    assert run.returncode == 0, run.stderr
    assert "processed" in run.stdout
    cases = aftersales("cases", "--json", env=env)
    rows = [json.loads(line) for line in cases.stdout.splitlines()]
    assert len(rows) >= 8 and all(row["case"].startswith("CS-") for row in rows)
    show = aftersales("show", rows[0]["case"], env=env)
    assert show.returncode == 0 and "timeline:" in show.stdout and "acknowledged" in show.stdout
    assert aftersales("show", "CS-0000-0000", env=env).returncode == 2
    report = aftersales("report", env=env)
    assert report.returncode == 0 and "by category" in report.stdout
    outbox = list((config.parent / "outbox").glob("*.eml"))
    assert any("acknowledgement" in p.name for p in outbox)


def test_rules_check_accepts_the_example_and_names_a_broken_reference(tmp_path):
    good = aftersales("rules", "check", str(ROOT / "rules.example.toml"))
    assert good.returncode == 0 and "ok" in good.stdout
    broken = (
        (ROOT / "rules.example.toml")
        .read_text(encoding="utf-8")
        .replace('owner = "general_manager"', 'owner = "ceo"')
    )
    (tmp_path / "rules.toml").write_text(broken, encoding="utf-8")
    result = aftersales("rules", "check", str(tmp_path / "rules.toml"))
    assert result.returncode == 2 and "role `ceo` is not in [roles]" in result.stderr
