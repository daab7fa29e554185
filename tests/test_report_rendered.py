"""The report as its readers get it: the workbook printed by LibreOffice (A4 landscape, fitted
to the width, each chart whole on the page of its table) and the report mail in zh-Hans,
zh-Hant and en (no raw catalog key, no English in the Chinese text, no simplified characters
in the traditional one, no Chinese in the English one)."""

from __future__ import annotations

import email
import re
import shutil
import subprocess
import sys
from email import policy
from pathlib import Path

import opencc
import pdfplumber
import pytest

from processor import reports
from processor.config import load_config
from processor.desk import Desk
from tests.conftest import ROOT
from tests.test_reports import NOW, make_specs, seed

A4_LANDSCAPE = (842, 595)  # points
CALC = Path("/usr/lib/libreoffice/program/libsclo.so")
RAW_KEY = re.compile(
    r"\b(?:report|kpi|age|channel|attention|category|level|line|status|step)\.[a-z_]+|\{\{|\{%|%\("
)
CJK = re.compile(r"[\u3400-\u9fff]")
# Latin text a Chinese report may carry: the period key, P90, numbers with units, dates
ALLOWED_LATIN = re.compile(r"\bP90\b|\b\d{4}-(?:W\d{2}|Q\d|\d{2})\b|\bcid:\S+|\bB\d\b")


@pytest.fixture
def report_desk(desk_dir):
    with Desk.open(load_config(desk_dir / "aftersales.toml")) as desk:
        seed(desk, make_specs())
    return desk_dir


def pdf_of(workbook: Path, out: Path) -> Path:
    subprocess.run(
        [
            "soffice",
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{out}/profile",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(workbook),
        ],
        capture_output=True,
        timeout=240,
        check=True,
    )
    return out / (workbook.stem + ".pdf")


@pytest.mark.skipif(
    not shutil.which("soffice") or not CALC.exists(), reason="LibreOffice Calc not installed"
)
def test_the_workbook_prints_on_a4_landscape_with_every_chart_whole(report_desk, tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "processor",
            "--config",
            str(report_desk / "aftersales.toml"),
            "report",
            "monthly",
            "--period",
            "2026-10",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (workbook,) = tmp_path.glob("*.xlsx")
    with pdfplumber.open(pdf_of(workbook, tmp_path)) as pdf:
        sizes = {(round(page.width), round(page.height)) for page in pdf.pages}
        texts = [page.extract_text() or "" for page in pdf.pages]
    assert sizes == {A4_LANDSCAPE}  # every page A4 landscape
    assert (
        len(texts) <= 16
    )  # one page a sheet, the open cases' list on two or three: not 24 portrait pages
    for fact in ("类别", "级别", "业务线", "渠道", "产品"):
        title = f"投诉按{fact}"
        pages = [number for number, text in enumerate(texts) if title in text]
        assert len(pages) == 1, f"chart {title} on pages {pages}"
        # on the page of its own table (header row and all), so not cut off from it or across pages
        assert f"{fact} 件数" in texts[pages[0]], title
    assert "未结案件按时长" in next(text for text in texts if "≤ 1 天" in text)


def rendered(desk_dir: Path, language: str) -> tuple[str, str, str]:
    config = desk_dir / "aftersales.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        re.sub(r'default_language = "[^"]+"', f'default_language = "{language}"', text),
        encoding="utf-8",
    )
    from outputs.report_mail import report_message

    with Desk.open(load_config(config)) as desk, desk.store.transaction() as session:
        kpis = reports.compute(session, desk, reports.parse_period("monthly", "2026-11"), now=NOW)
        message = email.message_from_bytes(
            bytes(report_message(desk, kpis, ["gm@desk.localhost"])), policy=policy.default
        )
        owners = " ".join(owner for owner, _ in kpis.overdue_by_owner)
    html = re.sub(r"<[^>]+>", " ", message.get_body(("html",)).get_content())
    return str(message["Subject"]), message.get_body(("plain",)).get_content() + "\n" + html, owners


@pytest.mark.parametrize("language", ["zh-Hans", "zh-Hant", "en"])
def test_the_report_mail_is_wholly_in_the_desks_language(report_desk, language):
    subject, body, owners = rendered(report_desk, language)
    everything = subject + "\n" + body
    assert not RAW_KEY.search(everything), RAW_KEY.search(everything)
    assert "2026-11-20 10:00" in everything  # a running month: marked partial, as of now
    for owner in owners.split():  # people's names are data, in their own script
        everything = everything.replace(owner, "")
    if language == "en":
        assert not CJK.search(everything), CJK.findall(everything)[:10]
        assert "Response timeliness" in everything and "as of" in everything
        return
    latin = re.findall(
        r"[A-Za-z]{2,}", ALLOWED_LATIN.sub("", re.sub(r"[\w.+-]+@[\w.-]+", "", everything))
    )
    assert not latin, latin  # no English in Chinese
    if language == "zh-Hant":
        cjk = "".join(CJK.findall(everything))
        assert opencc.OpenCC("s2t").convert(cjk) == cjk  # nothing simplified left
        assert "投訴響應及時率" in everything
    else:
        assert "投诉响应及时率" in everything and "本期尚未结束" in everything
