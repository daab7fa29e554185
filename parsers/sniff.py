"""What format a file really is, from its bytes first and its name second."""

from __future__ import annotations

import io
import re
import zipfile

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]{1,40}:[ \t]", re.MULTILINE)
MAIL_HEADERS = (b"from:", b"to:", b"subject:", b"date:", b"message-id:", b"received:", b"mime-version:")


def sniff(data: bytes, filename: str) -> str | None:
    """One of eml, docx, xlsx, xls, doc, pdf, image, text; None for what no parser reads."""
    head = data[:8]
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if head.startswith(b"%PDF") or data[:1024].find(b"%PDF-") >= 0:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _office_zip(data) or ("docx" if suffix in ("docx", "doc") else suffix or None)
    if head.startswith(OLE_MAGIC):
        return _ole_kind(data, suffix)
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"GIF8", b"BM")):
        return "image"
    if suffix in ("eml", "msg") or _looks_like_mail(data):
        return "eml"
    if suffix in ("docx", "xlsx", "xls", "doc", "pdf"):
        return suffix  # named so, but its bytes are not: its parser will say it is broken
    if _is_text(data):
        return "text"
    return None


def _office_zip(data: bytes) -> str | None:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except zipfile.BadZipFile:
        return None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return None


def _ole_kind(data: bytes, suffix: str) -> str:
    """A binary Office file: Word and Excel streams are named inside the compound file."""
    probe = data[:65536]
    if "WordDocument".encode("utf-16-le") in probe:
        return "doc"
    if "Workbook".encode("utf-16-le") in probe or "Book\0".encode("utf-16-le") in probe:
        return "xls"
    return suffix if suffix in ("xls", "doc") else "doc"


def _looks_like_mail(data: bytes) -> bool:
    head = data[:4096].lower()
    headers = HEADER_LINE.findall(data[:4096])
    return len(headers) >= 3 and sum(marker in head for marker in MAIL_HEADERS) >= 2


def _is_text(data: bytes) -> bool:
    sample = data[:4096]
    return bool(sample) and b"\x00" not in sample
