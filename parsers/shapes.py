"""Fields read by what they must be: codes against the templates of shapes.toml, with the
recogniser's confusions (O/0, I/1, S/5, B/8, Z/2 …) undone toward the template; phones
against the digits their kind needs; codes against master data given as plain lists (fuzzy,
with rapidfuzz); and a return line's quantity × price = amount used to choose between readings.

Whatever is mended or guessed keeps its reading (`FieldValue.read`, or the document's
`meta["line_readings"]` for a line's values) and is named in `meta["unverified"]`, so that the
acknowledgement asks the sender to confirm it. A value that fits nothing is kept as read, and
unverified too: a wrong value is never passed on silently.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from parsers.model import ParsedDocument

SHAPES = Path(__file__).with_name("shapes.toml")
MENDED = 0.5  # the confidence of a value mended or guessed: below scan.UNVERIFIED_BELOW
FUZZY_CUTOFF = 80  # rapidfuzz ratio (0-100) a reading needs to be taken for a known code
LINE_CODES = ("order_no", "part_no", "batch_no")
CENT = 0.01
LINE_VALUE = re.compile(
    r"lines\[(\d+)\]\.(\w+)$"
)  # how a return line's value is named in `unverified`


def line_value(name: str) -> tuple[int, str] | None:
    """(line index, column) of `lines[0].amount`, or None for a field's name."""
    match = LINE_VALUE.match(name)
    return (int(match[1]), match[2]) if match else None


@dataclass(frozen=True)
class Shapes:
    templates: dict[str, list[str]]
    digit: dict[str, str]
    letter: dict[str, str]
    hyphen: dict[str, str]
    han: dict[str, str]
    phones: dict[str, re.Pattern[str]]
    spacing: dict[str, re.Pattern[str]]
    hyphens: dict[str, re.Pattern[str]]


@dataclass(frozen=True)
class Reading:
    value: str
    fits: bool  # it fits a template (as read or mended)
    mended: bool  # it differs from what was read


@lru_cache(maxsize=2)
def load_shapes(path: Path = SHAPES) -> Shapes:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    confusions = data["confusions"]
    return Shapes(
        {name: spec["templates"] for name, spec in data["shapes"].items()},
        confusions["digit"],
        confusions["letter"],
        confusions["hyphen"],
        confusions["han"],
        {kind: re.compile(pattern) for kind, pattern in data["phones"].items()},
        {
            name: re.compile("|".join(patterns))
            for name, patterns in data.get("spacing", {}).items()
        },
        {
            name: re.compile("|".join(patterns))
            for name, patterns in data.get("hyphens", {}).items()
        },
    )


def fit(text: str, template: str, shapes: Shapes) -> tuple[str, int] | None:
    """`text` spelled to `template`, with how many characters had to change; None when it cannot be."""
    if len(text) != len(template):
        return None
    out, changes = [], 0
    for char, want in zip(text, template, strict=True):
        if want == "A":
            got = char.upper() if char.isascii() and char.isalpha() else shapes.letter.get(char)
        elif want == "9":
            got = char if char.isascii() and char.isdigit() else shapes.digit.get(char)
        else:
            got = char if char == want else shapes.hyphen.get(char) if want == "-" else None
        if got is None:
            return None
        out.append(got)
        changes += got != char
    return "".join(out), changes


def read_code(name: str, raw: Any) -> Reading | None:
    """A code as its field's templates want it, or None when the field has no templates. Tried
    in turn, the cheapest wins: as read (spaces dropped), a hyphen lost (`SO26080940`), one
    character too many (`LN-8 8030`), the start of two values run together (`S02608-0109.HA-1448`,
    `HN-5125 填表日期…`). A gap read inside a code is where a mark was that the recogniser
    lost (a thin hyphen at 98 dpi: `SS1 O510`), so a reading that puts a hyphen there, or drops
    a character beside it, is the cheaper."""
    shapes = load_shapes()
    templates = shapes.templates.get(name)
    if not templates or not isinstance(raw, str):
        return None
    joined = re.sub(r"\s*-\s*", "-", raw.strip())
    text = re.sub(r"\s+", "", joined)
    gaps = gap_positions(joined)
    candidates: list[
        tuple[int, int, str]
    ] = []  # (cost, 0 when the gaps were kept as hyphens, value)
    for template in templates:
        if gaps and (found := fit(re.sub(r"\s+", "-", joined), template, shapes)):
            candidates.append((found[1], 0, found[0]))
        if found := fit(text, template, shapes):
            candidates.append((found[1] + bool(gaps), 1, found[0]))
        if len(text) == len(template) - 1:  # a hyphen (or other fixed mark) lost
            for index, want in enumerate(template):
                if want not in "A9" and (
                    found := fit(text[:index] + want + text[index:], template, shapes)
                ):
                    candidates.append((found[1] + 2, 1, found[0]))
        if len(text) == len(template) + 1:  # a character too many: most likely a speck beside a gap
            for index in range(len(text)):
                if found := fit(text[:index] + text[index + 1 :], template, shapes):
                    candidates.append(
                        (found[1] + (1 if index in gaps or index + 1 in gaps else 2), 1, found[0])
                    )
        if len(text) > len(template) + 1 and not (
            text[len(template)].isascii() and text[len(template)].isalnum()
        ):
            if found := fit(text[: len(template)], template, shapes):
                candidates.append((found[1] + 3, 1, found[0]))
    if not candidates:
        return Reading(raw, fits=False, mended=False)
    value = min(candidates)[2]
    return Reading(value, fits=True, mended=value != raw)


