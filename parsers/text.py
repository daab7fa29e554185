"""Plain text (a .txt note, or a mail body once decoded): label lines, then running text."""

from __future__ import annotations

from charset_normalizer import from_bytes

from parsers.forms import read_label_lines, read_prose
from parsers.kinds import recognise_kind
from parsers.limits import ParseLimits
from parsers.model import ParsedDocument

# Labels say what a charset calls itself; these are the supersets that decode what was sent.
CHARSET_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "big5": "big5hkscs",
    "cp950": "big5hkscs",
    "x-big5": "big5hkscs",
    "ascii": "utf-8",
    "us-ascii": "utf-8",
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
}


def decode(data: bytes, declared: str | None = None) -> str:
    """Text from bytes: the declared charset (widened to its superset) when it decodes cleanly,
    else UTF-8, else what charset-normalizer finds, else a lossy GB18030 read."""
    candidates = []
    if declared:
        candidates.append(CHARSET_SUPERSETS.get(declared.lower().strip(), declared))
    candidates.append("utf-8")
    for charset in candidates:
        try:
            return data.decode(charset)
        except (UnicodeDecodeError, LookupError):
            continue
    best = from_bytes(data).best()
    if best is not None:
        return str(best)
    return data.decode("gb18030", errors="replace")


def read_text_fields(doc: ParsedDocument, text: str, source: str) -> None:
    lines = text.splitlines()
    read_label_lines(doc, lines, source)
    read_prose(doc, text, source)


def parse(data: bytes, filename: str, limits: ParseLimits) -> ParsedDocument:
    doc = ParsedDocument(file=filename, format="text")
    doc.text = decode(data)
    doc.title = next((line for line in doc.text.splitlines() if line.strip()), "")
    read_text_fields(doc, doc.text, "text")
    doc.kind = recognise_kind(doc.title, doc.text)
    return doc
