"""The `aftersales` command. User mistakes print one line on stderr and exit 2."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from processor import __version__, logs
from processor.errors import UserError

# Each command imports what it uses inside its function: the store (SQLAlchemy), the parsers
# and the worker take seconds to import, which `--help`, `cases` or `inspect` must not pay for
# what they do not use.
if TYPE_CHECKING:
    from processor.config import Config
    from processor.desk import Desk
    from processor.pipeline import Outcome
    from processor.store.models import Case

EXAMPLE_CONFIG = Path(__file__).parent / "data" / "config.example.toml"
USER_ERROR = 2


PRIVATE_UMASK = 0o077  # files 0600, folders 0700: the store, archive, outbox, reports and exports hold personal data


def main(argv: list[str] | None = None) -> int:
    os.umask(PRIVATE_UMASK)
    parser = build_parser()
    args = parser.parse_args(argv)
    logs.configure(
        logging.DEBUG
        if args.verbose
        else logging.INFO
        if args.command == "run"
        else logging.WARNING,
        libraries=args.verbose,
    )
    try:
        return args.handler(args) or 0
    except UserError as exc:
        print(f"aftersales: {exc}", file=sys.stderr)
        return USER_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `aftersales cases --json | head -1`: the reader has all it wants
        quiet_stdout()
        return 0


def quiet_stdout() -> None:
    """Point stdout at /dev/null, so that Python's flush at exit does not fail on the closed pipe
    again (the way the Python documentation gives for SIGPIPE)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aftersales",
        description="The after-sales complaint desk: reads complaints, return sheets and forms "
        "from mail and shared folders, applies the handling rules and answers by mail.",
    )
    parser.add_argument(
        "--config", help="config file (default: $AFTERSALES_CONFIG, else ./aftersales.toml)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debugging detail")
    parser.add_argument("--version", action="version", version=f"aftersales {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler, help_: str) -> argparse.ArgumentParser:  # noqa: ANN001
        sub = commands.add_parser(name, help=help_, description=help_)
        sub.set_defaults(handler=handler)
        return sub

    init = command("init", cmd_init, "write a config file and create the store and folders")
    init.add_argument("--force", action="store_true", help="overwrite an existing config file")
    run = command("run", cmd_run, "run the worker: poll every source each poll_seconds")
    run.add_argument("--once", action="store_true", help="one pass over every source, then exit")
    run.add_argument(
        "--distributed",
        action="store_true",
        help="one of several workers sharing the PostgreSQL store's job queue (procrastinate)",
    )
    run.add_argument(
        "--concurrency",
        type=int,
        default=2,
        help="jobs at a time in a distributed worker (default 2)",
    )
    inspect = command(
        "inspect", cmd_inspect, "parse files and apply the rules, without side effects"
    )
    inspect.add_argument("files", nargs="+", metavar="FILE")
    inspect.add_argument(
        "--json", action="store_true", help="one JSON object per file (JSON Lines)"
    )
    inspect.add_argument(
        "--at",
        metavar="TIME",
        help='decide as if it arrived then ("2026-12-31 16:00", the desk\'s '
        "time zone; default: the mail's Date header, else the file's time)",
    )
    ingest = command("ingest", cmd_ingest, "process files as if dropped into a shared folder")
    ingest.add_argument("files", nargs="+", metavar="FILE")
    cases = command("cases", cmd_cases, "list cases")
    cases.add_argument("--open", action="store_true", help="only cases not closed")
    cases.add_argument(
        "--overdue", action="store_true", help="only open cases past their next deadline"
    )
    cases.add_argument("--json", action="store_true", help="JSON Lines instead of a table")
    cases.add_argument(
        "--at",
        metavar="TIME",
        help='which steps would be overdue then ("2026-12-31 16:00"; default: now)',
    )
    show = command("show", cmd_show, "show one case with its timeline")
    show.add_argument("case", metavar="CASE")
    report = command(
        "report",
        cmd_report,
        "a weekly, monthly or quarterly report (or, without a kind, a summary)",
    )
    report.add_argument("kind", nargs="?", choices=["weekly", "monthly", "quarterly"])
    report.add_argument(
        "--period", help="2026-W47, 2026-10 or 2026-Q3 (default: the last complete period)"
    )
    report.add_argument(
        "--out", help="folder to write the workbook and the mail (.eml) into (default: .)"
    )
    report.add_argument(
        "--send", action="store_true", help="also mail it to the report's recipients now"
    )
    retention = command(
        "retention",
        cmd_retention,
        "export and purge cases closed longer ago than the retention period",
    )
    retention.add_argument(
        "--years", type=int, default=5, help="retention period (default 5, seed 000)"
    )
    retention.add_argument(
        "--export", metavar="DIR", help="write the cases and their originals here before purging"
    )
    retention.add_argument("--dry-run", action="store_true", help="only say what would be purged")
    status = command(
        "status",
        cmd_status,
        "sources, queue, outbox, quarantine and open problems; "
        "exit 0 when no problem is open, 1 when one is (for monitoring), 2 on a user error",
    )
    status.add_argument(
        "--close", metavar="KEY", help="close an open problem by its key (after dealing with it)"
    )
    attention = command(
        "attention",
        cmd_attention,
        "what needs a person: quarantined items with their reasons, items "
        "filed for staff, held return requests, cases judged on uncertain evidence",
    )
    attention.add_argument(
        "--days",
        type=int,
        default=7,
        help="quarantined and filed items of the last DAYS days (default 7); held and uncertain: all open",
    )
    attention.add_argument(
        "--json", action="store_true", help="one JSON object per item (JSON Lines)"
    )
    attention.add_argument(
        "--at", metavar="TIME", help='what needed a person then ("2026-12-31 16:00"; default: now)'
    )
    rules = command("rules", cmd_rules, "work with rule files")
    rules.add_argument(
        "action",
        choices=["check", "replay"],
        help="check: validate a rule file; replay: list the cases a new rule file would judge otherwise",
    )
    rules.add_argument(
        "file", nargs="?", help="rule file (default: the configured or built-in rules)"
    )
    rules.add_argument(
        "--since",
        type=date.fromisoformat,
        help="replay: only documents received on or after (YYYY-MM-DD)",
    )
    rules.add_argument("--json", action="store_true", help="replay: one JSON line per changed case")
    return parser


# ── helpers ──────────────────────────────────────────────────────────────────────────────
def load(args: argparse.Namespace) -> Config:
    from processor.config import config_path, load_config

    return load_config(config_path(args.config))


def config_or_defaults(args: argparse.Namespace) -> Config:
    """The config when one is named or present, else the built-in defaults (for commands that
    need no store: inspect, rules check)."""
    from processor.config import Config, config_path, load_config

    path = config_path(args.config)
    return load_config(path, check_folders=False) if (args.config or path.exists()) else Config()


def open_desk(args: argparse.Namespace) -> Desk:
    from processor.desk import Desk

    return Desk.open(load(args))


def local_time(moment: datetime | None, zone: ZoneInfo) -> str:
    if moment is None:
        return "—"
    return moment.replace(tzinfo=UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def wide_console() -> Console:
    """A terminal's own width (or $COLUMNS); 160 columns when the output goes to a file or a pipe."""
    console = Console()
    return console if console.is_terminal or os.environ.get("COLUMNS") else Console(width=160)


def outcomes_table(outcomes: list[Outcome], title: str) -> Table:
    """One row per item; each column one fact: the next deadline is a time or —, and what
    happened to the item (a quarantine's reason, a note) has a column of its own."""
    table = Table(title=title, show_lines=False)
    for column in (
        "case",
        "outcome",
        "kind",
        "sender",
        "category",
        "level",
        "owner",
        "next deadline",
    ):
        table.add_column(column, no_wrap=column in ("case", "next deadline"))
    table.add_column("why / note", ratio=1, overflow="fold")
    for outcome in outcomes:
        table.add_row(
            outcome.case_no or "—",
            outcome.status,
            outcome.kind,
            outcome.sender or outcome.filename,
            outcome.category or "—",
            outcome.level or "—",
            outcome.owner or "—",
            (outcome.next_deadline or "—").replace("T", " "),
            outcome.reason or "—",
        )
    return table


# ── commands ─────────────────────────────────────────────────────────────────────────────
def cmd_init(args: argparse.Namespace) -> int:
    from processor.config import config_path, load_config
    from processor.desk import Desk

    path = config_path(args.config)
    if path.exists() and not args.force:
        raise UserError(f"{path} exists already: pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(EXAMPLE_CONFIG, path)
    config = load_config(path, check_folders=False)
    for folder in config.folders:
        for each in config.folder_paths(folder):
            each.mkdir(parents=True, exist_ok=True)
    for maildir in config.maildirs:
        for sub in ("new", "cur", "tmp"):
            (config.path(maildir.path) / sub).mkdir(parents=True, exist_ok=True)
    config.archive_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    config.outbox_dir.mkdir(parents=True, exist_ok=True)
    if config.master_data.folder:
        config.path(config.master_data.folder).mkdir(parents=True, exist_ok=True)
    with Desk.open(config):
        pass  # opening migrates the store
    print(f"wrote {path}; store, archive, outbox and folders are ready")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from processor.worker import run_forever, run_once

    if args.distributed:
        from processor import distributed

        distributed.run(
            load(args), once=args.once, concurrency=args.concurrency
        )  # opens (and migrates) the desk once
        return 0
    with open_desk(args) as desk:
        if not args.once:
            run_forever(desk)
            return 0
        console = Console(stderr=True)
        outcomes = run_with_progress(desk, console) if console.is_terminal else run_once(desk)
        wide_console().print(outcomes_table(outcomes, f"{len(outcomes)} items processed"))
        counts = Counter(outcome.status for outcome in outcomes)
        print(
            ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
            or "nothing new"
        )
        return 0


def run_with_progress(desk: Desk, console: Console) -> list[Outcome]:
    """One pass under a progress bar that names the item being read and counts those done; the
    log's lines scroll above the bar (through the bar's console) instead of running into it."""
    from processor.worker import run_once

    root = logging.getLogger()
    handlers = root.handlers[:]
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.completed} done"),
        BarColumn(),
        TextColumn("{task.description}", markup=False),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("reading the sources", total=None)
        root.handlers = [logs.ConsoleHandler(bar.console)]
        try:
            return run_once(
                desk,
                on_outcome=lambda outcome: bar.update(
                    task, advance=1, description="jobs and delivery"
                ),
                on_item=lambda item: bar.update(
                    task, description=f"{item.source}  {item.filename}", refresh=True
                ),
            )
        finally:
            root.handlers = handlers


def cmd_inspect(args: argparse.Namespace) -> int:
    from processor.desk import Rulebook
    from processor.examining import as_json, examine

    book = Rulebook.from_config(config_or_defaults(args))
    at = moment_given(args.at, book.timezone)
    for name in args.files:
        file = Path(name)
        if not file.is_file():
            raise UserError(f"{name}: no such file")
        file_time = datetime.fromtimestamp(file.stat().st_mtime, book.timezone).replace(
            second=0, microsecond=0
        )
        result = as_json(
            examine(file.read_bytes(), file.name, book, received=at, otherwise=file_time)
        )
        if args.json:
            print(json.dumps(result, ensure_ascii=False, default=str), flush=True)
        else:
            print_inspection(result)
    return 0


def moment_given(text: str | None, zone: ZoneInfo) -> datetime | None:
    """An operator's `--at` time: ISO date and time, in the desk's time zone unless it names one."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f'--at {text!r}: give a date and time such as "2026-12-31 16:00"') from None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)


def print_inspection(result: dict) -> None:
    console = Console()
    console.rule(f"{result['file']}: {result['kind']} ({result['language'] or '?'})")
    for name, value in result["fields"].items():
        console.print(f"  {name:16} {value}", markup=False)
    for line in result["lines"]:
        console.print("  line: " + ", ".join(f"{k}={v}" for k, v in line.items()), markup=False)
    console.print(
        f"  received {result['received']}"
        + (f"  (Date: {result['date_header']})" if result.get("date_header") else ""),
        markup=False,
    )
    if result["category"]:
        console.print(
            f"  → {result['category']} / {result['level']} / {result['business_line']}, owner {result['owner']}",
            markup=False,
        )
    for deadline in result["deadlines"]:
        console.print(
            f"  due {deadline['step']}: {deadline['due']}{deadline_marks(deadline)}", markup=False
        )
    for action in result["actions"]:
        console.print(f"  do {action['type']} → {action.get('to') or ''}", markup=False)
    for error in result["errors"]:
        console.print(f"  error: {error}", markup=False, style="red")


def cmd_ingest(args: argparse.Namespace) -> int:
    from processor.delivery import deliver
    from processor.pipeline import Incoming, process

    with open_desk(args) as desk:
        outcomes = []
        for name in args.files:
            file = Path(name)
            if not file.is_file():
                raise UserError(f"{name}: no such file")
            outcomes.append(
                process(desk, Incoming("ingest", str(file.resolve()), file.name, file.read_bytes()))
            )
        deliver(desk)
        wide_console().print(outcomes_table(outcomes, f"{len(outcomes)} files ingested"))
        return 0


def deadline_marks(deadline: dict) -> str:
    """What a deadline says about itself: outside the working calendar, moved after an earlier
    step, counted on an unpublished year."""
    marks = [
        f"on {deadline['outside']}" if deadline.get("outside") else "",
        f"after {deadline['after']}" if deadline.get("after") else "",
        "provisional" if deadline.get("provisional") else "",
    ]
    shown = ", ".join(mark for mark in marks if mark)
    return f" ({shown})" if shown else ""


def overdue_steps(case: Case, moment: datetime) -> list[str]:
    from processor.cases import open_deadlines

    return [
        deadline["step"]
        for deadline in open_deadlines(case)
        if datetime.fromisoformat(deadline["due"]) <= moment
    ]


def cmd_cases(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from processor.cases import OPEN_STATUSES
    from processor.store.models import Case

    with open_desk(args) as desk:
        moment = moment_given(args.at, desk.timezone) or desk.now()
        with desk.store.transaction() as session:
            query = select(Case).order_by(Case.id)
            if args.open or args.overdue or args.at:
                query = query.where(Case.status.in_(OPEN_STATUSES))
            if args.overdue:
                query = query.where(
                    Case.next_deadline_at <= moment.astimezone(UTC).replace(tzinfo=None)
                )
            rows = session.scalars(query).all()
        if args.json:
            for case in rows:
                print(
                    json.dumps(
                        {
                            "case": case.case_no,
                            "status": case.status,
                            "kind": case.kind,
                            "sender": case.sender,
                            "category": case.category,
                            "level": case.level,
                            "owner": case.owner,
                            "next_deadline": local_time(case.next_deadline_at, desk.timezone),
                            "overdue": overdue_steps(case, moment),
                        },
                        ensure_ascii=False,
                    )
                )
            return 0
        table = Table(
            title=f"{len(rows)} cases"
            + (f", overdue at {moment:%Y-%m-%d %H:%M}" if args.at else "")
        )
        for column in (
            "case",
            "opened",
            "status",
            "kind",
            "sender",
            "category",
            "level",
            "owner",
            "next deadline",
            "overdue",
        ):
            table.add_column(column)
        for case in rows:
            table.add_row(
                case.case_no,
                local_time(case.opened_at, desk.timezone),
                case.status,
                case.kind,
                case.sender or "—",
                case.category or "—",
                case.level or "—",
                case.owner or "—",
                local_time(case.next_deadline_at, desk.timezone),
                ", ".join(overdue_steps(case, moment)) or "—",
            )
        wide_console().print(table)
        return 0


def grid(*widths: int | None) -> Table:
    """Rows of columns without borders: a column of fixed width keeps its facts aligned, the
    last one wraps within what is left of the line (at spaces, or between Chinese characters),
    so that a long value never runs back under the labels."""
    table = Table.grid(padding=(0, 2), expand=False)
    for width in widths:
        if width:
            table.add_column(no_wrap=True, min_width=width, max_width=width + 18)
        else:
            table.add_column(ratio=1, overflow="fold")
    return table


def cmd_show(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from processor.store.models import Case, Document, OutboxMessage

    with open_desk(args) as desk:
        with desk.store.transaction() as session:
            case = session.scalars(select(Case).where(Case.case_no == args.case.upper())).first()
            if case is None:
                raise UserError(f"no case {args.case}")
            console = wide_console()
            console.rule(f"{case.case_no}  {case.status}")
            facts = grid(10, None)
            for label, value in [
                ("kind", case.kind),
                ("sender", case.sender),
                ("customer", case.customer_name),
                ("category", case.category),
                ("level", case.level),
                ("line", case.business_line),
                ("owner", case.owner),
                ("opened", local_time(case.opened_at, desk.timezone)),
            ]:
                facts.add_row(label, str(value or "—"))
            console.print(facts)
            documents = session.scalars(
                select(Document).where(Document.case_id == case.id).order_by(Document.id)
            ).all()
            console.print("documents:", markup=False)
            rows = grid(2, 20, None)
            for document in documents:
                date_header = (document.parsed or {}).get("date_header") or "—"
                rows.add_row(
                    "",
                    f"arrived {local_time(document.received_at, desk.timezone)}",
                    f"{document.filename}  (Date: {date_header})",
                )
            console.print(rows)
            console.print("fields:", markup=False)
            unverified = set(case.fields.get("unverified", []))
            rows = grid(2, 16, None)
            for name, value in case.fields.items():
                if name not in ("unverified", "lines"):
                    rows.add_row(
                        "",
                        name,
                        f"{value}" + ("  (unverified: read by OCR)" if name in unverified else ""),
                    )
            console.print(rows)
            if case.fields.get("lines"):
                console.print("lines:", markup=False)
                console.print(lines_table(case.fields["lines"]))
            console.print("deadlines:", markup=False)
            now = desk.now()
            rows = grid(2, 22, None)
            for deadline in case.deadlines:
                state = (
                    f"done {deadline['done']}"
                    if deadline.get("done")
                    else "OVERDUE"
                    if datetime.fromisoformat(deadline["due"]) <= now
                    else "open"
                )
                rows.add_row(
                    "", deadline["step"], f"{deadline['due']}{deadline_marks(deadline)}  {state}"
                )
                rows.add_row(
                    "", "", deadline["why"]
                )  # the rule's reason on a line of its own, wrapped under it
            console.print(rows)
            console.print("timeline:", markup=False)
            rows = grid(2, 16, 15, None)
            for event in case.events:
                detail = ", ".join(f"{k}={v}" for k, v in event.detail.items() if k != "rules")
                rows.add_row(
                    "",
                    local_time(event.at, desk.timezone),
                    event.type,
                    f"{event.actor}  {detail}".strip(),
                )
            console.print(rows)
            mails = session.scalars(
                select(OutboxMessage).where(OutboxMessage.case_id == case.id)
            ).all()
            console.print("mails:", markup=False)
            rows = grid(2, 8, 16, None)
            for mail in mails:
                rows.add_row(
                    "", mail.status, mail.purpose, f"→ {', '.join(mail.recipients)}  {mail.subject}"
                )
            console.print(rows)
        return 0


def lines_table(lines: list[dict]) -> Table:
    """A return sheet's lines as a table: one column per value any line has."""
    columns = list(dict.fromkeys(key for line in lines for key in line))
    table = Table(box=None, padding=(0, 1), pad_edge=False)
    table.add_column("#", justify="right")
    for column in columns:
        table.add_column(column, overflow="fold")
    for number, line in enumerate(lines, 1):
        table.add_row(
            str(number),
            *(
                str(line.get(column, "")) if line.get(column) is not None else "—"
                for column in columns
            ),
        )
    return table


def cmd_report(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from processor.store.models import Case

    if args.kind:
        return periodic_report(args)
    with open_desk(args) as desk:
        with desk.store.transaction() as session:
            rows = session.scalars(select(Case)).all()
        console = Console()
        console.print(f"{len(rows)} cases", markup=False)
        for fact in ("status", "kind", "category", "level", "business_line", "owner"):
            counts = Counter(getattr(case, fact) or "—" for case in rows)
            table = Table(title=f"by {fact}")
            table.add_column(fact)
            table.add_column("cases", justify="right")
            for value, count in counts.most_common():
                table.add_row(str(value), str(count))
            console.print(table)
        return 0


def periodic_report(args: argparse.Namespace) -> int:
    from outputs.i18n import gettext
    from outputs.report_mail import report_message
    from outputs.report_values import shown
    from processor import outbox, reports
    from processor.delivery import deliver

    with open_desk(args) as desk:
        try:
            period = (
                reports.parse_period(args.kind, args.period)
                if args.period
                else reports.period_containing(args.kind, desk.now().date()).previous()
            )
        except ValueError as exc:
            raise UserError(str(exc)) from None
        if period.start > desk.now().date():
            raise UserError(
                f"period {period.key} has not begun yet (today is {desk.now():%Y-%m-%d}): "
                "a running period is reported as of now, a future one not at all"
            )
        to = reports.recipients(desk, args.kind)
        with desk.store.transaction() as session:
            kpis = reports.compute(session, desk, period)
            message = report_message(desk, kpis, to or [desk.config.desk.address])
            if args.send:
                if not to:
                    raise UserError(f"[reports.{args.kind}] to names no recipient")
                outbox.queue(session, message, f"report_{args.kind}")
        folder = Path(args.out or ".")
        folder.mkdir(parents=True, exist_ok=True)
        attachment = next(message.iter_attachments())
        (folder / attachment.get_filename()).write_bytes(attachment.get_content())
        (folder / f"report-{args.kind}-{period.key}.eml").write_bytes(bytes(message))
        language = desk.config.desk.default_language
        as_of = (
            f", as of {kpis.as_of:%Y-%m-%d %H:%M} (the period is still running)"
            if kpis.partial
            else ""
        )
        table = Table(title=f"{args.kind} {period.label(language)}{as_of}")
        for column in ("KPI", "this period", "previous", "target"):
            table.add_column(column)
        for name, value, previous in kpis.headline():
            target = shown(kpis.targets[name], name) if name in kpis.targets else ""
            table.add_row(
                gettext(language, f"kpi.{name}"), shown(value, name), shown(previous, name), target
            )
        Console().print(table)
        print(f"wrote {folder / attachment.get_filename()}")
        if args.send:
            deliver(desk)
            print(f"sent to {', '.join(to)}")
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    from processor.retention import purge

    if not args.dry_run and not args.export:
        raise UserError("pass --export DIR (the purged cases are written there first) or --dry-run")
    with open_desk(args) as desk:
        done = purge(
            desk,
            years=args.years,
            export_dir=Path(args.export) if args.export else None,
            dry_run=args.dry_run,
        )
    verb = "would purge" if args.dry_run else "purged"
    print(
        f"{verb} {done.cases} cases and {done.documents} documents closed more than {args.years} years ago"
        + (f"; exported to {done.export}" if done.export else "")
    )
    return 0


def cmd_rules(args: argparse.Namespace) -> int:
    from processor.config import clock
    from processor.rules.engine import load_rules, working_calendar

    if args.action == "replay":
        return rules_replay(args)
    config = config_or_defaults(args)
    if args.file:
        target = Path(args.file)
        if not target.is_file():
            raise UserError(f"{args.file}: no such file")
    else:
        target = config.path(config.rules.file) if config.rules.file else None
    rules = load_rules(target)
    print(
        f"{target or 'built-in rules'}: ok — {len(rules.categories)} categories, {len(rules.levels)} levels, "
        f"{len(rules.routing)} routing rules, {len(rules.roles)} roles, {len(rules.deadlines)} deadlines"
    )
    # the checked file's calendar, not the configured one's (which may be the file being replaced)
    calendar = working_calendar(rules, clock(config.office.opens), clock(config.office.closes))
    warning = calendar.warning(datetime.now(ZoneInfo(config.desk.timezone)).date())
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def cmd_attention(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from processor import attention

    if args.days < 1:
        raise UserError("--days: give a number of days, 1 or more")
    with open_desk(args) as desk:
        language = desk.config.desk.default_language
        with desk.store.transaction() as session:
            moment = moment_given(args.at, desk.timezone) or desk.now()
            items = attention.gather(session, moment, timedelta(days=args.days))
        rows = attention.rows(items, desk, language)
    if args.json:
        for item, (_, _, when, _, why) in zip(items, rows, strict=True):
            print(
                json.dumps(
                    {
                        "kind": item.kind,
                        "ref": item.ref,
                        "at": when,
                        "sender": item.sender,
                        "why": why,
                        "reason": item.reason,
                        "codes": attention.codes(item),
                    },
                    ensure_ascii=False,
                )
            )
        return 0
    from outputs.i18n import gettext

    if not rows:
        print(gettext(language, "attention.none"))
        return 0
    table = Table(title=f"{gettext(language, 'attention.title')}: {len(rows)}")
    for column in attention.COLUMNS:
        table.add_column(
            gettext(language, f"attention.column.{column}"),
            no_wrap=column in ("ref", "when"),
            overflow="fold",
            ratio=1 if column == "why" else None,
        )
    for row in rows:
        table.add_row(*row)
    wide_console().print(table)
    return 0


PROBLEMS_OPEN = 1  # `status` exit code when any problem is open


def cmd_status(args: argparse.Namespace) -> int:
    from processor import problems
    from processor.status import gather

    with open_desk(args) as desk:
        if args.close:
            with desk.store.transaction() as session:
                if not problems.resolve(session, args.close):
                    raise UserError(f"no open problem {args.close}: `aftersales status` lists them")
            print(f"closed {args.close}")
        with desk.store.transaction() as session:
            lines, open_count = gather(desk, session)
    print("\n".join(lines))
    return PROBLEMS_OPEN if open_count else 0


def rules_replay(args: argparse.Namespace) -> int:
    """Re-read the archived originals under the rules in use and under FILE; print each case
    whose kind, level, category, line or owner would change, and why. Nothing is written."""
    from processor.replay import replay
    from processor.rules.engine import load_rules

    if not args.file or not Path(args.file).is_file():
        raise UserError(
            f"{args.file or 'rules replay'}: name the new rule file to compare (no such file)"
        )
    new_rules = load_rules(Path(args.file))
    since = datetime.combine(args.since, datetime.min.time()) if args.since else None
    changed = 0
    with open_desk(args) as desk:
        for change in replay(desk, new_rules, since):
            changed += 1
            if args.json:
                print(json.dumps(change.as_json(), ensure_ascii=False, default=str), flush=True)
                continue
            moves = ", ".join(
                f"{fact} {old} → {new}" for fact, (old, new) in change.changes.items()
            )
            print(f"{change.case_no} ({change.filename}): {moves}")
            for line in change.why:
                print(f"    {line}")
    if not args.json:
        print(f"{changed} case(s) would change; nothing was changed.")
    return 0
