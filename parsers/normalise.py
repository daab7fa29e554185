"""Normalisers: turn what a person typed into the canonical value of a field.

Each takes a raw string (or a spreadsheet value) and returns the value, or None when the text
is not a value of that type (a label's neighbour that is really another label, a dash, …).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from typing import Any

EMPTY_MARKS = {"", "-", "--", "—", "/", "无", "無", "n/a", "na", "none", "null", "暂无", "不详"}
CJK = r"\u3400-\u4dbf\u4e00-\u9fff"
# C0 and C1 control characters, DEL and the Unicode line separators: never wanted in a name,
# a header or a log line
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
# Separators include the comma and the middle dot a recogniser reads a faxed full stop as.
_YMD = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*[-/.,，·年]\s*(?P<m>\d{1,2})\s*[-/.,，·月]\s*(?P<d>\d{1,2})\s*[日号號]?"
)
_YMD_COMPACT = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)(?!\d)")
_EN_MDY = re.compile(
    r"(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d{2})"
)
_EN_DMY = re.compile(
    r"(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?P<mon>[A-Za-z]{3,9})\.?,?\s+(?P<y>(?:19|20)\d{2})"
)
_TIME = re.compile(r"(?P<h>[0-2]?\d)\s*[:：时時点點]\s*(?P<mi>[0-5]\d)")
_NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?|[-+]?\.\d+")
EXCEL_EPOCH = datetime(1899, 12, 30)


def clean_text(value: Any) -> str:
    """NFKC, whitespace collapsed, trimmed: the form every text field is kept in."""
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", " ", text).strip()


def is_empty(value: Any) -> bool:
    return value is None or clean_text(value).lower() in EMPTY_MARKS


def text(value: Any) -> str | None:
    return None if is_empty(value) else clean_text(value)


def longtext(value: Any) -> str | None:
    return text(value)


def name(value: Any) -> str | None:
    """A person's or company's name: a short text, not a sentence or a number."""
    cleaned = text(value)
    if cleaned is None or len(cleaned) > 60 or _NUMBER.fullmatch(cleaned.replace(" ", "")):
        return None
    return cleaned


def code(value: Any) -> str | None:
    """An order, part, batch or serial code: no spaces inside, kept as written (NFKC)."""
    cleaned = text(value)
    if cleaned is None:
        return None
    if isinstance(value, float) and value.is_integer():
        cleaned = str(int(value))
    if len(cleaned) > 60 or not re.search(r"[A-Za-z0-9]", cleaned):
        return None
    return cleaned


VIN_NEVER = str.maketrans("IOQ", "100")  # a VIN has no I, O or Q: read so, they are 1, 0, 0


def vin(value: Any) -> str | None:
    cleaned = (text(value) or "").replace(" ", "").upper().translate(VIN_NEVER)
    return cleaned if re.fullmatch(r"[A-HJ-NPR-Z0-9]{17}", cleaned) else None


def plate(value: Any) -> str | None:
    cleaned = (text(value) or "").replace(" ", "").replace("·", "").upper()
    return cleaned if re.fullmatch(rf"[{CJK}][A-Z][A-Z0-9]{{4,6}}[{CJK}]?", cleaned) else None


def phone(value: Any) -> str | None:
    """Digits only, a leading + kept: `0571-8812 3456` → `057188123456`."""
    if isinstance(value, (int, float)):
        value = str(int(value))
    cleaned = clean_text(value) if value is not None else ""
    match = re.search(r"\+?\d[\d\s\-()（）.]{5,}\d", cleaned)
    if not match:
        return None
    raw = match.group(0)
    digits = re.sub(r"\D", "", raw)
    if not 7 <= len(digits) <= 15:
        return None
    china = (
        re.fullmatch(r"(?:00)?86(1[3-9]\d{9}|0?[1-9]\d{8,10})", digits)
        if raw.startswith(("+", "00"))
        else None
    )
    if raw.startswith("00") and not china:
        return "+" + digits[2:]
    if china:  # +86 139 0000 2222 is 13900002222 at home; a landline keeps its trunk 0
        national = china.group(1)
        return national if national.startswith(("1", "0")) else "0" + national
    return ("+" if raw.startswith("+") else "") + digits


def email(value: Any) -> str | None:
    match = re.search(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", clean_text(value or ""))
    return match.group(0).lower() if match else None


def to_date(value: Any) -> date | None:
    """A date from the common Chinese, ISO, slashed, dotted and English forms, or Excel serials."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and 20000 < value < 80000:  # an Excel serial date
        return (EXCEL_EPOCH + timedelta(days=float(value))).date()
    cleaned = clean_text(value or "")
    for pattern in (_YMD, _YMD_COMPACT):
        if match := pattern.search(cleaned):
            return _safe_date(int(match["y"]), int(match["m"]), int(match["d"]))
    for pattern in (_EN_MDY, _EN_DMY):
        if (match := pattern.search(cleaned)) and match["mon"].lower() in _MONTHS:
            return _safe_date(int(match["y"]), _MONTHS[match["mon"].lower()], int(match["d"]))
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def iso_date(value: Any) -> str | None:
    found = to_date(value)
    return found.isoformat() if found else None


