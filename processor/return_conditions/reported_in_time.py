"""`reported_in_time`: reported within the reason's `report_within_days` of shipping (the day the
sheet came counts)."""

from __future__ import annotations

from processor.return_conditions import Asked, Reason, Verdict, because, reason


def check(asked: Asked) -> Reason | Verdict:
    if asked.line.ship_date is None:
        return Verdict("held", because(reason("return.no_ship_date")))
    age = (asked.received - asked.line.ship_date).days
    if age > asked.rule.report_within_days:
        return Verdict(
            "refused",
            because(reason("return.reported_late", days=asked.rule.report_within_days, age=age)),
        )
    return reason("return.reported_in_time", age=age)
