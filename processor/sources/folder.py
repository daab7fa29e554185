"""A shared folder: files dropped into it are processed, then moved to `processed/`, or to
`quarantine/` beside a `.reason.txt` that says what is wrong and what to do."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from processor.pipeline import Incoming, Outcome
from processor.sources import Done

SETTLE_SECONDS = 1.0  # a file still being copied in changes; wait until it has settled
IGNORED_SUFFIXES = (".reason.txt", ".tmp", ".part", ".crdownload")


class FolderSource:
    def __init__(self, name: str, incoming: Path, processed: Path, quarantine: Path, max_bytes: int) -> None:
        self.name = f"folder:{name}"
        self.incoming, self.processed, self.quarantine = incoming, processed, quarantine
        self.max_bytes = max_bytes

    def items(self) -> Iterator[tuple[Incoming, Done]]:
        for path in sorted(self.incoming.iterdir()):
            if not self._wanted(path):
                continue
            if path.stat().st_size > self.max_bytes:
                reason = f"{path.name} is larger than the limit of {self.max_bytes // (1024 * 1024)} MB"
                self._move(path, self.quarantine, reason)
                continue
            item = Incoming(self.name, str(path), path.name, path.read_bytes())
            yield item, lambda outcome, path=path: self.settle(path, outcome)

    def _wanted(self, path: Path) -> bool:
        return (
            path.is_file()
            and not path.is_symlink()
            and not path.name.startswith((".", "~$"))
            and not path.name.endswith(IGNORED_SUFFIXES)
            and time.time() - path.stat().st_mtime >= SETTLE_SECONDS
        )

    def settle(self, path: Path, outcome: Outcome) -> None:
        if outcome.status == "quarantined":
            self._move(path, self.quarantine, outcome.reason or "could not be processed")
        else:
            self._move(path, self.processed, None)

    def quarantine_copy(self, filename: str, data: bytes, reason: str) -> Path:
        """A file already moved to `processed/` (shared workers decide later) put into
        quarantine after all, from the archive's copy."""
        staging = self.quarantine.parent / f".{self.quarantine.name}-staging"
        staging.mkdir(parents=True, exist_ok=True)
        path = staging / Path(filename).name
        path.write_bytes(data)
        return self._move(path, self.quarantine, reason)

    @staticmethod
    def _move(path: Path, folder: Path, reason: str | None) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / path.name
        counter = 1
        while target.exists():  # never overwrite an earlier file of the same name
            target = folder / f"{path.stem}.{counter}{path.suffix}"
            counter += 1
        shutil.move(str(path), target)
        if reason:
            target.with_name(target.name + ".reason.txt").write_text(
                f"{target.name}\n\nWhy it is here:\n{reason}\n\n"
                "What to do: fix the file as described and drop it into the shared folder again.\n"
                "The original is kept in the archive either way.\n",
                encoding="utf-8",
            )
        return target
