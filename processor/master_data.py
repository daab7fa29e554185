"""Master data for returns, from .xlsx and .csv files dropped into the master-data folder:
dealers (code, name, addresses, exchange-ratio limit, return window), products (part number,
name, list price) and purchases per dealer and period. Which table a file is comes from its
header row (processor/data/master_data.toml); rows are upserted by their key; the file then
moves to `imported/`, or to `rejected/` beside a `.reason.txt`."""

from __future__ import annotations

import csv
import io
import logging
import re
import time
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from parsers.labels import label_key
from parsers.normalise import clean_text, is_empty, number
from parsers.text import decode
from processor.desk import Desk
from processor.store.models import Party, Product, Purchase

log = logging.getLogger(__name__)

TABLES = Path(__file__).with_name("data") / "master_data.toml"
SETTLE_SECONDS = 1.0
HEADER_ROWS = 10
QUARTER = re.compile(r"(\d{4})-?(?:Q([1-4])|第?([一二三四1-4])季度)")


class MasterDataError(Exception):
    """A file that cannot be imported; the message says what to fix."""


@dataclass(frozen=True)
class Table:
    name: str
    required: list[str]
    columns: dict[str, str]  # label key → column name


@lru_cache(maxsize=1)
def load_tables(path: Path = TABLES) -> list[Table]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))["tables"]
    return [
        Table(
            name,
            spec["required"],
            {
                label_key(label): column
                for column, labels in spec["columns"].items()
                for label in labels
            },
        )
        for name, spec in data.items()
    ]


# How long a worker trusts the master data it read before reading it again: an import by this
# process is seen at once (import_file forgets it), one by another worker within this time.
RECHECK_SECONDS = 60.0


@dataclass(frozen=True)
class Known:
    """The master data a mail is matched against, read once in one transaction."""

    products: list[dict[str, str | None]]
    codes: dict[str, list[str]]
    read_at: float


def known(desk: Desk) -> Known:
    """The desk's master data, from its cache: read from the store on first use, again after an
    import by this process and after RECHECK_SECONDS (another worker may have imported)."""
    cached = desk.cache.get("master_data")
    if cached is None or time.monotonic() - cached.read_at > RECHECK_SECONDS:
        with desk.store.transaction() as session:
            cached = Known(known_products(session), known_codes(session), time.monotonic())
        desk.cache["master_data"] = cached
    return cached


def forget(desk: Desk) -> None:
    """Master data changed: the next mail reads it again."""
    desk.cache.pop("master_data", None)


def known_codes(session: Session) -> dict[str, list[str]]:
    """The codes on record, by the field or line column that carries them: what a code read by
    OCR is matched against (parsers/shapes.match_known)."""
    return {
        "part_no": list(session.scalars(select(Product.part_no))),
        "dealer_code": [
            code
            for code in session.scalars(select(Party.code).where(Party.kind == "dealer"))
            if code
        ],
    }


def known_products(session: Session) -> list[dict[str, str | None]]:
    """The products on record as plain data, for parsers/products.name_known_product."""
    return [
        {"part_no": part_no, "name": name, "spec": spec}
        for part_no, name, spec in session.execute(
            select(Product.part_no, Product.name, Product.spec)
        )
    ]


def import_folder(desk: Desk) -> list[str]:
    """Import every settled file of the master-data folder; returns what was done, per file."""
    folder = desk.config.master_data.folder
    if folder is None:
        return []
    root = desk.config.path(folder)
    done = []
    for path in sorted(
        p for p in root.iterdir() if p.is_file() and not p.name.startswith((".", "~$"))
    ):
        if time.time() - path.stat().st_mtime < SETTLE_SECONDS or path.name.endswith(".reason.txt"):
            continue
        try:
            table, count = import_file(desk, path)
        except MasterDataError as exc:
            _settle(path, root / "rejected", str(exc))
            done.append(f"{path.name}: rejected: {exc}")
            log.warning("master data %s rejected: %s", path.name, exc)
            continue
        _settle(path, root / "imported")
        done.append(f"{path.name}: {count} {table}")
        log.info("master data %s: %d %s imported", path.name, count, table)
    return done


def _settle(path: Path, target: Path, reason: str | None = None) -> None:
    target.mkdir(exist_ok=True)
    stamped = target / f"{datetime.now():%Y%m%d-%H%M%S}-{path.name}"
    path.replace(stamped)
    if reason:
        stamped.with_name(stamped.name + ".reason.txt").write_text(
            f"{path.name} was not imported.\n\nWhy: {reason}\n\nWhat to do: fix the file and drop it into the folder again.\n",
            encoding="utf-8",
        )


def import_file(desk: Desk, path: Path) -> tuple[str, int]:
    rows = read_rows(path, desk.limits.max_rows, desk.limits.max_file_bytes)
    table, header_at, columns = recognise(rows, path.name)
    records = [record for row in rows[header_at + 1 :] if (record := _record(row, columns))]
    try:
        with desk.store.transaction() as session:
            count = UPSERTS[table.name](session, records, path.name)
    finally:
        forget(desk)
    return table.name, count


