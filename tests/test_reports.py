"""Reports: a store seeded with known cases, every KPI checked against values computed here
independently from the seed; the workbook and the mail read back; the schedule (due times,
catch-up, exactly once with two workers)."""

from __future__ import annotations

import email
import io
import math
import multiprocessing
import random
import subprocess
import sys
import zipfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from email import policy
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import func, select

from processor import reports
from processor.config import load_config
from processor.desk import Desk
from processor.store.models import (
    Case,
    CaseEvent,
    Document,
    OutboxMessage,
    Product,
    Purchase,
    Report,
    ReturnLine,
    ReturnRequest,
)
from tests.conftest import ROOT

TZ = ZoneInfo("Asia/Shanghai")
CATEGORIES = ["product_quality", "service", "repair_quality", "other"]
OWNERS = ["服务经理", "销售总监"]


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def make_specs(seed: int = 7) -> list[dict]:
    """Complaints from 2026-08-20 to 2026-11-05 with every fact the KPIs read, chosen at random."""
    rng = random.Random(seed)
    specs = []
    start = local("2026-08-20T08:00")
    for number in range(160):
        opened = start + timedelta(hours=rng.randrange(0, 78 * 24))
        due = opened + timedelta(hours=2)
        done = (
            opened + timedelta(minutes=rng.choice([30, 90, 150, 300]))
            if rng.random() < 0.8
            else None
        )
        closed = (
            opened + timedelta(hours=rng.choice([5, 20, 30, 70, 200]))
            if rng.random() < 0.7
            else None
        )
        replied = opened + timedelta(hours=3) if rng.random() < 0.6 else None
        answer = rng.choice([True, False, None]) if replied else None
        answered = replied + timedelta(days=2) if answer is not None else None
        overdue = due + timedelta(minutes=1) if done is None or done > due else None
        specs.append(
            dict(
                no=number,
                opened=opened,
                due=due,
                done=done,
                closed=closed,
                replied=replied,
                answer=answer,
                answered=answered,
                overdue=overdue,
                category=rng.choice(CATEGORIES),
                level=rng.choice(["complaint", "grievance", "major"]),
                line=rng.choice(["after_sales", "sales"]),
                channel=rng.choice(["mail", "shared folder"]),
                product=rng.choice(["热水器", "机油", "空调"]),
                batch=rng.choice(["B1", "B2", None, None]),
                sender=f"c{rng.randrange(40)}@example.test",
                owner=rng.choice(OWNERS),
                customer=rng.choice(["王喆", '=HYPERLINK("http://evil","x")', "李雷"]),
            )
        )
    return specs


def seed(desk, specs: list[dict]) -> None:
    with desk.store.transaction() as session:
        session.add(
            Document(
                sha256="0" * 64,
                size=1,
                filename="seed",
                source="test",
                archive_path="x",
                received_at=utc(local("2026-08-01T00:00")),
                status="processed",
            )
        )
        for spec in specs:
            deadlines = [
                {
                    "step": "first_contact",
                    "due": spec["due"].isoformat(timespec="minutes"),
                    "why": "seed",
                }
            ]
            if spec["done"]:
                deadlines[0]["done"] = spec["done"].isoformat(timespec="minutes")
            case = Case(
                case_no=f"CS-SEED-{spec['no']:04d}",
                opened_at=utc(spec["opened"]),
                kind="complaint",
                status="closed" if spec["closed"] else "investigating",
                category=spec["category"],
                level=spec["level"],
                business_line=spec["line"],
                channel=spec["channel"],
                language="zh-Hans",
                sender=spec["sender"],
                customer_name=spec["customer"],
                owner=spec["owner"],
                fields={
                    "product_name": spec["product"],
                    **({"batch_no": spec["batch"]} if spec["batch"] else {}),
                },
                deadlines=deadlines,
                closed_at=utc(spec["closed"]) if spec["closed"] else None,
            )
            session.add(case)
            session.flush()
            if spec["replied"]:
                session.add(
                    CaseEvent(
                        case_id=case.id,
                        type="staff_reply",
                        actor="x",
                        at=utc(spec["replied"]),
                        detail={},
                    )
                )
            if spec["answered"]:
                session.add(
                    CaseEvent(
                        case_id=case.id,
                        type="callback_answer",
                        actor="c",
                        at=utc(spec["answered"]),
                        detail={"satisfied": spec["answer"]},
                    )
                )
            if spec["overdue"]:
                session.add(
                    CaseEvent(
                        case_id=case.id,
                        type="overdue",
                        actor="desk",
                        at=utc(spec["overdue"]),
                        detail={
                            "step": "first_contact",
                            "level": 0,
                            "due": spec["due"].isoformat(),
                        },
                    )
                )
                session.add(
                    CaseEvent(
                        case_id=case.id,
                        type="overdue",
                        actor="desk",
                        at=utc(spec["overdue"] + timedelta(hours=4)),
                        detail={"step": "first_contact", "level": 1},
                    )
                )
        request = ReturnRequest(
            dealer_code="HF-09",
            dealer_name="合肥顺达",
            sheet_date=local("2026-10-10").date(),
            received_at=utc(local("2026-10-10T10:00")),
            status="decided",
        )
        session.add(request)
        session.flush()
        for number, (decision, amount) in enumerate(
            [("accepted", 2000.0), ("accepted", 500.0), ("refused", 300.0), ("pending", 100.0)], 1
        ):
            session.add(
                ReturnLine(
                    request_id=request.id,
                    line_no=number,
                    decision=decision,
                    amount=amount,
                    problems=[],
                )
            )
        session.add(Purchase(dealer_code="HF-09", period="2026-10", amount=50000))


