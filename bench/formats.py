"""Benchmark: documents per second per format, beside the bare library reading the same files
in the same run (python-docx, openpyxl, pdfplumber, the email package). The ratio is the
parser's time over the bare library's; target of issue 10: ≤ 1.5.

    .venv/bin/python bench/formats.py [SAMPLES_DIR] [--rounds 20]
"""

from __future__ import annotations

import argparse
import email
import io
import sys
import time
from email import policy
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import docx  # noqa: E402
import openpyxl  # noqa: E402
import pdfplumber  # noqa: E402

from parsers import (
    parse_document,  # noqa: E402
    sniff,  # noqa: E402
)

ROOT = Path(__file__).resolve().parent.parent


def bare_docx(data: bytes) -> None:
    document = docx.Document(io.BytesIO(data))
    _ = [p.text for p in document.paragraphs]
    _ = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]


def bare_xlsx(data: bytes) -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    _ = [list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets]
    workbook.close()


def bare_pdf(data: bytes) -> None:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            page.extract_text()
            page.extract_tables()


def bare_eml(data: bytes) -> None:
    message = email.message_from_bytes(data, policy=policy.default)
    for part in message.walk():
        if not part.is_multipart():
            part.get_content()


BARE = {"docx": bare_docx, "xlsx": bare_xlsx, "pdf": bare_pdf, "eml": bare_eml}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("samples", nargs="?", default=str(ROOT.parent / "shared" / "samples"))
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    files: dict[str, list[tuple[str, bytes]]] = {}
    for path in sorted(Path(args.samples).iterdir()):
        if path.suffix in (".json", ".md") or "bad" in path.name or "fax" in path.name:
            continue
        data = path.read_bytes()
        fmt = sniff(data, path.name)
        if fmt in BARE:
            files.setdefault(fmt, []).append((path.name, data))
    print(f"{'format':6} {'files':>5} {'parser docs/s':>14} {'bare docs/s':>12} {'ratio':>6}")
    for fmt, items in files.items():
        for name, data in items:  # warm caches (label tables, imports) as a running worker has them
            parse_document(data, name)
        started = time.perf_counter()
        for _ in range(args.rounds):
            for name, data in items:
                parse_document(data, name)
        ours = time.perf_counter() - started
        started = time.perf_counter()
        for _ in range(args.rounds):
            for _, data in items:
                BARE[fmt](data)
        bare = time.perf_counter() - started
        count = args.rounds * len(items)
        print(f"{fmt:6} {len(items):5} {count / ours:14.1f} {count / bare:12.1f} {ours / bare:6.2f}")


if __name__ == "__main__":
    main()