def gap_positions(text: str) -> set[int]:
    """Where the gaps of a reading fall once its spaces are dropped: the index of the character after each."""
    positions, dropped = set(), 0
    for match in re.finditer(r"\s+", text):
        positions.add(match.start() - dropped)
        dropped += len(match[0])
    return positions


def spaced(name: str, value: Any) -> Any:
    """A value with the spaces a recogniser dropped put back where shapes.toml's [spacing] says."""
    pattern = load_shapes().spacing.get(name)
    return pattern.sub(" ", value) if pattern and isinstance(value, str) else value


def hyphenated(name: str, value: Any) -> Any:
    """A value with the hyphens a recogniser read as other marks put back where shapes.toml's [hyphens] says."""
    pattern = load_shapes().hyphens.get(name)
    return pattern.sub("-", value) if pattern and isinstance(value, str) else value


def phone_fits(digits: str) -> bool:
    """A phone has the digits its kind needs: a mobile 11 from 13-19, a landline its area code…"""
    return any(pattern.fullmatch(digits) for pattern in load_shapes().phones.values())


def mend_choice(text: str) -> str:
    """A choice's words with the characters a recogniser confuses put right (`丰常满意` → `非常满意`)."""
    han = load_shapes().han
    return "".join(han.get(char, char) for char in text)


def closest_code(reading: str, known: Iterable[str]) -> tuple[str, float] | None:
    """The known code a reading most resembles, with rapidfuzz's ratio (0-100) above
    FUZZY_CUTOFF, compared with the confusable characters folded together (`LN-8O3O` is
    `LN-8030` misread, not a code two characters away)."""
    from rapidfuzz import fuzz, process

    choices = {code: folded(code) for code in known}
    found = process.extractOne(
        folded(reading), choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
    )
    return (found[2], float(found[1])) if found else None


def folded(code: str) -> str:
    """A code with each character a recogniser confuses written as the digit it is taken for."""
    shapes = load_shapes()
    return "".join(
        shapes.digit.get(char, shapes.hyphen.get(char, char))
        for char in re.sub(r"\s+", "", code.upper())
    )


# ---------------------------------------------------------------- on a whole document


def check_document(doc: ParsedDocument, known: Mapping[str, Iterable[str]] | None = None) -> None:
    """Codes, phones and line sums of an OCR document checked; what is mended or unsure is
    named in `meta["unverified"]` (`lines[0].amount` for a line's value)."""
    unverified = list(doc.meta.get("unverified", []))
    for name, found in doc.fields.items():
        found.value = spaced(name, found.value)
        if (
            name == "phone"
            and isinstance(found.value, str)
            and not phone_fits(found.value.lstrip("+"))
        ):
            found.confidence = min(found.confidence, MENDED)
            unverified.append(name)
        elif (reading := read_code(name, found.value)) is not None:
            if reading.mended or not reading.fits:
                mend_field(doc, name, reading.value)
                unverified.append(name)
    for index, line in enumerate(doc.lines):
        for column, value in list(line.items()):
            if (marked := hyphenated(column, value)) != value:
                mend_line(doc, index, column, marked)
                unverified.append(f"lines[{index}].{column}")
            if (written := spaced(column, marked)) != marked:
                mend_line(doc, index, column, written)
        for column in LINE_CODES:
            reading = read_code(column, line.get(column))
            if reading is not None and (reading.mended or not reading.fits):
                mend_line(doc, index, column, reading.value)
                unverified.append(f"lines[{index}].{column}")
        unverified.extend(check_sums(doc, index))
    if known:
        unverified.extend(match_known(doc, known))
    if unverified:
        doc.meta["unverified"] = list(dict.fromkeys(unverified))


