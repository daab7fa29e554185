"""The format registry (parsers/__init__.py FORMATS): what a file is, from its bytes first and
its name second; a new format is one table line."""

from __future__ import annotations

import io
import zipfile

import pytest

from parsers import FORMATS, Format, parse_document, sniff
from parsers.sniff import best_format

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64
MAIL = b"From: a@example.test\r\nTo: b@example.test\r\nSubject: hi\r\nDate: Mon, 2 Nov 2026 09:00:00 +0800\r\n\r\nbody\r\n"


def zipped(member: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (b"%PDF-1.7\n...", "scan.bin", "pdf"),  # the bytes win over the name
        (b"junk before %PDF-1.4", "x", "pdf"),
        (zipped("word/document.xml"), "form.xlsx", "docx"),
        (zipped("xl/workbook.xml"), "sheet.docx", "xlsx"),
        (
            zipped("other.txt"),
            "form.doc",
            "docx",
        ),  # a zip named as Word: its parser says it is broken
        (OLE + "Workbook".encode("utf-16-le"), "sheet.doc", "xls"),
        (
            OLE + "WordDocument".encode("utf-16-le") + "Workbook".encode("utf-16-le"),
            "x",
            "doc",
        ),  # Word first
        (OLE, "old.xls", "xls"),
        (OLE, "old", "doc"),
        (b"\x89PNG\r\n\x1a\n....", "fax.pdf", "image"),
        (MAIL, "complaint.pdf", "eml"),  # a mail's headers beat a name
        (
            b"hello",
            "form.docx",
            "docx",
        ),  # named so, its bytes are not: the parser will say it is broken
        (b"plain words", "note", "text"),
        (b"\x00\x01\x02", "blob.bin", None),
    ],
)
def test_a_file_is_what_its_bytes_say_first_and_its_name_second(data, filename, expected):
    assert sniff(data, filename) == expected


def test_a_new_format_is_one_table_line():
    custom = (*FORMATS, Format("ofd", "parsers.text:parse", magic=(b"OFD1",), asked_as=".ofd"))
    found = best_format(custom, b"OFD1 rest of the file", "invoice.ofd")
    assert found is not None and found.name == "ofd"
    assert best_format(FORMATS, b"OFD1\x00 rest of the file", "invoice.ofd") is None


def test_the_refusal_names_the_types_the_registry_asks_for():
    doc = parse_document(b"\x00\x01\x02 binary", "blob.bin")
    assert doc.reasons == [
        {"code": "unknown_type", "file": "blob.bin", "formats": "PDF, .docx, .xlsx, .xls"}
    ]
    assert doc.errors == [
        "blob.bin is not a file type we can read: please send PDF, .docx, .xlsx, .xls or the text "
        "in the mail"
    ]
