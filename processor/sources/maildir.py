"""A local Maildir inbox (the embedded default): unseen messages are processed, then marked
seen (and flagged when quarantined) by renaming, as a mail client would, never rewritten."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from processor.pipeline import Incoming, Outcome
from processor.sources import Done

INFO = ":2,"


class MaildirSource:
    def __init__(self, name: str, path: Path) -> None:
        self.name = f"maildir:{name}"
        self.path = path

    def items(self) -> Iterator[tuple[Incoming, Done]]:
        for path in self._messages():
            key, flags = split_name(path.name)
            if "S" in flags:
                continue
            item = Incoming(self.name, key, f"{key}.eml", path.read_bytes())
            yield item, lambda outcome, path=path: self.settle(path, outcome)

    def _messages(self) -> list[Path]:
        found = []
        for sub in ("new", "cur"):
            folder = self.path / sub
            if folder.is_dir():
                found.extend(
                    p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
                )
        return sorted(found, key=lambda p: p.name)

    def settle(self, path: Path, outcome: Outcome) -> None:
        key, flags = split_name(path.name)
        flags |= {"S"} | ({"F"} if outcome.status == "quarantined" else set())
        target = self.path / "cur" / f"{key}{INFO}{''.join(sorted(flags))}"
        os.replace(path, target)


def split_name(name: str) -> tuple[str, set[str]]:
    key, _, info = name.partition(INFO)
    return key, set(info)