def read_rows(path: Path, max_rows: int, max_bytes: int) -> list[list[Any]]:
    if path.stat().st_size > max_bytes:
        raise MasterDataError(f"the file is over the limit of {max_bytes // 2**20} MB")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text = decode(path.read_bytes())
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t") if text.strip() else csv.excel
        return [
            row
            for _, row in zip(range(max_rows), csv.reader(io.StringIO(text), dialect), strict=False)
        ]
    if suffix in (".xlsx", ".xlsm"):
        import openpyxl  # here, not at the top: half a second to import, for a file that comes seldom

        try:
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many types
            raise MasterDataError(f"not a readable Excel workbook ({type(exc).__name__})") from None
        try:
            sheet = workbook.worksheets[0]
            return [
                list(row)
                for _, row in zip(range(max_rows), sheet.iter_rows(values_only=True), strict=False)
            ]
        finally:
            workbook.close()
    raise MasterDataError("only .xlsx and .csv files are read here")


def recognise(rows: list[list[Any]], filename: str) -> tuple[Table, int, dict[int, str]]:
    """The table a file is, the index of its header row and {column index: column name}."""
    for index, row in enumerate(rows[:HEADER_ROWS]):
        keys = [label_key(str(cell)) if not is_empty(cell) else "" for cell in row]
        for table in load_tables():
            columns = {
                position: table.columns[key]
                for position, key in enumerate(keys)
                if key in table.columns
            }
            if set(table.required) <= set(columns.values()):
                return table, index, columns
    names = "; ".join(f"{t.name}: {', '.join(t.required)}" for t in load_tables())
    raise MasterDataError(f"no header row names the columns of a master-data table ({names})")


def _record(row: list[Any], columns: dict[int, str]) -> dict[str, Any] | None:
    record = {name: row[position] for position, name in columns.items() if position < len(row)}
    return record if any(not is_empty(value) for value in record.values()) else None


# ---------------------------------------------------------------- upserts


def upsert_dealers(session: Session, records: list[dict], source: str) -> int:
    count = 0
    for record in records:
        code = clean_text(record.get("code"))
        if not code:
            continue
        dealer = session.scalars(
            select(Party).where(Party.kind == "dealer", Party.code == code)
        ).first()
        if dealer is None:
            dealer = Party(kind="dealer", code=code, name=code, attributes={})
            session.add(dealer)
        emails = [
            e.lower()
            for e in re.split(r"[\s,;；，]+", clean_text(record.get("emails")))
            if "@" in e
        ]
        dealer.name = clean_text(record.get("name")) or dealer.name
        dealer.email = emails[0] if emails else dealer.email
        attributes = dict(dealer.attributes or {})
        if emails:
            attributes["emails"] = emails
        if (ratio := ratio_of(record.get("ratio_limit"))) is not None:
            attributes["ratio_limit"] = ratio
        if (days := number(record.get("window_days"))) is not None:
            attributes["window_days"] = int(days)
        attributes["source"] = source
        dealer.attributes = attributes
        count += 1
    return count


def upsert_products(session: Session, records: list[dict], source: str) -> int:
    count = 0
    for record in records:
        part_no = clean_text(record.get("part_no"))
        if not part_no:
            continue
        product = session.scalars(select(Product).where(Product.part_no == part_no)).first()
        if product is None:
            product = Product(part_no=part_no)
            session.add(product)
        product.name = clean_text(record.get("name")) or product.name
        product.spec = clean_text(record.get("spec")) or product.spec
        price = number(record.get("unit_price"))
        product.unit_price = float(price) if price is not None else product.unit_price
        count += 1
    return count


def upsert_purchases(session: Session, records: list[dict], source: str) -> int:
    count = 0
    for index, record in enumerate(records, start=2):
        code, period, amount = (
            clean_text(record.get("dealer_code")),
            period_key(record.get("period")),
            number(record.get("amount")),
        )
        if not code and period is None and amount is None:
            continue
        if not code or period is None or amount is None:
            raise MasterDataError(
                f"row {index}: a purchase needs a dealer code, a period (2026-09, 2026-Q3 or 2026) and an amount"
            )
        row = session.scalars(
            select(Purchase).where(Purchase.dealer_code == code, Purchase.period == period)
        ).first()
        if row is None:
            session.add(Purchase(dealer_code=code, period=period, amount=float(amount)))
        else:
            row.amount = float(amount)
        count += 1
    return count


UPSERTS = {"dealers": upsert_dealers, "products": upsert_products, "purchases": upsert_purchases}


def ratio_of(value: Any) -> float | None:
    """`5%`, `5`, `0.05` → 0.05."""
    if is_empty(value):
        return None
    found = number(str(value).replace("%", ""))
    if found is None:
        return None
    return float(found) / 100 if "%" in str(value) or float(found) > 1 else float(found)


def period_key(value: Any) -> str | None:
    """A purchase period as `2026-09` (month), `2026-Q3` (quarter) or `2026` (year)."""
    if isinstance(value, datetime | date):
        return f"{value.year}-{value.month:02d}"
    text = (
        clean_text(value)
        .upper()
        .replace("年", "-")
        .replace("月", "")
        .replace("/", "-")
        .replace(".", "-")
    )
    if match := QUARTER.fullmatch(text):
        digit = match.group(2) or match.group(3)
        quarter = "一二三四".index(digit) + 1 if digit in "一二三四" else int(digit)
        return f"{match.group(1)}-Q{quarter}"
    if match := re.fullmatch(r"(\d{4})-?(\d{1,2})(?:-\d{1,2})?", text):
        if 1 <= int(match.group(2)) <= 12:
            return f"{match.group(1)}-{int(match.group(2)):02d}"
    if re.fullmatch(r"\d{4}-?", text):
        return text.rstrip("-")
    return None
