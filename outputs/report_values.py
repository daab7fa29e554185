"""How a report's figures are shown to its readers: which KPIs head it, which are rates or
hours, and the desk's values (categories, levels, lines, statuses) by their names in the
reader's language. Plain functions of plain values: the processor computes the KPIs
(processor/reports.py), the report's mail and workbook show them with these."""

from __future__ import annotations

from typing import TYPE_CHECKING

from outputs.i18n import gettext, label

if TYPE_CHECKING:  # annotations only: the renderers are handed the processor's desk
    from processor.desk import Desk

# the headline KPIs, by canonical name (their labels are the catalogs' `kpi.NAME`), and how each is shown
HEADLINE = (
    "received",
    "response_timeliness",
    "closure_rate",
    "callback_rate",
    "satisfaction",
    "handling_hours_mean",
    "handling_hours_p90",
    "repeat_customers",
)
RATES = frozenset({"response_timeliness", "closure_rate", "callback_rate", "satisfaction"})
HOURS = frozenset({"handling_hours_mean", "handling_hours_p90"})


def is_rate(name: str) -> bool:
    return name in RATES


def shown(value: object, name: str) -> str:
    """A KPI as people read it: rates in per cent, hours with one decimal, — for none."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1%}" if is_rate(name) else f"{value:.1f}"
    return str(value)


def desk_title(desk: Desk, language: str) -> str:
    """The desk's name in the report's language: the catalog's while the desk keeps the default
    name (and always in English), else the configured one."""
    name = desk.config.desk.name
    return (
        gettext(language, "desk.name")
        if language == "en" or name == gettext("zh-Hans", "desk.name")
        else name
    )


def value_label(desk: Desk, language: str, fact: str, key: str | None) -> str:
    """A canonical value as its reader names it: the catalog's `category.…` etc., else the rule
    file's own label (a desk's added category), else the value; — for none."""
    groups = {
        "category": desk.rules.categories,
        "level": desk.rules.levels,
        "business_line": desk.rules.business_lines,
    }
    kinds = {"business_line": "line"}
    if fact not in (*groups, "channel", "status"):
        return key or "—"
    group = groups.get(fact, {}).get(key or "")
    return label(language, kinds.get(fact, fact), key, default=group.label if group else None)