def iso_datetime(value: Any) -> str | None:
    """`YYYY-MM-DDTHH:MM` from a date with a time of day."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    found = to_date(value)
    if found is None:
        return None
    cleaned = clean_text(value)
    date_match = _YMD.search(cleaned) or _YMD_COMPACT.search(cleaned)
    rest = cleaned[date_match.end() :] if date_match else cleaned
    time_match = _TIME.search(rest)
    if not time_match or int(time_match["h"]) > 23:
        return found.isoformat() + "T00:00" if time_match is None else None
    return f"{found.isoformat()}T{int(time_match['h']):02d}:{time_match['mi']}"


def number(value: Any) -> int | float | None:
    """A number from `12`, `1,200`, `52415公里`, `3.5万` (×10,000); ints stay ints."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if float(value).is_integer() else float(value)
    cleaned = re.sub(
        r"(?<=\d)\s*\.\s+(?=\d)|(?<=\d)\s+\.(?=\d)", ".", clean_text(value or "")
    )  # `268. 50`, as OCR reads it
    match = _NUMBER.search(cleaned)
    if not match:
        return None
    result = float(match.group(0).replace(",", ""))
    if cleaned[match.end() : match.end() + 1] in ("万", "萬"):
        result *= 10_000
    return int(result) if result.is_integer() else result


def quantity(value: Any) -> int | float | None:
    found = number(value)
    return found if found is None or found >= 0 or isinstance(value, (int, float)) else found


def money(value: Any) -> float | None:
    found = number(value)
    return None if found is None else float(found)


def unit_of(value: Any) -> str | None:
    """The unit written after a quantity (`22桶` → `桶`), or None."""
    cleaned = clean_text(value or "")
    match = re.search(rf"\d\s*([{CJK}]|pcs|pc|pieces)", cleaned, re.IGNORECASE)
    return match.group(1) if match else None


# Check boxes as people type, print and fax them. ☒ is what Word's checkbox control shows when
# ticked; a struck or filled box counts as ticked, an empty box or circle as not.
CHECKED_MARK = r"[☑■√✔✓☒▣◼⊠●◉]|\[\s*[xX√✔✓]\s*\]|\(\s*[xX√✔✓]\s*\)"
UNCHECKED_MARK = r"[□☐○◯◻]|\[\s*\]|\(\s*\)"
_MARK = re.compile(f"({CHECKED_MARK})|{UNCHECKED_MARK}")


def checked_text(value: Any) -> Any:
    """The options ticked in a row of check boxes (`✔是 □否` → `是`); a value with no boxes
    is returned as it is, and a row of boxes none of which is ticked gives None."""
    if not isinstance(value, str) or not _MARK.search(value):
        return value
    pieces = _MARK.split(value)
    # split() yields: text, checked-group, text, checked-group, … (group is None when unchecked)
    ticked = [pieces[i + 1] for i in range(1, len(pieces) - 1, 2) if pieces[i]]
    chosen = " ".join(piece.strip() for piece in ticked if piece.strip())
    return chosen or None


NORMALISERS = {
    "text": text,
    "longtext": longtext,
    "name": name,
    "code": code,
    "vin": vin,
    "plate": plate,
    "phone": phone,
    "email": email,
    "date": iso_date,
    "datetime": iso_datetime,
    "number": number,
    "quantity": quantity,
    "money": money,
}
