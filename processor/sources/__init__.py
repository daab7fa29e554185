"""Where items come from. Each source lists what is new, hands each item to the pipeline and
is told the outcome, so that it can move, flag or forget the item."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

from processor.pipeline import Incoming, Outcome

Done = Callable[[Outcome], None]


class Source(Protocol):
    name: str

    def items(self) -> Iterator[tuple[Incoming, Done]]:
        """New items with a callback that settles each one after it was processed."""
        ...
