"""The returns policy's conditions by the name the rule file gives them in `accept_when`. A new
condition is one module in this package and one line here."""

from __future__ import annotations

from collections.abc import Callable

from processor.return_conditions import (
    Asked,
    Reason,
    Verdict,
    reported_in_time,
    within_ratio,
    within_window,
)

CONDITIONS: dict[str, Callable[[Asked], Reason | Verdict]] = {
    "within_window": within_window.check,
    "within_ratio": within_ratio.check,
    "reported_in_time": reported_in_time.check,
}
