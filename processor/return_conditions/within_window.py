"""`within_window`: shipped no longer ago than the dealer's return window (the sheet's date counts)."""

from __future__ import annotations

from processor.return_conditions import Asked, Reason, Verdict, because, reason


def check(asked: Asked) -> Reason | Verdict:
    window = int(asked.terms.get("window_days", asked.settings.default_window_days))
    if asked.line.ship_date is None:
        return Verdict("held", because(reason("return.no_ship_date")))
    age = (asked.sheet_day - asked.line.ship_date).days
    if age > window:
        return Verdict("refused", because(reason("return.past_window", age=age, window=window)))
    return reason("return.within_window", age=age, window=window)
