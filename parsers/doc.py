"""Old binary Word .doc files: converted to .docx by LibreOffice when it is installed, then
read like any .docx; without LibreOffice the sender is asked for .docx or PDF."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from parsers import docx
from parsers.limits import ParseLimits
from parsers.model import ParsedDocument, ParseError


def office_binary() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def parse(data: bytes, filename: str, limits: ParseLimits) -> ParsedDocument:
    binary = office_binary() if limits.convert_doc else None
    if binary is None:
        raise ParseError("old_doc", file=filename)
    converted = convert_to_docx(binary, data, filename, limits.max_seconds)
    doc = docx.parse(converted, filename, limits)
    doc.format = "doc"
    return doc


def convert_to_docx(binary: str, data: bytes, filename: str, seconds: float) -> bytes:
    try:
        return convert(binary, data, "doc", "docx:MS Word 2007 XML", seconds)
    except subprocess.TimeoutExpired:
        raise ParseError("doc_too_slow", file=filename) from None
    except FileNotFoundError:
        raise ParseError("doc_broken", file=filename) from None


def convert(binary: str, data: bytes, suffix: str, target: str, seconds: float) -> bytes:
    """One file through LibreOffice (`target`: "pdf", "docx:MS Word 2007 XML", …) in a private
    profile and folder, under a fixed name, never the sender's; killed when it overruns.
    Raises FileNotFoundError when LibreOffice made nothing of it."""
    with tempfile.TemporaryDirectory(prefix="aftersales-office-") as work:
        folder = Path(work)
        source = folder / f"input.{suffix}"
        source.write_bytes(data)
        command = [
            binary,
            "--headless",
            "--norestore",
            "--nolockcheck",
            f"-env:UserInstallation=file://{folder / 'profile'}",
            "--convert-to",
            target,
            "--outdir",
            str(folder / "out"),
            str(source),
        ]
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(folder),
            "LANG": "C.UTF-8",
        }
        subprocess.run(
            command, cwd=folder, env=env, capture_output=True, timeout=max(seconds, 10), check=False
        )
        result = folder / "out" / f"input.{target.split(':')[0]}"
        return result.read_bytes()
