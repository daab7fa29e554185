"""Bounds every parser keeps: hostile attachments are the normal case, not the exception."""

from __future__ import annotations

import io
import zipfile
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


def check_size(data: bytes, filename: str, limits: ParseLimits) -> None:
    if len(data) > limits.max_file_bytes:
        raise ParseError(
            f"{filename} is {len(data) / MiB:.1f} MB, over the limit of "
            f"{limits.max_file_bytes / MiB:.0f} MB: please send a smaller file or split it"
        )


def open_zip(data: bytes, filename: str, limits: ParseLimits) -> zipfile.ZipFile:
    """An Office file's zip, refused before anything is unpacked when its declared sizes are
    too large or compress too well (a zip bomb), or when it is not a zip at all."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ParseError(
            f"{filename} is damaged or is not really a {filename.rsplit('.', 1)[-1]} file: "
            "please open it, save it again and resend it (or send it as PDF)"
        ) from None
    total = sum(info.file_size for info in archive.infolist())
    packed = max(1, sum(info.compress_size for info in archive.infolist()))
    if total > limits.max_unzipped_bytes or total / packed > limits.max_zip_ratio:
        raise ParseError(
            f"{filename} unpacks to {total / MiB:.0f} MB ({total / packed:.0f}× its size), "
            "which no real form does: it was refused as unsafe; please send the form again"
        )
    for info in archive.infolist():
        if info.flag_bits & 0x1:
            raise ParseError(f"{filename} is password-protected: please send it without a password")
    return archive
