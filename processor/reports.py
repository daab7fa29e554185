"""Periodic reports to management (seeds 001, 003, 004): the periods, the KPIs of one period
(each defined in the README with its formula), and the job that produces each report once.

A report is one row in `reports` per (kind, period), inserted in the same transaction as its
mail's outbox row: with several workers, or after the worker was down, each report for each
period goes out exactly once; missed periods are made up, at most `[reports] catch_up` back.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from outputs.i18n import gettext
from outputs.report_values import HEADLINE
from parsers.language import to_simplified
from processor import outbox
from processor.cases import from_utc_naive, to_utc_naive
from processor.desk import Desk
from processor.store.models import (
    Case,
    CaseEvent,
    Document,
    Product,
    Purchase,
    Report,
    ReturnLine,
    ReturnRequest,
)

log = logging.getLogger(__name__)

KINDS = ("weekly", "monthly", "quarterly")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
AGE_BUCKETS = (
    (1, "day1"),
    (3, "day3"),
    (7, "day7"),
    (30, "day30"),
    (math.inf, "older"),
)  # days open → `age.ID`
BREAKDOWNS = (
    "category",
    "level",
    "business_line",
    "channel",
    "product",
    "batch",
)  # `report.by.NAME`
REPEAT_WINDOW = timedelta(days=90)


# ---------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    kind: str
    key: str  # 2026-W47 | 2026-10 | 2026-Q3
    start: date
    end: date  # exclusive

    def label(self, language: str) -> str:
        """The period as its readers name it (2026年10月, 2026-10; 2026年第3季度, Q3 2026)."""
        if self.kind == "weekly":
            return gettext(
                language,
                "report.period.weekly",
                key=self.key,
                start=f"{self.start:%m-%d}",
                last=f"{self.end - timedelta(days=1):%m-%d}",
            )
        if self.kind == "quarterly":
            return gettext(
                language, "report.period.quarterly", year=self.start.year, quarter=self.key[-1]
            )
        return gettext(
            language, "report.period.monthly", year=self.start.year, month=self.start.month
        )

    @property
    def months(self) -> list[str]:
        """The months it covers, as purchases are kept (`2026-09`)."""
        found, day = [], self.start.replace(day=1)
        while day < self.end:
            found.append(f"{day:%Y-%m}")
            day = (day + timedelta(days=32)).replace(day=1)
        return found

    def previous(self) -> Period:
        return period_containing(self.kind, self.start - timedelta(days=1))


def period_containing(kind: str, day: date) -> Period:
    if kind == "weekly":
        start = day - timedelta(days=day.weekday())
        year, week, _ = start.isocalendar()
        return Period(kind, f"{year}-W{week:02d}", start, start + timedelta(days=7))
    if kind == "monthly":
        start = day.replace(day=1)
        return Period(kind, f"{start:%Y-%m}", start, (start + timedelta(days=32)).replace(day=1))
    if kind == "quarterly":
        quarter = (day.month - 1) // 3
        start = date(day.year, quarter * 3 + 1, 1)
        end = date(day.year + (quarter == 3), (quarter * 3 + 3) % 12 + 1, 1)
        return Period(kind, f"{day.year}-Q{quarter + 1}", start, end)
    raise ValueError(f"unknown report kind {kind!r}: use weekly, monthly or quarterly")


def parse_period(kind: str, text: str) -> Period:
    """`2026-W47`, `2026-10` or `2026-Q3` (the report kind says which)."""
    text = text.strip().upper()
    try:
        if kind == "weekly":
            year, week = text.split("-W")
            return period_containing(kind, date.fromisocalendar(int(year), int(week), 1))
        if kind == "quarterly":
            year, quarter = text.split("-Q")
            return period_containing(kind, date(int(year), (int(quarter) - 1) * 3 + 1, 1))
        year, month = text.split("-")[:2]
        return period_containing(kind, date(int(year), int(month), 1))
    except (ValueError, IndexError):
        examples = {"weekly": "2026-W47", "monthly": "2026-10", "quarterly": "2026-Q3"}
        raise ValueError(
            f"period {text!r}: a {kind} period is written like {examples.get(kind, '2026-10')}"
        ) from None


def send_time(desk: Desk, period: Period) -> datetime:
    """When a period's report is due: the configured weekday after a week, or the configured day
    of the month after a month or quarter, at the configured time."""
    schedule = getattr(desk.config.reports, period.kind)
    hours, minutes = (int(part) for part in schedule.at.split(":"))
    if period.kind == "weekly":
        day = period.end + timedelta(
            days=(WEEKDAYS.index(schedule.weekday) - period.end.weekday()) % 7
        )
    else:
        day = period.end + timedelta(days=schedule.day - 1)
    return datetime.combine(day, time(hours, minutes), desk.timezone)


def due_periods(desk: Desk, kind: str, now: datetime, since: date | None) -> list[Period]:
    """The completed periods whose report is due by `now`, oldest first: at most `catch_up`,
    none ending before the desk had anything (`since`)."""
    found = []
    period = period_containing(kind, now.date()).previous()
    while len(found) < desk.config.reports.catch_up:
        if since is not None and period.end <= since:
            break
        if send_time(desk, period) <= now:
            found.append(period)
        period = period.previous()
    return list(reversed(found))


# ---------------------------------------------------------------- loading


@dataclass
class CaseRow:
    id: int
    opened: datetime  # naive UTC, as stored
    closed: datetime | None
    category: str | None
    level: str | None
    business_line: str | None
    channel: str | None
    sender: str | None
    product: str | None
    batch: str | None
    phone: str | None
    deadlines: list[dict[str, Any]]


def _bounds(desk: Desk, start: date, end: date) -> tuple[datetime, datetime]:
    return (
        to_utc_naive(datetime.combine(start, time(), desk.timezone)),
        to_utc_naive(datetime.combine(end, time(), desk.timezone)),
    )


def load_cases(session: Session, start: datetime, end: datetime) -> list[CaseRow]:
    """Complaints opened in [start, end) (naive UTC): narrow columns, the few fields the KPIs
    read taken out of the JSON by the database."""
    query = select(
        Case.id,
        Case.opened_at,
        Case.closed_at,
        Case.category,
        Case.level,
        Case.business_line,
        Case.channel,
        Case.sender,
        Case.fields["product_name"].as_string(),
        Case.fields["batch_no"].as_string(),
        Case.fields["phone"].as_string(),
        Case.deadlines,
    ).where(Case.kind == "complaint", Case.opened_at >= start, Case.opened_at < end)
    return [CaseRow(*row[:11], row[11] or []) for row in session.execute(query)]


def load_customers(
    session: Session, start: datetime, end: datetime
) -> list[tuple[int, datetime, str | None, str | None]]:
    """(id, opened, sender, phone) of the complaints opened in [start, end): for repeats."""
    query = select(Case.id, Case.opened_at, Case.sender, Case.fields["phone"].as_string()).where(
        Case.kind == "complaint", Case.opened_at >= start, Case.opened_at < end
    )
    return list(session.execute(query))


def cases_with(
    session: Session, types: tuple[str, ...], end: datetime, start: datetime
) -> dict[str, set[int]]:
    """For each event type, the complaints opened in [start, end) that had one before `end`."""
    query = (
        select(CaseEvent.type, CaseEvent.case_id)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(
            CaseEvent.type.in_(types),
            CaseEvent.at < end,
            Case.kind == "complaint",
            Case.opened_at >= start,
            Case.opened_at < end,
        )
    )
    found: dict[str, set[int]] = {type_: set() for type_ in types}
    for type_, case_id in session.execute(query):
        found[type_].add(case_id)
    return found


# ---------------------------------------------------------------- KPIs


@dataclass
class Kpis:
    period: Period
    as_of: datetime | None = None  # the period's end, or now while it runs
    partial: bool = False  # the period is still running: its KPIs are so far
    targets: dict[str, float] = field(
        default_factory=dict
    )  # the rule file's [targets], by KPI name
    received: int = 0
    by: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    response_timeliness: float | None = None
    closure_rate: float | None = None
    callback_rate: float | None = None
    satisfaction: float | None = None
    handling_hours_mean: float | None = None
    handling_hours_p90: float | None = None
    closed: int = 0
    open_by_age: list[tuple[str, int]] = field(default_factory=list)
    overdue_by_owner: list[tuple[str, int]] = field(default_factory=list)
    overdue_list: list[dict[str, Any]] = field(default_factory=list)
    open_list: list[dict[str, Any]] = field(default_factory=list)
    repeat_customers: int = 0
    repeat_batches: list[tuple[str, int]] = field(default_factory=list)
    returns_by_dealer: list[dict[str, Any]] = field(default_factory=list)
    previous: Kpis | None = None

    def headline(self) -> list[tuple[str, Any, Any]]:
        """(KPI name, value, previous value) of the headline KPIs."""
        return [
            (name, getattr(self, name), getattr(self.previous, name) if self.previous else None)
            for name in HEADLINE
        ]


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least `share` of the values ≤ it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def compute(
    session: Session,
    desk: Desk,
    period: Period,
    *,
    now: datetime | None = None,
    with_previous: bool = True,
) -> Kpis:
    """The KPIs of a period as they stand at its end, or as of `now` (default: the desk's clock)
    while it is still running (then marked partial); with the previous period's for comparison
    (its lists left out)."""
    now = now or desk.now()
    start, end = _bounds(desk, period.start, period.end)
    end_local = datetime.combine(period.end, time(), desk.timezone)
    partial = now < end_local
    if partial:  # a running period: counted up to now, not to an end still to come
        end_local, end = now.astimezone(desk.timezone), to_utc_naive(now)
    kpis = Kpis(period, as_of=end_local, partial=partial, targets=dict(desk.rules.targets))
    cases = load_cases(session, start, end)
    kpis.received = len(cases)
    kpis.by = breakdowns(cases, product_names(session))
    kpis.response_timeliness = timeliness(cases, "first_contact", end_local)
    kpis.closure_rate = ratio(sum(1 for c in cases if c.closed and c.closed < end), len(cases))
    had = cases_with(session, ("staff_reply", "callback_answer"), end, start)
    replied = had["staff_reply"]
    kpis.callback_rate = ratio(len(replied & had["callback_answer"]), len(replied))
    handling(session, kpis, start, end)
    satisfaction(session, kpis, start, end)
    open_cases(session, desk, kpis, end, lists=with_previous)
    overdue(session, desk, kpis, start, end, lists=with_previous)
    kpis.repeat_customers = repeat_customers(
        load_customers(session, start - REPEAT_WINDOW, end), start
    )
    batches = Counter(c.batch for c in cases if c.batch)
    kpis.repeat_batches = [(batch, n) for batch, n in batches.most_common() if n >= 2]
    if with_previous:
        kpis.returns_by_dealer = returns_by_dealer(session, start, end, period.months)
        kpis.previous = compute(session, desk, period.previous(), now=now, with_previous=False)
    return kpis


def product_names(session: Session) -> dict[str, str]:
    """The master data's product names, keyed by their simplified form: a complaint's product
    name in either script counts under the master data's name."""
    return {
        to_simplified(name).strip(): name
        for name in session.scalars(select(Product.name).where(Product.name.is_not(None)))
    }


def product_name(name: str | None, master: dict[str, str]) -> str:
    """One name per product: traditional turned simplified (凱美瑞 → 凯美瑞), then the master
    data's own spelling where it has the product."""
    if not name or not name.strip():
        return "—"
    simple = to_simplified(name).strip()
    return master.get(simple, simple)


def breakdowns(
    cases: list[CaseRow], master: dict[str, str]
) -> dict[str, list[tuple[str | None, int]]]:
    """Complaints counted by each of BREAKDOWNS: canonical ids (category, level, line, channel;
    None for none), product names as the master data spells them, batches as written."""
    found = {}
    for fact in ("category", "level", "business_line", "channel"):
        found[fact] = Counter(getattr(case, fact) for case in cases).most_common()
    products: Counter = Counter()
    for written, count in Counter(
        c.product for c in cases
    ).items():  # each distinct spelling normalised once
        products[product_name(written, master)] += count
    found["product"] = products.most_common(20)
    found["batch"] = Counter(c.batch for c in cases if c.batch).most_common(20)
    return found


def timeliness(cases: list[CaseRow], step: str, end: datetime) -> float | None:
    """Share of cases whose `step` was done by its deadline, among those where it is decided by
    `end`: done (in time or late), or not done with the deadline passed."""
    on_time = total = 0
    for case in cases:
        deadline = next((d for d in case.deadlines if d.get("step") == step), None)
        if deadline is None:
            continue
        due = datetime.fromisoformat(deadline["due"])
        done = datetime.fromisoformat(deadline["done"]) if deadline.get("done") else None
        done = done if done is not None and done < end else None  # as it stood at the period's end
        if done is None and due >= end:
            continue  # still open and not late yet
        total += 1
        on_time += done is not None and done <= due
    return ratio(on_time, total)


def handling(session: Session, kpis: Kpis, start: datetime, end: datetime) -> None:
    rows = session.execute(
        select(Case.opened_at, Case.closed_at).where(
            Case.kind == "complaint", Case.closed_at >= start, Case.closed_at < end
        )
    ).all()
    hours = [(closed - opened).total_seconds() / 3600 for opened, closed in rows]
    kpis.closed = len(hours)
    kpis.handling_hours_mean = sum(hours) / len(hours) if hours else None
    kpis.handling_hours_p90 = percentile(hours, 0.9)


def satisfaction(session: Session, kpis: Kpis, start: datetime, end: datetime) -> None:
    answers = session.scalars(
        select(CaseEvent.detail["satisfied"].as_boolean()).where(
            CaseEvent.type == "callback_answer", CaseEvent.at >= start, CaseEvent.at < end
        )
    ).all()
    kpis.satisfaction = ratio(sum(1 for satisfied in answers if satisfied), len(answers))


def open_cases(
    session: Session, desk: Desk, kpis: Kpis, end: datetime, *, lists: bool = True
) -> None:
    query = (
        select(
            Case.case_no,
            Case.opened_at,
            Case.status,
            Case.owner,
            Case.customer_name,
            Case.category,
            Case.level,
        )
        .where(Case.kind == "complaint", Case.opened_at < end)
        .where((Case.closed_at.is_(None)) | (Case.closed_at >= end))
        .order_by(Case.opened_at)
    )
    buckets: Counter = Counter()
    offset = desk.now().utcoffset() or timedelta()
    for case_no, opened, status, owner, customer, category, level in session.execute(query):
        age = (end - opened).total_seconds() / 86400
        buckets[next(name for limit, name in AGE_BUCKETS if age <= limit)] += 1
        if lists:
            kpis.open_list.append(
                {
                    "case": case_no,
                    "opened": opened + offset,
                    "age_days": round(age, 1),
                    "status": status,
                    "owner": owner,
                    "customer": customer,
                    "category": category,
                    "level": level,
                }
            )
    kpis.open_by_age = [(name, buckets.get(name, 0)) for _, name in AGE_BUCKETS]


def overdue(
    session: Session, desk: Desk, kpis: Kpis, start: datetime, end: datetime, *, lists: bool = True
) -> None:
    """Steps that went overdue in the period (the owner's first reminder), per owner."""
    query = (
        select(Case.case_no, Case.owner, CaseEvent.at, CaseEvent.detail)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(CaseEvent.type == "overdue", CaseEvent.at >= start, CaseEvent.at < end)
        .order_by(CaseEvent.at)
    )
    per_owner: Counter = Counter()
    for case_no, owner, at, detail in session.execute(query):
        if (detail or {}).get("level", 0) != 0:
            continue
        per_owner[owner or "—"] += 1
        if lists:
            kpis.overdue_list.append(
                {
                    "case": case_no,
                    "owner": owner or "—",
                    "step": detail.get("step"),
                    "due": detail.get("due"),
                    "noticed": from_utc_naive(at, desk).replace(tzinfo=None),
                }
            )
    kpis.overdue_by_owner = per_owner.most_common()


def repeat_customers(
    customers: list[tuple[int, datetime, str | None, str | None]], start: datetime
) -> int:
    """Complaints opened from `start` whose customer (address or phone) complained in the 90 days
    before; `customers` holds the complaints from 90 days before `start` on."""
    last_seen: dict[str, datetime] = {}
    count = 0
    for _, opened, sender, phone in sorted(customers, key=lambda row: row[1]):
        keys = [
            key
            for key in (
                f"mail:{sender.lower()}" if sender else None,
                f"phone:{phone}" if phone else None,
            )
            if key
        ]
        if opened >= start and any(
            key in last_seen and opened - last_seen[key] <= REPEAT_WINDOW for key in keys
        ):
            count += 1
        for key in keys:
            last_seen[key] = opened
    return count


LINE_DECISIONS = (
    "inspection",
    "line_override",
)  # events that decide one line after the sheet's own decision


def returns_by_dealer(
    session: Session, start: datetime, end: datetime, months: list[str]
) -> list[dict[str, Any]]:
    """Accepted, refused and open return amounts per dealer for the lines decided in [start, end)
    (naive UTC; lines still open by the day their sheet arrived), with the period's purchases
    and exchange ratio (accepted ÷ purchases)."""
    query = select(
        ReturnRequest.id,
        ReturnRequest.case_id,
        ReturnRequest.dealer_code,
        ReturnRequest.dealer_name,
        ReturnRequest.received_at,
        ReturnLine.line_no,
        ReturnLine.decision,
        ReturnLine.amount,
    ).join(ReturnLine, ReturnLine.request_id == ReturnRequest.id)
    lines = session.execute(query).all()
    decided_at = decision_times(session, {line.case_id for line in lines if line.case_id})
    table: dict[str, dict[str, Any]] = {}
    for request_id, case_id, code, name, received, line_no, decision, amount in lines:
        key = decision if decision in ("accepted", "refused") else "open"
        when = (
            received
            if key == "open"
            else (
                decided_at.get((case_id, line_no))
                or decided_at.get((case_id, f"request {request_id}"))
                or received
            )
        )
        if not (start <= when < end):
            continue
        row = table.setdefault(
            code or "—",
            {
                "dealer": code or "—",
                "name": name,
                "accepted": 0.0,
                "refused": 0.0,
                "open": 0.0,
                "lines": 0,
            },
        )
        row[key] += amount or 0
        row["lines"] += 1
    for code, row in table.items():
        bought = session.scalar(
            select(func.sum(Purchase.amount)).where(
                Purchase.dealer_code == code, Purchase.period.in_(months)
            )
        )
        row["purchases"] = bought
        row["ratio"] = row["accepted"] / bought if bought else None
    return sorted(table.values(), key=lambda row: -row["accepted"])


def decision_times(session: Session, case_ids: set[int]) -> dict[tuple[int, Any], datetime]:
    """When each return line got the decision it has now: (case, line) by an inspection or a
    manager's override, (case, "request N") by the rules when the sheet came in."""
    found: dict[tuple[int, Any], datetime] = {}
    if not case_ids:
        return found
    query = (
        select(CaseEvent.case_id, CaseEvent.type, CaseEvent.at, CaseEvent.detail)
        .where(
            CaseEvent.case_id.in_(case_ids), CaseEvent.type.in_(("return_request", *LINE_DECISIONS))
        )
        .order_by(CaseEvent.at)
    )
    for case_id, type_, at, detail in session.execute(query):
        detail = detail or {}
        key = detail.get("line") if type_ in LINE_DECISIONS else f"request {detail.get('request')}"
        found[(case_id, key)] = at  # ordered by time: the last decision wins
    return found


# ---------------------------------------------------------------- the job


def recipients(desk: Desk, kind: str) -> list[str]:
    found = []
    for entry in getattr(desk.config.reports, kind).to:
        role = desk.rules.roles.get(entry)
        address = role.email if role else entry
        if "@" in address and address not in found:
            found.append(address)
    return found


def first_activity(session: Session) -> date | None:
    first = session.scalar(select(func.min(Document.received_at)))
    return first.date() if first else None


def report_mail(desk: Desk, kpis: Kpis, to: list[str]):  # noqa: ANN201 - an EmailMessage
    """The report's mail; its module (matplotlib) is loaded only when a report is due."""
    from outputs.report_mail import report_message

    return report_message(desk, kpis, to)


def send_due_reports(desk: Desk, now: datetime) -> int:
    """Produce and queue every report that is due and not yet made."""
    sent = 0
    with desk.store.transaction() as session:
        since = first_activity(session)
    if since is None:
        return 0
    for kind in KINDS:
        to = recipients(desk, kind)
        if not getattr(desk.config.reports, kind).enabled or not to:
            continue
        for period in due_periods(desk, kind, now, since):
            try:
                with desk.store.transaction() as session:
                    if session.scalar(
                        select(Report.id).where(Report.kind == kind, Report.period == period.key)
                    ):
                        continue
                    report = Report(kind=kind, period=period.key, status="queued", summary={})
                    session.add(report)
                    session.flush()  # a second worker stops here (unique kind + period)
                    kpis = compute(session, desk, period, now=now)
                    message = report_mail(desk, kpis, to)
                    outbox.queue(session, message, f"report_{kind}")
                    report.message_id = message["Message-ID"]
                    report.summary = {name: value for name, value, _ in kpis.headline()}
                    sent += 1
                    log.info("%s report %s queued for %s", kind, period.key, ", ".join(to))
            except IntegrityError:
                continue  # another worker made it
    return sent