def mend_field(doc: ParsedDocument, name: str, value: Any) -> None:
    found = doc.fields[name]
    if found.read is None and value != found.value:
        found.read = found.value
    found.value, found.confidence = value, min(found.confidence, MENDED)


def mend_line(doc: ParsedDocument, index: int, column: str, value: Any) -> None:
    line = doc.lines[index]
    readings = doc.meta.setdefault("line_readings", {})
    key = f"lines[{index}].{column}"
    if key not in readings and line.get(column) != value:
        readings[key] = line.get(column)
    if value is None:
        line.pop(column, None)
    else:
        line[column] = value


def check_sums(doc: ParsedDocument, index: int) -> list[str]:
    """quantity × price = amount on a line, else the values it cannot vouch for: an amount
    that does not multiply out is put right from quantity × price when both are there (the
    amount is the figure a recogniser mangles most: it is the longest), a missing quantity,
    price or amount is worked out from the other two; all of them unverified."""
    line = doc.lines[index]
    quantity, price, amount = line.get("quantity"), line.get("unit_price"), line.get("amount")
    key = f"lines[{index}]"
    if isinstance(quantity, (int, float)) and quantity > 0:
        if isinstance(price, (int, float)) and isinstance(amount, (int, float)):
            if abs(quantity * price - amount) <= CENT:
                return []
            exact = amount / quantity
            if abs(exact - round(exact, 2)) <= 1e-9 and digits_alike(price, exact):
                mend_line(
                    doc, index, "unit_price", round(exact, 2)
                )  # the price lost a digit the amount kept
                return [f"{key}.unit_price", f"{key}.amount"]
            mend_line(doc, index, "amount", round(quantity * price, 2))
            return [f"{key}.unit_price", f"{key}.amount"]
        if isinstance(price, (int, float)) and amount is None:
            mend_line(doc, index, "amount", round(quantity * price, 2))
            return [f"{key}.amount"]
        if (
            isinstance(amount, (int, float))
            and price is None
            and abs(amount / quantity - round(amount / quantity, 2)) <= 1e-9
        ):
            mend_line(doc, index, "unit_price", round(amount / quantity, 2))
            return [f"{key}.unit_price"]
    elif (
        quantity is None
        and isinstance(price, (int, float))
        and isinstance(amount, (int, float))
        and price > 0
    ):
        count = amount / price
        if (
            count >= 1 and abs(count - round(count)) * price <= CENT
        ):  # the quantity lost, price and amount kept
            mend_line(doc, index, "quantity", round(count))
            return [f"{key}.quantity"]
    return [
        f"{key}.{name}" for name in ("quantity", "unit_price", "amount")
    ]  # not vouched for, or not read


def digits_alike(read: float, worked_out: float) -> bool:
    """A price read with digits lost or broken (`18.0` for `1899.0`) that the worked-out price
    begins with, as the recogniser saw it."""
    shown = (
        f"{read:.6f}".rstrip("0").rstrip(".").replace(".", "")
    )  # every digit read: 1.899 is 1899 misread
    return f"{worked_out:.2f}".replace(".", "").startswith(shown[:2]) and len(shown) >= 2


def match_known(doc: ParsedDocument, known: Mapping[str, Iterable[str]]) -> list[str]:
    """Codes taken for the master data's: an exact match changes nothing, a close one (rapidfuzz)
    replaces the reading, which is kept, and leaves the value unverified; none leaves it as read."""
    unsure = []
    codes = {name: set(values) for name, values in known.items()}
    for name, found in doc.fields.items():
        if (
            name in codes
            and isinstance(found.value, str)
            and codes[name]
            and found.value not in codes[name]
        ):
            if match := closest_code(found.value, codes[name]):
                mend_field(doc, name, match[0])
            unsure.append(name)
    for index, line in enumerate(doc.lines):
        for column in LINE_CODES:
            value = line.get(column)
            if (
                column in codes
                and isinstance(value, str)
                and codes[column]
                and value not in codes[column]
            ):
                if match := closest_code(value, codes[column]):
                    mend_line(doc, index, column, match[0])
                unsure.append(f"lines[{index}].{column}")
    return unsure
