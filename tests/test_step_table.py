"""The seed-step table: (received at, kind, level, line) → every step's due time, each row
with its seed section, across National Day, Spring Festival, adjusted Saturdays, after hours
and the year's turn; and the README's table of steps checked against the built-in rule file."""

from __future__ import annotations

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from processor.rules.engine import Decision, _deadlines, load_rules, working_calendar
from processor.rules.lifecycle import deadline_json, matches
from processor.rules.working_days import parse_within
from tests.conftest import ROOT

SHANGHAI = ZoneInfo("Asia/Shanghai")
RULES = load_rules()
CALENDAR = working_calendar(RULES, time(8, 30), time(17, 30))
ORDINARY = {
    "kind": "complaint",
    "level": "complaint",
    "category": "product_quality",
    "business_line": "after_sales",
}
MAJOR = {**ORDINARY, "level": "major"}
SALES_SERVICE = {
    "kind": "complaint",
    "level": "grievance",
    "category": "service",
    "business_line": "sales",
}


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def at_receipt(received: str, facts: dict) -> dict[str, dict]:
    deadlines = _deadlines(RULES, facts, CALENDAR, moment(received), Decision())
    return {deadline.step: deadline.as_json() for deadline in deadlines}


def started_by(event: str, at: str, facts: dict) -> dict:
    rule = next(rule for rule in RULES.deadlines if rule.on == event and matches(rule.when, facts))
    return deadline_json(CALENDAR, moment(at), rule, [], RULES.steps)


def shown(deadline: dict) -> str:
    """A deadline as the table writes it: `due`, plus what it says about itself."""
    notes = [deadline[name] for name in ("outside",) if deadline.get(name)]
    notes += ["provisional"] if deadline.get("provisional") else []
    return deadline["due"][:16].replace("T", " ") + (f" ({', '.join(notes)})" if notes else "")


# (received at, facts, step, due as shown, the seed section it comes from)
AT_RECEIPT = [
    # an ordinary weekday morning: everything inside office hours
    ("2026-11-16T09:00", ORDINARY, "hand_over", "2026-11-16 17:30", "004 §8-2 受理当日传递"),
    ("2026-11-16T09:00", ORDINARY, "first_contact", "2026-11-16 11:00", "004 4S §7-6 2小时"),
    ("2026-11-16T09:00", ORDINARY, "report_to_supervisor", "2026-11-16 13:00", "003 4小时内上报"),
    ("2026-11-16T09:00", ORDINARY, "reply", "2026-11-17 09:00", "002 §4.1.2 不超过一天"),
    ("2026-11-16T09:00", ORDINARY, "close", "2026-11-17 09:00", "004 §5 封闭时间为24小时内"),
    ("2026-11-16T09:00", ORDINARY, "handle", "2026-11-19 09:00", "004 §8-2 收单后三天内"),
    (
        "2026-11-16T09:00",
        ORDINARY,
        "quality_report",
        "2026-11-19 09:00",
        "004 客户投诉管理办法 §9-3 三天内",
    ),
    # after hours on a Friday: accepted (受理) Monday 08:30, the clock runs from then —
    # the close is never due before the first contact
    ("2026-11-20T17:50", ORDINARY, "first_contact", "2026-11-23 10:30", "004 4S §7-6"),
    ("2026-11-20T17:50", ORDINARY, "hand_over", "2026-11-23 17:30", "004 §8-2"),
    ("2026-11-20T17:50", ORDINARY, "close", "2026-11-24 08:30", "004 §5"),
    ("2026-11-20T17:50", ORDINARY, "handle", "2026-11-26 08:30", "004 §8-2"),
    ("2026-11-20T17:50", MAJOR, "close", "2026-11-26 08:30", "004 §5 重大抱怨为3个工作日内"),
    # the eve of National Day: clock deadlines fall in the holiday and say so
    (
        "2026-09-30T16:00",
        ORDINARY,
        "first_contact",
        "2026-09-30 18:00 (after office hours)",
        "004 4S §7-6",
    ),
    ("2026-09-30T16:00", ORDINARY, "close", "2026-10-01 16:00 (a holiday)", "004 §5"),
    ("2026-09-30T16:00", ORDINARY, "handle", "2026-10-03 16:00 (a holiday)", "004 §8-2"),
    # … and a major complaint's 3 working days end on the adjusted Saturday 10 October
    ("2026-09-30T16:00", MAJOR, "close", "2026-10-10 16:00", "004 §5"),
    # before Spring Festival: Saturday 14 February is worked (调休), the holiday runs to 23 February
    ("2026-02-13T16:00", ORDINARY, "reply", "2026-02-14 16:00", "002 §4.1.2"),
    ("2026-02-13T16:00", ORDINARY, "handle", "2026-02-16 16:00 (a holiday)", "004 §8-2"),
    ("2026-02-13T16:00", MAJOR, "close", "2026-02-25 16:00", "004 §5"),
    # the year's turn into 2027, whose schedule is not published: provisional where it counts
    ("2026-12-31T16:00", ORDINARY, "close", "2027-01-01 16:00 (a holiday)", "004 §5"),
    ("2026-12-31T16:00", MAJOR, "close", "2027-01-06 16:00 (provisional)", "004 §5"),
    (
        "2026-12-31T18:00",
        ORDINARY,
        "first_contact",
        "2027-01-04 10:30 (provisional)",
        "004 4S §7-6",
    ),
    # a sales-line grievance has the same clock (004 §5-1)
    ("2026-11-16T09:00", SALES_SERVICE, "close", "2026-11-17 09:00", "004 §5-1"),
]


