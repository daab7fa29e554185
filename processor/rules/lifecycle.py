"""The case lifecycle as the rule file sets it: each step's deadline (the event that starts
it, its calendar, the steps that must come first), escalation ladders per business line and
step, the callback, auto-close and batch alerts — the models, their checks and the arithmetic."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from processor.rules.working_days import WorkingCalendar, parse_within
from vocabulary import CaseStatus

STATUSES = tuple(CaseStatus)
OPEN_STATUSES = tuple(status for status in STATUSES if status != CaseStatus.CLOSED)
# What may start or complete a step: a status the case reaches, or one of these events.
EVENTS = frozenset(STATUSES) | {
    "staff_reply",
    "customer_reply",
    "callback_requested",
    "callback_answer",
    "return_sheet",
    "return_slip_sent",
    "inspection",
    "escalated",
    "note",
    "status",
}
OWNER, LINE_DIRECTOR = "owner", "line_director"  # ladder words that name no fixed role
_MONTHS = re.compile(r"^\s*(\d+)\s*months?\s*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _readable_span(value: str) -> str:
    parse_within(value)
    return value


def _readable_long_span(value: str) -> str:
    return value if _MONTHS.match(value) else _readable_span(value)


# A length of time as the rule file writes it: "2 office hours", "1 working day", "24 hours".
Span = Annotated[str, AfterValidator(_readable_span)]
# The same, or "N months" (calendar months: seed 004 §10's 满三个月).
LongSpan = Annotated[str, AfterValidator(_readable_long_span)]


class DeadlineRule(_Strict):
    step: str
    when: dict[str, str] = {}
    on: str | None = None  # the event that starts it; None: the case's receipt
    within: Span
    at: time | None = None
    why: str = ""  # its seed reference


class Step(_Strict):
    """A step of a case: its name in mails, when it counts as done (the case reached one of
    `done_when`, or one of `done_on` happened), and the steps that must come first — it never
    falls due before them."""

    name: str = ""
    done_when: list[str] = []
    done_on: list[str] = []
    after: list[str] = []


class Ladder(_Strict):
    """Who hears of an overdue step, rung by rung: role keys, `owner` (the case's owner) or
    `line_director` (the director of the case's business line)."""

    name: str
    when: dict[str, str] = {}
    steps: list[str] = []  # empty: any step
    ladder: list[str]


class Escalation(_Strict):
    """Past a step's deadline the first rung of its ladder hears of it, then each next rung
    `every` apart; `monitor` roles are told of every escalation past the first rung."""

    every: Span = "4 office hours"
    directors: dict[str, str] = {}  # business line → its director's role
    monitor: list[str] = []
    ladders: list[Ladder] = []

    def ladder_for(self, step: str, facts: dict[str, Any]) -> Ladder | None:
        return next(
            (
                ladder
                for ladder in self.ladders
                if (not ladder.steps or step in ladder.steps) and matches(ladder.when, facts)
            ),
            None,
        )


class Callback(_Strict):
    after: Span = "1 working day"  # survey this long after the reply to the customer
    survey: bool = True  # mail the customer a 满意 / 不满意 survey; else ask customer care to call
    satisfied_ratings: list[str] = ["very_good", "good", "average"]
    not_satisfied_to: list[str] = [OWNER, LINE_DIRECTOR]  # told at once, with the customer's words


class AutoClose(_Strict):
    name: str
    when: dict[str, str] = {}
    statuses: list[str] = list(OPEN_STATUSES)
    after: LongSpan  # counted from the case's receipt (受理之日)
    unless_on: list[str] = []  # events that keep the case open (a return visit, an evaluation)
    notice_before: Span | None = "7 days"  # the owner is told this long before
    why: str = ""


class BatchAlert(_Strict):
    """Complaints naming the same batch (or the same product and model) reaching `threshold`
    within `window` alert `to` in one mail; later cases on that batch join the alert."""

    same: list[list[str]] = [["batch_no"], ["product_name", "product_model"]]
    threshold: int = Field(default=3, ge=2)
    window: Span = "7 days"
    to: list[str] = ["quality_dept"]
    why: str = ""


CASE_FACTS = ("kind", "category", "level", "business_line", "status", "channel")


def case_facts(case: Any) -> dict[str, Any]:  # noqa: ANN401 - a stored Case (this module knows no store)
    """What deadline, ladder and auto-close rules match on."""
    return {name: getattr(case, name) for name in CASE_FACTS}


def matches(when: dict[str, str], facts: dict[str, Any]) -> bool:
    return all(facts.get(key) == value for key, value in when.items())


def check_lifecycle(rules: Any) -> None:  # noqa: ANN401 - a RuleSet (engine imports this module)
    """Every step, event and role the lifecycle names must exist; a step cannot wait for itself."""
    for rule in rules.deadlines:
        if rule.step not in rules.steps:
            raise ValueError(
                f"deadlines: step `{rule.step}` has no [steps.{rule.step}] saying when it is done"
            )
        if rule.on is not None and rule.on not in EVENTS:
            raise ValueError(
                f'deadlines ({rule.step}): `on = "{rule.on}"` is no event ({", ".join(sorted(EVENTS))})'
            )
    for name, step in rules.steps.items():
        for event in [*step.done_when, *step.done_on]:
            if event not in EVENTS:
                raise ValueError(f"steps.{name}: `{event}` is no status or event")
        for before in step.after:
            if before not in rules.steps:
                raise ValueError(f"steps.{name}: after `{before}`, which is not a step")
        _no_cycle(rules.steps, name)
    roles = set(rules.roles)
    escalation = rules.escalation
    for line, role in escalation.directors.items():
        if line not in rules.business_lines:
            raise ValueError(f"escalation.directors: business line `{line}` is not defined")
        if role not in roles:
            raise ValueError(f"escalation.directors ({line}): role `{role}` is not in [roles]")
    for role in escalation.monitor:
        if role not in roles:
            raise ValueError(f"escalation.monitor: role `{role}` is not in [roles]")
    for ladder in escalation.ladders:
        for rung in ladder.ladder:
            if rung not in roles and rung not in (OWNER, LINE_DIRECTOR):
                raise ValueError(
                    f"escalation.ladder ({ladder.name}): role `{rung}` is not in [roles]"
                )
            if rung == LINE_DIRECTOR and set(rules.business_lines) - set(escalation.directors):
                missing = ", ".join(sorted(set(rules.business_lines) - set(escalation.directors)))
                raise ValueError(
                    f"escalation.ladder ({ladder.name}): no director for business line {missing}"
                )
        for step in ladder.steps:
            if step not in rules.steps:
                raise ValueError(f"escalation.ladder ({ladder.name}): step `{step}` is not a step")
    if escalation.ladders and (escalation.ladders[-1].when or escalation.ladders[-1].steps):
        raise ValueError(
            "escalation.ladders: the last ladder must have no `when` and no `steps`, so every step has one"
        )
    for rung in rules.callback.not_satisfied_to:
        if rung not in roles and rung not in (OWNER, LINE_DIRECTOR):
            raise ValueError(f"callback.not_satisfied_to: role `{rung}` is not in [roles]")
    for rule in rules.auto_close:
        for status in rule.statuses:
            if status not in OPEN_STATUSES:
                raise ValueError(f"auto_close ({rule.name}): `{status}` is no open status")
    if rules.batch_alert:
        if not clock_unit(rules.batch_alert.window):
            raise ValueError(
                "batch_alert.window: count it in hours or days (a window of complaints, not of work)"
            )
        for role in rules.batch_alert.to:
            if role not in roles:
                raise ValueError(f"batch_alert.to: role `{role}` is not in [roles]")


def _no_cycle(steps: dict[str, Step], start: str) -> None:
    seen, todo = set(), list(steps[start].after)
    while todo:
        name = todo.pop()
        if name == start:
            raise ValueError(f"steps.{start}: it must come after itself (through `after`)")
        if name not in seen and name in steps:
            seen.add(name)
            todo.extend(steps[name].after)


# ---------------------------------------------------------------- arithmetic


def clock_unit(within: str) -> bool:
    """Clock hours and days (the seeds' 24小时, 三天内), as opposed to office hours and working days."""
    return not parse_within(within)[1].startswith(("office hour", "working day"))


def later(
    calendar: WorkingCalendar, start: datetime, within: str, at: time | None = None
) -> datetime:
    """`within` after `start`: the calendar's arithmetic, plus calendar months."""
    months = _MONTHS.match(within)
    if not months:
        return calendar.due(start, within, at)
    month_index = start.month - 1 + int(months.group(1))
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = start.day
    while True:
        try:
            return start.replace(year=year, month=month, day=day)
        except ValueError:  # 31 May + 1 month: the last day of June
            day -= 1


def accepted(calendar: WorkingCalendar, start: datetime, within: str) -> datetime:
    """Where a step's count begins. Clock hours and days count from acceptance (受理): the
    moment itself in office hours, else the desk's next opening — a complaint mailed on Friday
    night is taken up on Monday morning, and its 2 hours and 24 hours run from then. The
    calendar's own units find their start themselves."""
    return calendar.start_of_work(start) if clock_unit(within) else start


def step_due(calendar: WorkingCalendar, start: datetime, rule: DeadlineRule) -> datetime:
    return calendar.due(accepted(calendar, start, rule.within), rule.within, rule.at)


def provisional(
    calendar: WorkingCalendar, start: datetime, rule: DeadlineRule, due: datetime
) -> bool:
    """Whether the count crossed a year whose holiday schedule is not published (clock time
    too, when its acceptance waited for the calendar's next opening)."""
    begin = accepted(calendar, start, rule.within)
    if begin != start and any(
        calendar.year(year).provisional for year in range(start.year, begin.year + 1)
    ):
        return True
    return calendar.is_provisional(start, rule.within, due)


def outside_calendar(calendar: WorkingCalendar, moment: datetime) -> str | None:
    """Why a moment is outside the working calendar (a deadline there says so), or None."""
    if not calendar.is_workday(moment.date()):
        return "a holiday" if moment.date() in calendar.year(moment.year).holidays else "a weekend"
    if not calendar.opens <= moment.time() <= calendar.closes:
        return "after office hours"
    return None


def deadline_json(
    calendar: WorkingCalendar,
    start: datetime,
    rule: DeadlineRule,
    earlier: list[dict[str, Any]],
    steps: dict[str, Step],
) -> dict[str, Any]:
    """One step's deadline as a case keeps it; `earlier` are the case's open deadlines, so it
    never falls due before a step that must precede it."""
    due = step_due(calendar, start, rule)
    deadline: dict[str, Any] = {"step": rule.step, "why": rule.why}
    step = steps.get(rule.step)
    for before in earlier:
        if step and before["step"] in step.after and before.get("done") is None:
            before_due = datetime.fromisoformat(before["due"])
            if before_due > due:
                due, deadline["after"] = before_due, before["step"]
    deadline["due"] = due.isoformat(timespec="minutes")
    if provisional(calendar, start, rule, due):
        deadline["provisional"] = True
    outside = outside_calendar(calendar, due)
    if outside:
        deadline["outside"] = outside
    return deadline


def first_reminder(calendar: WorkingCalendar, due: datetime) -> datetime:
    """When an overdue step is first chased: its due moment, or the next opening when it fell
    outside the working calendar (nobody is there to act on it)."""
    return calendar.start_of_work(due) if outside_calendar(calendar, due) else due


def rung_moments(
    calendar: WorkingCalendar, due: datetime, every: str, rungs: int
) -> list[datetime]:
    moments = [first_reminder(calendar, due)]
    while len(moments) < rungs:
        moments.append(calendar.due(moments[-1], every))
    return moments


def since(moment: datetime, span: str) -> datetime:
    """The start of a `span` window ending at `moment` (clock hours or days only)."""
    amount, unit = parse_within(span)
    return moment - (timedelta(hours=amount) if unit.startswith("hour") else timedelta(days=amount))