def expected(specs: list[dict], start: datetime, end: datetime) -> dict:
    """The KPIs of [start, end), computed straight from the seed."""
    received = [s for s in specs if start <= s["opened"] < end]
    measured = [s for s in received if (s["done"] and s["done"] < end) or s["due"] < end]
    on_time = [s for s in measured if s["done"] and s["done"] < end and s["done"] <= s["due"]]
    replied = [s for s in received if s["replied"] and s["replied"] < end]
    answered = [s for s in replied if s["answered"] and s["answered"] < end]
    answers = [s for s in specs if s["answered"] and start <= s["answered"] < end]
    closed = [s for s in specs if s["closed"] and start <= s["closed"] < end]
    hours = sorted((s["closed"] - s["opened"]).total_seconds() / 3600 for s in closed)
    still_open = [s for s in specs if s["opened"] < end and not (s["closed"] and s["closed"] < end)]
    overdue = Counter(s["owner"] for s in specs if s["overdue"] and start <= s["overdue"] < end)
    repeats = sum(
        1
        for s in received
        if any(
            o is not s
            and o["sender"] == s["sender"]
            and s["opened"] - timedelta(days=90) <= o["opened"] < s["opened"]
            for o in specs
        )
    )
    return {
        "received": len(received),
        "category": Counter(s["category"] for s in received),
        "channel": Counter(s["channel"] for s in received),
        "timeliness": len(on_time) / len(measured) if measured else None,
        "closure": sum(1 for s in received if s["closed"] and s["closed"] < end) / len(received)
        if received
        else None,
        "callback": len(answered) / len(replied) if replied else None,
        "satisfaction": sum(1 for s in answers if s["answer"]) / len(answers) if answers else None,
        "mean": sum(hours) / len(hours) if hours else None,
        "p90": hours[math.ceil(0.9 * len(hours)) - 1] if hours else None,
        "open": len(still_open),
        "overdue": overdue,
        "repeats": repeats,
    }


@pytest.fixture
def seeded(desk):
    specs = make_specs()
    seed(desk, specs)
    return desk, specs


@pytest.mark.parametrize(
    "kind, key, start, end",
    [
        ("monthly", "2026-10", "2026-10-01", "2026-11-01"),
        ("monthly", "2026-09", "2026-09-01", "2026-10-01"),
        ("weekly", "2026-W41", "2026-10-05", "2026-10-12"),
        ("quarterly", "2026-Q3", "2026-07-01", "2026-10-01"),
    ],
)
def test_every_kpi_matches_an_independent_count(seeded, kind, key, start, end):
    desk, specs = seeded
    period = reports.parse_period(kind, key)
    assert (period.start.isoformat(), period.end.isoformat()) == (start, end)
    want = expected(specs, local(start + "T00:00"), local(end + "T00:00"))
    with desk.store.transaction() as session:
        kpis = reports.compute(session, desk, period)
    assert kpis.received == want["received"]
    assert dict(kpis.by["category"]) == dict(want["category"])
    assert dict(kpis.by["channel"]) == dict(want["channel"])
    assert kpis.response_timeliness == pytest.approx(want["timeliness"])
    assert kpis.closure_rate == pytest.approx(want["closure"])
    assert kpis.callback_rate == pytest.approx(want["callback"])
    assert kpis.satisfaction == pytest.approx(want["satisfaction"])
    assert kpis.handling_hours_mean == pytest.approx(want["mean"])
    assert kpis.handling_hours_p90 == pytest.approx(want["p90"])
    assert sum(count for _, count in kpis.open_by_age) == want["open"] == len(kpis.open_list)
    assert dict(kpis.overdue_by_owner) == dict(want["overdue"])
    assert kpis.repeat_customers == want["repeats"]
    previous = expected(
        specs, local(period.previous().start.isoformat() + "T00:00"), local(start + "T00:00")
    )
    assert kpis.previous.received == previous["received"]


