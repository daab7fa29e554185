"""Bounds every parser keeps: hostile attachments are the normal case, not the exception."""

from __future__ import annotations

import io
import re
import signal
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from parsers.model import ParseError

MiB = 1024 * 1024


@dataclass(frozen=True)
class ParseLimits:
    max_file_bytes: int = 25 * MiB
    max_message_bytes: int = 50 * MiB
    max_attachments: int = 50
    max_unzipped_bytes: int = 200 * MiB
    max_zip_ratio: int = 200
    max_pages: int = 50
    max_rows: int = 20000
    max_seconds: float = 60.0  # wall time for one document, its attachments included
    max_memory_mb: int = (
        4096  # address space of the process that reads it (the worker's isolated parse)
    )
    convert_doc: bool = True  # binary .doc through LibreOffice, when it is installed
    # Not a bound, but the one thing of the desk's config a parser must know: how our case
    # numbers look ([desk] case_number_format), so only they make a mail a reply to a case.
    case_number_format: str = "CS-{yy}{mm}-{seq:04d}"


def check_size(data: bytes, filename: str, limits: ParseLimits) -> None:
    if len(data) > limits.max_file_bytes:
        raise ParseError(
            "file_too_large",
            file=filename,
            size=f"{len(data) / MiB:.1f}",
            limit=f"{limits.max_file_bytes / MiB:.0f}",
        )


def open_zip(data: bytes, filename: str, limits: ParseLimits) -> zipfile.ZipFile:
    """An Office file's zip, refused before anything is unpacked when its declared sizes are
    too large or compress too well (a zip bomb), or when it is not a zip at all."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ParseError(
            "damaged_archive", file=filename, ext=filename.rsplit(".", 1)[-1]
        ) from None
    total = sum(info.file_size for info in archive.infolist())
    packed = max(1, sum(info.compress_size for info in archive.infolist()))
    if total > limits.max_unzipped_bytes or total / packed > limits.max_zip_ratio:
        raise ParseError(
            "zip_bomb", file=filename, size=f"{total / MiB:.0f}", ratio=f"{total / packed:.0f}"
        )
    for info in archive.infolist():
        if info.flag_bits & 0x1:
            raise ParseError("password_protected", file=filename)
    refuse_dtds(archive, filename)
    return archive


@contextmanager
def time_limit(seconds: float, filename: str) -> Iterator[None]:
    """Stop a parse that runs longer than `seconds` (a crafted PDF can make a parser loop).
    Uses the real-time timer, so it applies on the main thread, where the worker parses; an
    enclosing limit (the mail an attachment came in) already bounds nested documents."""
    usable = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    if not usable or signal.getitimer(signal.ITIMER_REAL)[0] > 0:
        yield
        return

    def expired(signum, frame):  # noqa: ANN001, ARG001
        raise ParseError("too_slow", file=filename, seconds=f"{seconds:g}")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def refuse_dtds(archive: zipfile.ZipFile, filename: str) -> None:
    """Office XML never needs a DTD: a part that declares one (entity expansion, external
    entities) is refused before any XML parser sees it."""
    for info in archive.infolist():
        if not info.filename.endswith((".xml", ".rels", ".vml")):
            continue
        with archive.open(info) as part:
            head = part.read(min(info.file_size, 64 * 1024))
        if DTD.search(head):
            raise ParseError("unsafe_xml", file=filename, part=info.filename)
