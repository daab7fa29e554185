"""`within_ratio`: the dealer's unsaleable returns of the period, this line included, stay
within its ratio of the period's purchases."""

from __future__ import annotations

from processor.return_conditions import Asked, Reason, Verdict, because, period_of, reason


def check(asked: Asked) -> Reason | Verdict:
    period = period_of(asked.sheet_day, asked.settings.ratio_period)
    bought = asked.purchases(period)
    if not bought:
        return Verdict("held", because(reason("return.no_purchases", period=period)))
    limit = float(asked.terms.get("ratio_limit", asked.settings.default_ratio_limit))
    after = (asked.returned(period) + (asked.line.amount or 0)) / bought
    if after > limit:
        return Verdict(
            "refused",
            because(
                reason(
                    "return.over_ratio", after=f"{after:.1%}", limit=f"{limit:.1%}", period=period
                )
            ),
        )
    return reason("return.within_ratio", after=f"{after:.1%}", limit=f"{limit:.1%}")