def test_returns_by_dealer_with_the_exchange_ratio(seeded):
    desk, _ = seeded
    with desk.store.transaction() as session:
        (row,) = reports.compute(
            session, desk, reports.parse_period("monthly", "2026-10")
        ).returns_by_dealer
        quarter = reports.compute(
            session, desk, reports.parse_period("quarterly", "2026-Q4")
        ).returns_by_dealer
    assert (row["accepted"], row["refused"], row["open"], row["purchases"]) == (
        2500.0,
        300.0,
        100.0,
        50000.0,
    )
    assert row["ratio"] == pytest.approx(0.05)
    assert quarter[0]["ratio"] == pytest.approx(0.05)  # the quarter's purchases are its months'


def test_workbook_sheets_charts_formats_and_no_formulas_from_customers(seeded):
    from outputs.report_workbook import build_workbook

    desk, _ = seeded
    with desk.store.transaction() as session:
        kpis = reports.compute(session, desk, reports.parse_period("monthly", "2026-10"))
    data = build_workbook(kpis, desk, "zh-Hans")
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames[:3] == ["摘要", "按类别", "按级别"] and "未结案件" in book.sheetnames
    summary = book["摘要"]
    assert summary["A3"].value == "投诉受理数" and summary["B3"].value == kpis.received
    assert summary["B4"].number_format == "0.0%"
    assert summary.freeze_panes == "A3" and summary.column_dimensions["A"].width == 26
    open_list = book["未结案件"]
    assert open_list.freeze_panes == "A2" and open_list.auto_filter.ref.startswith("A1:H")
    customers = [row[5] for row in open_list.iter_rows(min_row=2, values_only=True)]
    assert any(str(value).startswith("=HYPERLINK") for value in customers)
    for row in open_list.iter_rows(min_row=2):
        assert row[5].data_type == "s"  # text, never a formula
        assert row[1].number_format == "yyyy-mm-dd hh:mm"
    charts = [
        name
        for name in zipfile.ZipFile(io.BytesIO(data)).namelist()
        if name.startswith("xl/charts/chart")
    ]
    assert len(charts) >= 5


@pytest.mark.slow  # charts drawn (matplotlib) into a workbook
def test_report_mail_has_the_kpis_an_inline_chart_and_the_workbook(seeded):
    from outputs.report_mail import report_message

    desk, _ = seeded
    with desk.store.transaction() as session:
        kpis = reports.compute(session, desk, reports.parse_period("monthly", "2026-10"))
    message = email.message_from_bytes(
        bytes(report_message(desk, kpis, ["gm@desk.localhost"])), policy=policy.default
    )
    assert message["Subject"] == "[月报] 售后投诉统计 2026年10月"
    html = message.get_body(("html",))
    image = next(part for part in message.walk() if part.get_content_type() == "image/png")
    assert f"cid:{image['Content-ID'][1:-1]}" in html.get_content()
    assert image.get_content()[:4] == b"\x89PNG"
    assert f"<b>{kpis.received}</b>" in html.get_content()
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "售后投诉月报_2026-10.xlsx"


def test_schedule_due_times_and_catch_up(seeded):
    desk, _ = seeded
    assert reports.send_time(desk, reports.parse_period("monthly", "2026-10")) == local(
        "2026-11-02T09:00"
    )
    assert reports.send_time(desk, reports.parse_period("weekly", "2026-W44")) == local(
        "2026-11-03T09:00"
    )
    assert reports.send_time(desk, reports.parse_period("quarterly", "2026-Q3")) == local(
        "2026-10-02T09:00"
    )
    since = local("2026-08-01T00:00").date()
    assert [
        p.key for p in reports.due_periods(desk, "monthly", local("2026-11-02T08:59"), since)
    ] == ["2026-08", "2026-09"]
    assert [
        p.key for p in reports.due_periods(desk, "monthly", local("2026-11-02T09:00"), since)
    ] == ["2026-08", "2026-09", "2026-10"]
    # down for weeks: the last `catch_up` (3) weeks are made up, no more
    assert [
        p.key for p in reports.due_periods(desk, "weekly", local("2026-11-25T10:00"), since)
    ] == ["2026-W45", "2026-W46", "2026-W47"]


