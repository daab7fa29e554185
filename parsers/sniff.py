"""What format a file really is, from its bytes first and its name second: each format of the
registry (parsers/__init__.py `FORMATS`) declares what it reads — magic bytes its files start
with, or a `score` of its own — and the format that scores highest takes the file.

Scores: SURE when the bytes say so (a PDF header, a zip holding word/document.xml); LIKELY when
they fit more than one format and the name decides (a zip named .docx); MAIL for a mail's
headers (or a .eml name); NAMED when only the file's name says so (its parser then says it is
broken); TEXT for any readable text. 0: not this format."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

SURE, LIKELY, MAIL, NAMED, TEXT = 100, 50, 40, 10, 5

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]{1,40}:[ \t]", re.MULTILINE)
MAIL_HEADERS = (
    b"from:",
    b"to:",
    b"subject:",
    b"date:",
    b"message-id:",
    b"received:",
    b"mime-version:",
)

Score = Callable[[bytes, str], int]  # (the file's bytes, its name's suffix, lower case) → how sure


@dataclass(frozen=True)
class Format:
    """A format the desk reads: its parser, and how a file is known to be of it."""

    name: str
    parser: str  # "module:function", imported the first time a file of the format comes
    magic: tuple[bytes, ...] = ()  # a file that starts so is of this format
    score: Score | None = None  # or its own test
    suffixes: tuple[str, ...] = ()  # a file so named is taken for it when nothing scores higher
    asked_as: str | None = None  # how the polite note names it among the types we ask for (".docx")

    def scores(self, data: bytes, suffix: str) -> int:
        found = SURE if self.magic and data.startswith(self.magic) else 0
        if self.score is not None:
            found = max(found, self.score(data, suffix))
        return found or (NAMED if suffix in self.suffixes else 0)


def best_format(formats: tuple[Format, ...], data: bytes, filename: str) -> Format | None:
    """The format that scores highest for the file (the table's order breaks ties); None when
    none does."""
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    scored = [
        (found.scores(data, suffix), -position, found) for position, found in enumerate(formats)
    ]
    best = max(scored, key=lambda entry: entry[:2], default=None)
    return best[2] if best and best[0] > 0 else None


# ---------------------------------------------------------------- the formats' own tests


def pdf(data: bytes, suffix: str) -> int:
    return SURE if data[:1024].find(b"%PDF-") >= 0 or data.startswith(b"%PDF") else 0


def office_zip(member: str, suffixes: tuple[str, ...]) -> Score:
    """An Office Open XML file is a zip holding its part (`word/document.xml`); a zip without
    one is taken for the format its name says (its parser will say it is broken)."""

    def score(data: bytes, suffix: str) -> int:
        if not data.startswith(ZIP_MAGIC):
            return 0
        if member in _zip_names(data):
            return SURE
        return (
            LIKELY if suffix in suffixes else 0
        )  # the other Office format's part, if there is one, is SURE

    return score


def ole(stream_names: tuple[str, ...], when_unknown: Callable[[str], bool]) -> Score:
    """A binary Office file (an OLE compound file): Word and Excel streams are named inside; a
    compound file with neither is taken for what `when_unknown(suffix)` says."""

    def score(data: bytes, suffix: str) -> int:
        if not data.startswith(OLE_MAGIC):
            return 0
        probe = data[:65536]
        if any(name.encode("utf-16-le") in probe for name in stream_names):
            return SURE
        known = ("WordDocument", "Workbook", "Book\0")
        if any(name.encode("utf-16-le") in probe for name in known):
            return 0  # another format's stream: that format is sure
        return LIKELY if when_unknown(suffix) else 0

    return score


def mail(data: bytes, suffix: str) -> int:
    if suffix in ("eml", "msg"):
        return MAIL
    head = data[:4096].lower()
    headers = HEADER_LINE.findall(data[:4096])
    return MAIL if len(headers) >= 3 and sum(marker in head for marker in MAIL_HEADERS) >= 2 else 0


def text(data: bytes, suffix: str) -> int:
    sample = data[:4096]
    return TEXT if sample and b"\x00" not in sample else 0


def _zip_names(data: bytes) -> set[str]:
    try:
        return set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except zipfile.BadZipFile:
        return set()
