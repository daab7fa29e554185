"""Benchmark: the monthly report over 100,000 cases (one month), on SQLite.

Prints the time and peak memory of computing the KPIs and building the workbook and the mail,
beside the bare libraries doing the same bulk work in the same run: reading the same columns
with a plain SELECT, and writing the same rows with openpyxl's write-only workbook. Targets of
issue 9: ≤ 10 s and ≤ 500 MB peak for the whole report.

    .venv/bin/python bench/report_monthly.py [--cases 100000]
"""

from __future__ import annotations

import argparse
import io
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openpyxl import Workbook  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from processor.config import load_config  # noqa: E402
from processor.desk import Desk  # noqa: E402
from processor.store.models import Case, CaseEvent, Document  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")


def seed(desk: Desk, count: int) -> None:
    rng = random.Random(1)
    start = datetime(2026, 10, 1, tzinfo=TZ)
    cases, events = [], []
    for number in range(1, count + 1):
        opened = start + timedelta(seconds=rng.randrange(31 * 86400))
        due = opened + timedelta(hours=2)
        done = opened + timedelta(minutes=rng.choice([30, 90, 200]))
        closed = opened + timedelta(hours=rng.choice([5, 30, 90])) if rng.random() < 0.7 else None
        utc = opened.astimezone(UTC).replace(tzinfo=None)
        cases.append({
            "id": number, "case_no": f"CS-2610-{number:06d}", "opened_at": utc, "status": "closed" if closed else "investigating",
            "kind": "complaint", "category": rng.choice(["product_quality", "service", "repair_quality", "other"]),
            "level": rng.choice(["complaint", "grievance", "major"]), "business_line": rng.choice(["sales", "after_sales"]),
            "channel": rng.choice(["mail", "shared folder"]), "language": "zh-Hans",
            "sender": f"c{rng.randrange(30000)}@example.test", "customer_name": f"客户{number}", "owner": rng.choice(["服务经理", "销售总监"]),
            "fields": {"product_name": rng.choice(["热水器", "机油", "空调", "防冻液"]), "batch_no": f"B{rng.randrange(500)}",
                       "phone": f"138{rng.randrange(10**8):08d}"},
            "deadlines": [{"step": "first_contact", "due": due.isoformat(timespec="minutes"),
                           "done": done.isoformat(timespec="minutes"), "why": "seed"}],
            "closed_at": closed.astimezone(UTC).replace(tzinfo=None) if closed else None,
        })
        events.append({"case_id": number, "type": "staff_reply", "actor": "x", "at": utc + timedelta(hours=3), "detail": {}})
        if rng.random() < 0.5:
            events.append({"case_id": number, "type": "callback_answer", "actor": "c", "at": utc + timedelta(days=2),
                           "detail": {"satisfied": rng.random() < 0.8}})
        if done > due:
            events.append({"case_id": number, "type": "overdue", "actor": "desk", "at": utc + timedelta(hours=2, minutes=1),
                           "detail": {"step": "first_contact", "level": 0, "due": due.isoformat()}})
    with desk.store.transaction() as session:
        session.add(Document(sha256="0" * 64, size=1, filename="seed", source="bench", archive_path="x",
                             received_at=datetime(2026, 9, 1), status="processed"))
        session.execute(insert(Case), cases)
        session.execute(insert(CaseEvent), events)


def measure(label: str, work) -> tuple[float, object]:  # noqa: ANN001
    """Wall time of one step (memory is the process's peak RSS, printed at the end: tracing
    allocations would slow the steps several times over)."""
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  {label:44} {seconds:6.2f} s   peak RSS so far {rss:6.0f} MB")
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed-into", help=argparse.SUPPRESS)  # the child that fills the store
    parser.add_argument("--profile", action="store_true", help="print where the KPIs spend their time")
    args = parser.parse_args()
    if args.seed_into:
        with Desk.open(load_config(Path(args.seed_into))) as desk:
            seed(desk, args.cases)
        return
    folder = Path(tempfile.mkdtemp(prefix="aftersales-bench-"))
    try:
        shutil.copyfile(Path(__file__).resolve().parent.parent / "processor" / "data" / "config.example.toml",
                        folder / "aftersales.toml")
        for sub in ("shared/incoming", "inbox/new", "inbox/cur", "inbox/tmp", "master"):
            (folder / sub).mkdir(parents=True)
        started = time.perf_counter()
        # seeded by a child process, so that this process's peak memory is the report's alone
        subprocess.run([sys.executable, __file__, "--cases", str(args.cases), "--seed-into",
                        str(folder / "aftersales.toml")], check=True)
        print(f"seeded {args.cases:,} cases in {time.perf_counter() - started:.1f} s")
        with Desk.open(load_config(folder / "aftersales.toml")) as desk:
            if args.profile:
                import cProfile
                import pstats

                from processor import reports

                with desk.store.transaction() as session, cProfile.Profile() as profile:
                    reports.compute(session, desk, reports.parse_period("monthly", "2026-10"))
                pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
                return
            from outputs.report_mail import report_message
            from outputs.report_workbook import build_workbook
            from processor import reports

            period = reports.parse_period("monthly", "2026-10")
            print("aftersales:")
            with desk.store.transaction() as session:
                compute_s, kpis = measure("KPIs of the month (and the month before)", lambda: reports.compute(session, desk, period))
            book_s, data = measure("workbook", lambda: build_workbook(kpis, desk, "zh-Hans"))
            mail_s, _ = measure("mail (chart, HTML, workbook attached)", lambda: report_message(desk, kpis, ["gm@x.test"]))
            total = compute_s + mail_s  # the mail builds its own workbook
            print("bare libraries, same bulk work:")
            with desk.store.transaction() as session:
                select_s, rows = measure("plain SELECT of the same columns", lambda: session.execute(text(
                    "select id, case_no, opened_at, closed_at, status, category, level, business_line, channel, owner, "
                    "sender, customer_name, fields, deadlines from cases where kind = 'complaint'")).all())

            def bare_workbook() -> bytes:
                workbook = Workbook(write_only=True)
                sheet = workbook.create_sheet("rows")
                for row in kpis.open_list:
                    sheet.append(list(row.values()))
                out = io.BytesIO()
                workbook.save(out)
                return out.getvalue()

            bare_s, _ = measure(f"openpyxl write-only, {len(kpis.open_list):,} open rows", bare_workbook)
            peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"report total {total:.2f} s (target ≤ 10 s); process peak RSS {peak_rss:.0f} MB (target ≤ 500 MB)")
            print(f"ratios: KPIs / plain SELECT {compute_s / select_s:.1f}×; workbook / bare openpyxl {book_s / bare_s:.1f}×")
            print(f"workbook {len(data) / 2**20:.1f} MB; received {kpis.received:,}, open {len(kpis.open_list):,}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
