"""A shared folder: files dropped into it are processed, then moved to `processed/`, or to
`quarantine/` beside a `.reason.txt` that says what is wrong and what to do.

A file is taken only once it is whole: left unchanged for the settle time, not named as a
download or an editor's temporary file, and — where the platform can tell — open for writing
by no process at all. That last check is a Linux read lease (`F_SETLEASE`), which the kernel
grants only while no one has the file open for writing; it is held while the file is read, so
a writer that opens it meanwhile is noticed too. It covers a writer pausing longer than the
settle time, which no look at size and time can. Where no lease can be had (not the file's
owner and no CAP_LEASE, a network file system, another OS) the settle time alone decides.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

from outputs import reasons
from outputs.i18n import gettext
from processor.pipeline import Incoming, Outcome
from processor.sources import Done

log = logging.getLogger(__name__)

SETTLE_SECONDS = 1.0  # a file still being copied in changes; wait until it has settled
IGNORED_PREFIXES = (".", "~$")  # hidden files, Office's lock files
IGNORED_SUFFIXES = (".reason.txt", ".tmp", ".part", ".partial", ".crdownload", ".download", "~")
NAME_BYTES = 255  # what a file name may take on every common file system
REASON = ".reason.txt"


def reason_file(filename: str, reason: str, language: str, coded: str | None = None) -> str:
    """The `.reason.txt` beside a quarantined file, in the desk's language: what happened, why
    (the coded reason worded by the catalog, its technical detail on a line of its own; else
    the reason as kept), its codes, what to do."""
    why = reasons.reason_text(coded, language) if reasons.parsed(coded) else reason
    lines = [
        filename,
        "",
        gettext(language, "reason_file.heading"),
        "",
        gettext(language, "reason_file.why", reason=why),
    ]
    lines += [
        gettext(language, "reason.detail", detail=detail) for detail in reasons.details(coded)
    ]
    if codes := reasons.codes(coded):
        lines.append(gettext(language, "reason_file.code", code=", ".join(codes)))
    return "\n".join([*lines, "", gettext(language, "reason_file.todo"), ""])


class FolderSource:
    def __init__(
        self,
        name: str,
        incoming: Path,
        processed: Path,
        quarantine: Path,
        max_bytes: int,
        max_message_bytes: int | None = None,
        language: str = "zh-Hans",
    ) -> None:
        self.name = f"folder:{name}"
        self.incoming, self.processed, self.quarantine = incoming, processed, quarantine
        self.max_bytes = max_bytes
        self.max_message_bytes = max_message_bytes or max_bytes  # a mail saved as .eml is a message
        self.language = language  # the desk's: the .reason.txt files are written in it

    def items(self) -> Iterator[tuple[Incoming, Done]]:
        for path in sorted(self.incoming.iterdir()):
            if not self._wanted(path):
                continue
            limit = self.max_message_bytes if path.suffix.lower() == ".eml" else self.max_bytes
            if path.stat().st_size > limit:
                size, most = (
                    f"{path.stat().st_size / (1024 * 1024):.1f}",
                    f"{limit // (1024 * 1024)}",
                )
                self._move(
                    path,
                    self.quarantine,
                    f"{path.name}: {size} MB > {most} MB",
                    self.language,
                    reasons.because(
                        reasons.reason(
                            "reason.file_too_large", file=path.name, size=size, limit=most
                        )
                    ),
                )
                continue
            try:
                data = read_whole(path)
            except (
                OSError
            ) as exc:  # unreadable (permissions): said each pass, the other files go on
                log.warning("%s: cannot read %s: %s", self.name, path.name, exc)
                continue
            if data is None:
                log.debug("%s: %s is still being written; next pass", self.name, path.name)
                continue
            item = Incoming(self.name, str(path), path.name, data)
            yield item, lambda outcome, path=path: self.settle(path, outcome)

    def _wanted(self, path: Path) -> bool:
        return (
            path.is_file()
            and not path.is_symlink()
            and not path.name.startswith(IGNORED_PREFIXES)
            and not path.name.lower().endswith(IGNORED_SUFFIXES)
            and time.time() - path.stat().st_mtime >= SETTLE_SECONDS
        )

    def settle(self, path: Path, outcome: Outcome) -> None:
        if outcome.status == "quarantined":
            self._move(
                path,
                self.quarantine,
                outcome.reason or "could not be processed",
                self.language,
                outcome.coded_reason,
            )
        else:
            self._move(path, self.processed, None)

    def quarantine_copy(
        self, filename: str, data: bytes, reason: str, coded: str | None = None
    ) -> Path:
        """A file already moved to `processed/` (shared workers decide later) put into
        quarantine after all, from the archive's copy."""
        staging = self.quarantine.parent / f".{self.quarantine.name}-staging"
        staging.mkdir(parents=True, exist_ok=True)
        path = staging / fitted(Path(filename).name, 0)
        path.write_bytes(data)
        return self._move(path, self.quarantine, reason, self.language, coded)

    @staticmethod
    def _move(
        path: Path,
        folder: Path,
        reason: str | None,
        language: str = "zh-Hans",
        coded: str | None = None,
    ) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        room = len(REASON.encode()) + len(".9999")  # a .reason.txt and a counter must fit beside it
        name = fitted(path.name, room)
        target = folder / name
        counter = 1
        while target.exists():  # never overwrite an earlier file of the same name
            stem, suffix = split_suffix(name)
            target = folder / f"{stem}.{counter}{suffix}"
            counter += 1
        shutil.move(str(path), target)
        if reason:
            target.with_name(target.name + REASON).write_text(
                reason_file(path.name, reason, language, coded), encoding="utf-8"
            )
        return target