@pytest.mark.slow  # every report drawn
def test_each_report_is_sent_once_however_often_the_job_runs(seeded):
    desk, _ = seeded
    now = local("2026-11-03T09:30")
    first = reports.send_due_reports(desk, now)
    assert first == 3 + 3 + 1  # monthly 08–10, weekly W42–W44, quarterly Q3
    assert reports.send_due_reports(desk, now) == 0
    assert reports.send_due_reports(desk, now + timedelta(days=1)) == 0
    with desk.store.transaction() as session:
        assert (
            session.scalar(
                select(func.count(OutboxMessage.id)).where(OutboxMessage.purpose.like("report_%"))
            )
            == 7
        )
        keys = sorted(session.scalars(select(Report.period).where(Report.kind == "monthly")))
        assert keys == ["2026-08", "2026-09", "2026-10"]


def _worker(config_path: str, moment: str, results) -> None:  # noqa: ANN001
    with Desk.open(load_config(__import__("pathlib").Path(config_path))) as desk:
        results.put(reports.send_due_reports(desk, local(moment)))


@pytest.mark.slow  # several processes
def test_two_workers_at_once_send_each_report_once(seeded, desk_dir):
    desk, _ = seeded
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [
        context.Process(
            target=_worker, args=(str(desk_dir / "aftersales.toml"), "2026-11-03T09:30", results)
        )
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert sorted(results.get(timeout=5) for _ in workers)[1] <= 7
    with desk.store.transaction() as session:
        assert (
            session.scalar(
                select(func.count(OutboxMessage.id)).where(OutboxMessage.purpose.like("report_%"))
            )
            == 7
        )
        assert session.scalar(select(func.count(Report.id))) == 7


@pytest.mark.slow  # the command as a process
def test_report_command_writes_the_workbook(seeded, desk_dir, tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "processor",
            "--config",
            str(desk_dir / "aftersales.toml"),
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
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "售后投诉月报_2026-10.xlsx").is_file() and (
        tmp_path / "report-monthly-2026-10.eml"
    ).is_file()
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "processor",
            "--config",
            str(desk_dir / "aftersales.toml"),
            "report",
            "monthly",
            "--period",
            "October",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert bad.returncode == 2 and "2026-10" in bad.stderr


# ---------------------------------------------------------------- a running period, as of now

NOW = local("2026-11-20T10:00")  # the frozen clock of the tests below


def add_case(session, number: int, opened: datetime, **facts) -> Case:  # noqa: ANN001
    due = facts.pop("due", opened + timedelta(hours=2))
    case = Case(
        case_no=f"CS-NOW-{number:04d}",
        opened_at=utc(opened),
        kind="complaint",
        status="investigating",
        category="product_quality",
        level="complaint",
        business_line="after_sales",
        channel="mail",
        language="zh-Hans",
        sender=f"n{number}@example.test",
        owner="服务经理",
        deadlines=[
            {"step": "first_contact", "due": due.isoformat(timespec="minutes"), "why": "test"}
        ],
        **facts,
    )
    session.add(case)
    session.flush()
    return case


def test_a_running_period_is_counted_as_of_now_and_marked_partial(desk):
    with desk.store.transaction() as session:
        add_case(session, 1, NOW - timedelta(minutes=10), fields={"product_name": "凯美瑞"})
    with desk.store.transaction() as session:
        kpis = reports.compute(session, desk, reports.parse_period("monthly", "2026-11"), now=NOW)
    assert kpis.partial and kpis.as_of == NOW
    assert kpis.received == 1
    # its first contact is not due yet: nothing to measure, not 0 %
    assert kpis.response_timeliness is None
    # minutes old: in the youngest band, not aged to the end of the month
    assert dict(kpis.open_by_age)["day1"] == 1
    assert kpis.open_list[0]["age_days"] == 0.0
    with desk.store.transaction() as session:
        done = reports.compute(session, desk, reports.parse_period("monthly", "2026-10"), now=NOW)
    assert not done.partial and done.as_of == local("2026-11-01T00:00")


def test_product_names_count_together_across_scripts_and_as_the_master_data_names_them(desk):
    with desk.store.transaction() as session:
        session.add(Product(part_no="LB-9461", name="全合成机油", unit_price=58))
        for number, name in enumerate(
            ["凯美瑞", "凱美瑞", "凯美瑞 ", "全合成機油", "全合成机油"], 1
        ):
            add_case(
                session,
                number,
                local("2026-10-05T09:00") + timedelta(hours=number),
                fields={"product_name": name},
            )
    with desk.store.transaction() as session:
        kpis = reports.compute(session, desk, reports.parse_period("monthly", "2026-10"), now=NOW)
    assert dict(kpis.by["product"]) == {"凯美瑞": 3, "全合成机油": 2}


def test_returns_are_counted_in_the_period_they_were_decided(desk):
    """A sheet dated and received on 30 September whose quality line the inspection decided on
    5 October: October's report counts that line, September's counts the lines the rules
    decided on arrival."""
    with desk.store.transaction() as session:
        case = add_case(session, 1, local("2026-09-30T15:00"))
        case.kind = "return_sheet"
        request = ReturnRequest(
            case_id=case.id,
            dealer_code="HF-09",
            dealer_name="合肥顺达",
            sheet_date=local("2026-09-28").date(),
            received_at=utc(local("2026-09-30T15:00")),
            status="decided",
        )
        session.add(request)
        session.flush()
        session.add(
            ReturnLine(
                request_id=request.id, line_no=1, decision="accepted", amount=100.0, problems=[]
            )
        )
        session.add(
            ReturnLine(
                request_id=request.id, line_no=2, decision="accepted", amount=700.0, problems=[]
            )
        )
        session.add(
            CaseEvent(
                case_id=case.id,
                type="return_request",
                actor="desk",
                at=utc(local("2026-09-30T15:00")),
                detail={"request": request.id},
            )
        )
        session.add(
            CaseEvent(
                case_id=case.id,
                type="inspection",
                actor="qa",
                at=utc(local("2026-10-05T11:00")),
                detail={"line": 2, "verdict": "quality", "decision": "accepted"},
            )
        )
    with desk.store.transaction() as session:
        september = reports.compute(
            session, desk, reports.parse_period("monthly", "2026-09"), now=NOW
        )
        october = reports.compute(
            session, desk, reports.parse_period("monthly", "2026-10"), now=NOW
        )
    assert [(row["dealer"], row["accepted"]) for row in september.returns_by_dealer] == [
        ("HF-09", 100.0)
    ]
    assert [(row["dealer"], row["accepted"]) for row in october.returns_by_dealer] == [
        ("HF-09", 700.0)
    ]


def test_report_mail_is_auto_generated_not_an_auto_reply(seeded):
    from outputs.report_mail import report_message

    desk, _ = seeded
    with desk.store.transaction() as session:
        kpis = reports.compute(session, desk, reports.parse_period("monthly", "2026-10"), now=NOW)
    message = report_message(desk, kpis, ["gm@desk.localhost"])
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_all("Auto-Submitted") == ["auto-generated"]


def test_a_future_period_is_a_user_error(desk_dir):
    out = desk_dir / "reports"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "processor",
            "--config",
            str(desk_dir / "aftersales.toml"),
            "report",
            "monthly",
            "--period",
            "2099-01",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 2 and "2099-01 has not begun" in result.stderr
    assert not out.exists()  # nothing written


def test_workbook_prints_on_a4_landscape_with_targets_and_labels_not_ids(seeded):
    from outputs.report_workbook import build_workbook
    from processor.rules.lifecycle import STATUSES

    desk, _ = seeded
    with desk.store.transaction() as session:
        kpis = reports.compute(session, desk, reports.parse_period("monthly", "2026-10"), now=NOW)
    book = openpyxl.load_workbook(io.BytesIO(build_workbook(kpis, desk, "zh-Hans")))
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert (setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight) == (
            "landscape",
            9,
            1,
            0,
        ), sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
    summary = book["摘要"]
    assert [cell.value for cell in summary[2]] == ["指标", "本期", "上期", "变化", "目标"]
    targets = {row[0].value: row[4].value for row in summary.iter_rows(min_row=3, max_row=10)}
    assert targets["投诉响应及时率"] == 1.0 and targets["投诉结案率"] == 1.0  # seed 004 三、目标
    assert targets["满意度"] is None  # no seed sets one
    ids = set(desk.rules.categories) | set(desk.rules.levels) | set(STATUSES)
    shown = {
        value
        for row in book["未结案件"].iter_rows(min_row=2, values_only=True)
        for value in (row[3], row[6], row[7])
    }
    assert shown and not shown & ids
    assert {"调查处理中", "产品质量类"} <= shown


def test_an_unknown_kpi_target_is_refused(tmp_path):
    from processor.errors import ConfigError
    from processor.rules.engine import load_rules

    text = (
        (ROOT / "rules.example.toml")
        .read_text(encoding="utf-8")
        .replace("closure_rate = 1.0", "closure = 1.0")
    )
    (tmp_path / "rules.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown KPI closure"):
        load_rules(tmp_path / "rules.toml")