@pytest.mark.parametrize(
    "received, facts, step, due, seed",
    AT_RECEIPT,
    ids=[f"{row[0]}-{row[1]['level']}-{row[2]}" for row in AT_RECEIPT],
)
def test_each_step_falls_due_as_its_seed_says(received, facts, step, due, seed):
    assert shown(at_receipt(received, facts)[step]) == due, seed


def test_a_sales_grievance_has_no_quality_report_and_a_return_sheet_only_its_slip():
    assert "quality_report" not in at_receipt("2026-11-16T09:00", SALES_SERVICE)
    assert set(at_receipt("2026-11-16T09:00", {"kind": "return_sheet"})) == {"return_slip"}


STARTED_LATER = [
    (
        "replied",
        "2026-11-20T16:00",
        ORDINARY,
        "callback",
        "2026-11-23 16:00",
        "004 §8-2 3天内回访验证",
    ),
    (
        "replied",
        "2026-09-30T10:00",
        ORDINARY,
        "callback",
        "2026-10-03 10:00 (a holiday)",
        "004 §8-2",
    ),
    (
        "reopened",
        "2026-11-21T10:00",
        ORDINARY,
        "rework",
        "2026-11-24 08:30",
        "004 §8-2 24小时内返回责任部门",
    ),
    (
        "return_sheet",
        "2026-09-30T10:00",
        {"kind": "return_sheet"},
        "return_slip",
        "2026-10-08 12:00",
        "001 §4.2.9 第二天上午12:00前",
    ),
    (
        "return_sheet",
        "2026-02-13T10:00",
        {"kind": "return_sheet"},
        "return_slip",
        "2026-02-14 12:00",
        "001 §4.2.9 (调休 Saturday)",
    ),
]


@pytest.mark.parametrize(
    "event, at, facts, step, due, seed",
    STARTED_LATER,
    ids=[f"{row[0]}-{row[1]}" for row in STARTED_LATER],
)
def test_steps_started_by_an_event_fall_due_as_their_seed_says(event, at, facts, step, due, seed):
    assert shown(started_by(event, at, facts)) == due, seed


def test_no_step_falls_due_before_a_step_that_must_precede_it():
    for received in (
        "2026-11-20T17:50",
        "2026-09-30T16:00",
        "2026-02-13T16:00",
        "2026-12-31T16:00",
        "2026-11-16T17:29",
    ):
        for facts in (ORDINARY, MAJOR, SALES_SERVICE):
            steps = at_receipt(received, facts)
            for name, deadline in steps.items():
                for before in RULES.steps[name].after:
                    if before in steps:
                        assert deadline["due"] >= steps[before]["due"], (received, name, before)


# ---------------------------------------------------------------- the README's table

README_ROW = re.compile(r"^\|\s*`(?P<step>\w+)`\s*\|(?P<cells>.*)\|\s*$")


def readme_steps() -> list[dict[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## The case lifecycle", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        match = README_ROW.match(line)
        if match:
            starts, within, done, after, seed = (
                cell.strip() for cell in match["cells"].split("|")[1:6]
            )
            rows.append(
                {
                    "step": match["step"],
                    "name": match["cells"].split("|")[0].strip(),
                    "starts": starts,
                    "within": within,
                    "done": done,
                    "after": after,
                    "seed": seed,
                }
            )
    return rows


def product_steps() -> list[dict[str, str]]:
    """The built-in rule file's steps, as the README's table words them."""
    rows = []
    for rule in RULES.deadlines:
        step = RULES.steps[rule.step]
        when = ", ".join(f"{key} = {value}" for key, value in rule.when.items())
        starts = f"on {rule.on}" if rule.on else "receipt"
        within = rule.within + (f" at {rule.at:%H:%M}" if rule.at else "")
        amount, unit = parse_within(rule.within)
        clock = "clock" if not unit.startswith(("office hour", "working day")) else "calendar"
        rows.append(
            {
                "step": rule.step,
                "name": step.name,
                "starts": f"{starts}" + (f" ({when})" if when else ""),
                "within": f"{within} ({clock})",
                "done": ", ".join(step.done_when + step.done_on),
                "after": ", ".join(step.after) or "—",
                "seed": rule.why.split(":")[0],
            }
        )
    return rows


def test_every_row_of_the_readme_step_table_matches_the_rule_file():
    documented, product = readme_steps(), product_steps()
    assert documented, "README: no step table under ## The case lifecycle"
    assert documented == product
