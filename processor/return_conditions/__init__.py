"""The conditions of the returns policy: a return line of a reason whose rule says
`accept_when = [...]` (the rule file's [returns.reasons.*]) is accepted when every condition
named there holds. Each condition is one module here, a function of what it is asked about
the line (`Asked`), in one table (table.py) that the rule file's names are checked against.

A condition returns the reason it held with (`reason("return.within_window", age=…)`), or a
`Verdict` that decides the line at once (refused, or held for staff). It needs no store: the
dealer's figures come with the question (processor/returns.py asks it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from outputs.reasons import because, reason  # noqa: F401 - the lines' coded reasons, stored as outputs/reasons.py keeps them

if TYPE_CHECKING:  # annotations only: the rule file's models import the table (to check its names)
    from processor.rules.engine import ReturnReason, ReturnsPolicy
    from processor.store.models import ReturnLine

Reason = tuple[str, dict[str, Any]]  # a catalog id and its values


@dataclass
class Verdict:
    decision: str
    reason: str  # coded (see `because`), worded for each reader by returns.reason_text


def period_of(day: date, kind: str) -> str:
    if kind == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if kind == "year":
        return str(day.year)
    return f"{day.year}-{day.month:02d}"


@dataclass
class Asked:
    """One return line, and what the policy knows around it."""

    line: ReturnLine
    rule: ReturnReason  # the rule of the line's reason
    settings: ReturnsPolicy  # the rule file's [returns]
    terms: dict[str, Any]  # the dealer's own terms from the master data (window_days, ratio_limit)
    sheet_day: date  # the sheet's date, else the day it came
    received: date  # the day it came
    purchases: Callable[
        [str], float | None
    ]  # the dealer's purchases in a period (None: none on record)
    returned: Callable[[str], float]  # the dealer's accepted unsaleable returns in a period
