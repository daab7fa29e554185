"""A purchase date written in words (上个月买的, 10月中旬提的车, 去年双十一, "bought it last
month", "three weeks ago") read as a day relative to the mail's own Date, with lowered
confidence: the customer named a time, not a day, so staff see it is an estimate."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from parsers.language import to_simplified
from parsers.model import ParsedDocument

WORDS_CONFIDENCE = 0.4
_CN_DIGITS = {
    "一": 1,
    "两": 2,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
    "半": 0.5,
}
_NUMBER = r"(?:\d{1,2}|[一两二三四五六七八九十半]{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|\d)"
_EN_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_MONTHS = {name.lower(): index for index, name in enumerate(calendar.month_name) if name} | {
    "sept": 9
}
_PART_OF_MONTH = {
    "初": 5,
    "上旬": 5,
    "中旬": 15,
    "中": 15,
    "下旬": 25,
    "底": 28,
    "末": 28,
    "early": 5,
    "mid": 15,
    "late": 25,
    "end": 28,
}

# What a purchase is called, and how near (characters) a time must be to it.
_BOUGHT = re.compile(
    r"买|购|入手|提车|提的车|订的|下单|交车|拿到|送到|装的|安装的|bought|purchased|got it|got this|"
    r"picked (?:it )?up|collected|delivered|ordered|took delivery",
    re.IGNORECASE,
)
NEAR = 24

_TIMES = [  # (pattern, how it turns into a day given the mail's date)
    (
        re.compile(
            r"(?P<year>去年|今年|前年)?\s*(?P<month>\d{1,2}|[一二三四五六七八九十]{1,3})\s*月份?\s*(?P<part>初|上旬|中旬|下旬|底|末|中)?"
        ),
        "month",
    ),
    (
        re.compile(r"(?P<year>去年|今年|前年)?\s*双十一|(?P<year2>去年|今年|前年)?\s*双11"),
        "singles_day",
    ),
    (re.compile(r"上个?月|上个?月份"), "last_month"),
    (re.compile(r"这个月|本月|这月"), "this_month"),
    (re.compile(r"上个?(?:星期|礼拜|周)|上週|上个礼拜"), "last_week"),
    (re.compile(r"前天"), "day_before"),
    (re.compile(r"昨天"), "yesterday"),
    (re.compile(r"去年"), "last_year"),
    (
        re.compile(
            rf"(?P<n>{_NUMBER})\s*(?P<unit>个月|个多月|多个月|周|个星期|个礼拜|天|年)\s*(?:前|之前|以前)"
        ),
        "ago",
    ),
    (
        re.compile(
            rf"买了(?:不到|快|才|刚)?\s*(?P<n>{_NUMBER})\s*(?P<unit>个月|个多月|周|个星期|个礼拜|天|年)"
        ),
        "ago",
    ),
    (
        re.compile(
            rf"(?P<n>{_NUMBER})\s+(?P<unit>days?|weeks?|months?|years?)\s+ago", re.IGNORECASE
        ),
        "ago",
    ),
    (re.compile(r"last (?P<unit>week|month|year)", re.IGNORECASE), "last"),
    (
        re.compile(
            r"\b(?:(?:in|since|last)[\s-]+(?:(?P<part>early|mid|late|end of)[\s-]+)?|(?P<part2>early|mid|late|end of)[\s-]+)(?P<month>"
            + "|".join(_MONTHS)
            + r")\b(?P<year> last year)?",
            re.IGNORECASE,
        ),
        "month",
    ),
    (re.compile(r"yesterday", re.IGNORECASE), "yesterday"),
]


def read_purchase_date(doc: ParsedDocument, text: str, sent: date | None) -> None:
    """The purchase date from words near a purchase, when no form or prose pattern gave one."""
    if doc.value("purchase_date") is not None or sent is None or not text:
        return
    if found := purchase_date_in_words(text, sent):
        doc.put("purchase_date", found.isoformat(), "body", WORDS_CONFIDENCE)


def purchase_date_in_words(text: str, sent: date) -> date | None:
    simplified = to_simplified(text)
    for bought in _BOUGHT.finditer(simplified):
        window_start = max(0, bought.start() - NEAR)
        window = simplified[
            window_start : bought.end() + 2 * NEAR
        ]  # a time starting near may end further
        candidates = []
        for pattern, how in _TIMES:
            for match in pattern.finditer(window):
                day = _resolve(how, match, sent)
                if (
                    day is not None
                    and day <= sent
                    and window_start + match.start() <= bought.end() + NEAR
                ):
                    candidates.append((abs(window_start + match.start() - bought.start()), day))
        if candidates:
            return min(candidates, key=lambda c: c[0])[1]
    return None


def _number(text: str) -> float | None:
    text = text.strip().lower()
    if text.isdigit():
        return int(text)
    if text in _EN_NUMBERS:
        return _EN_NUMBERS[text]
    if text and all(char in _CN_DIGITS for char in text):  # 十二 = 12, 二十 = 20, 两 = 2, 半 = 0.5
        if "十" in text:
            tens, _, ones = text.partition("十")
            return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (
                _CN_DIGITS.get(ones, 0) if ones else 0
            )
        return _CN_DIGITS[text[0]]
    return None


def _months_back(day: date, months: int, on: int | None = None) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(on or day.day, last))


def _resolve(how: str, match: re.Match[str], sent: date) -> date | None:  # noqa: PLR0911 - one line per kind of time
    groups = match.groupdict()
    if how == "month":
        month = _MONTHS.get(groups["month"].lower()) or _number(groups["month"])
        if not isinstance(month, int) or not 1 <= month <= 12:
            return None
        part = (
            (groups.get("part") or groups.get("part2") or "")
            .strip()
            .lower()
            .replace("end of", "end")
        )
        year = sent.year - {"去年": 1, "前年": 2}.get(groups.get("year") or "", 0)
        if (groups.get("year") or "").strip() == "last year":
            year = sent.year - 1
        day = date(
            year, month, min(_PART_OF_MONTH.get(part, 15), calendar.monthrange(year, month)[1])
        )
        return day if day <= sent or groups.get("year") else date(year - 1, day.month, day.day)
    if how == "singles_day":
        back = {"去年": 1, "前年": 2}.get(groups.get("year") or groups.get("year2") or "", 0)
        day = date(sent.year - back, 11, 11)
        return day if day <= sent else date(sent.year - 1, 11, 11)
    if how == "ago":
        n, unit = _number(groups["n"]), groups["unit"].lower()
        if n is None:
            return None
        if unit.startswith(("年", "year")):
            return _months_back(sent, round(n * 12))
        if unit.startswith(("个", "多", "month")):
            return _months_back(sent, max(1, round(n))) if n >= 1 else sent - timedelta(days=15)
        days = 7 if unit.startswith(("周", "个星期", "个礼拜", "week")) else 1
        return sent - timedelta(days=round(n * days))
    shifts = {
        "last_month": lambda: _months_back(sent, 1, 15),
        "this_month": lambda: sent.replace(day=min(sent.day, 15)),
        "last_week": lambda: sent - timedelta(days=7),
        "day_before": lambda: sent - timedelta(days=2),
        "yesterday": lambda: sent - timedelta(days=1),
        "last_year": lambda: _months_back(sent, 12, 15),
    }
    if how == "last":
        return {
            "week": shifts["last_week"],
            "month": shifts["last_month"],
            "year": shifts["last_year"],
        }[groups["unit"].lower()]()
    return shifts[how]()
