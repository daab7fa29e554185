"""Sales or after-sales (seed 004 §4–5): goods damaged on the way to the customer are the
sale's delivery, however much the damage reads like a fault in use."""

from __future__ import annotations

import pytest

from tests.test_judgement import LEXICON_ONLY, judge


@pytest.mark.parametrize(
    "text, line",
    [
        (
            "你们发来的五桶齿轮油，卸货的时候发现两桶已经压扁了，漏得满车厢都是，请尽快补发。",
            "sales",
        ),
        (
            "The dining table arrived cracked along one leg, the delivery men just left it in the hall.",
            "sales",
        ),
        ("这桶齿轮油用了四个月，最近发现油封那里一直在漏。", "after_sales"),  # a leak in use
        ("The table has been fine for a year but now one leg has cracked.", "after_sales"),
    ],
)
def test_damage_on_delivery_is_the_sale(text, line):
    assert judge(text, rules=LEXICON_ONLY).business_line == line