def read_whole(path: Path) -> bytes | None:
    """The file's bytes, or None while a process has it open for writing (see the module's
    docstring) or it changed while it was read."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        before = os.fstat(fd)
        leased = take_read_lease(fd)
        if leased is False:
            return None
        with os.fdopen(os.dup(fd), "rb") as file:
            data = file.read()
        after = os.fstat(fd)
        if leased and fcntl.fcntl(fd, fcntl.F_GETLEASE) != fcntl.F_RDLCK:
            return None  # a writer opened it while we read: its lease is being broken
        if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or len(
            data
        ) != after.st_size:
            return None
        return data
    finally:
        os.close(fd)  # closing the descriptor drops the lease


def take_read_lease(fd: int) -> bool | None:
    """True: leased, no writer. False: some process has it open for writing. None: the
    platform cannot tell. A writer opening it later breaks the lease with a signal that does
    nothing (SIGURG: ignored by default) instead of SIGIO, which would end the worker."""
    if not hasattr(fcntl, "F_SETLEASE"):
        return None
    try:
        fcntl.fcntl(fd, fcntl.F_SETSIG, signal.SIGURG)
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
    except OSError as exc:
        return (
            False if exc.errno == errno.EAGAIN else None
        )  # EACCES: not our file; EINVAL: no leases here
    return True


def split_suffix(name: str) -> tuple[str, str]:
    """`report.final.docx` → (`report.final`, `.docx`); a long "suffix" is part of the name."""
    stem, dot, suffix = name.rpartition(".")
    return (stem, dot + suffix) if stem and len(suffix) <= 16 else (name, "")


def fitted(name: str, room: int) -> str:
    """`name` cut (in the middle of its stem, on a character boundary) so that it and `room`
    more bytes fit in a file name."""
    if len(name.encode()) + room <= NAME_BYTES:
        return name
    stem, suffix = split_suffix(name)
    budget = NAME_BYTES - room - len(suffix.encode()) - len("…".encode())
    cut = stem.encode()[:budget].decode("utf-8", "ignore")
    return f"{cut}…{suffix}"
