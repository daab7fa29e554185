"""The return slip (退货单): a .docx from the docxtpl template in templates/slips/, and a PDF
beside it when LibreOffice is installed. Values are XML-escaped (autoescape): a dealer's text
can never become document markup."""

from __future__ import annotations

import io
import logging
import subprocess
from importlib.resources import files
from typing import Any

from docxtpl import DocxTemplate

from parsers.doc import convert, office_binary

log = logging.getLogger(__name__)


def render_slip(context: dict[str, Any]) -> bytes:
    template = DocxTemplate(str(files("templates") / "slips" / "return_slip.docx"))
    template.render(context, autoescape=True)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def slip_pdf(docx: bytes, seconds: float = 60) -> bytes | None:
    """The slip as PDF, or None without LibreOffice (the .docx alone is sent then)."""
    binary = office_binary()
    if binary is None:
        return None
    try:
        return convert(binary, docx, "docx", "pdf", seconds)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("the return slip could not be made into a PDF: %s", exc)
        return None
