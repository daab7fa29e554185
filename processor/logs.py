"""The worker's log: one line per record, whatever a file name or a mail header contains."""

from __future__ import annotations

import logging
import sys

from parsers.normalise import CONTROL


def escape_controls(text: str) -> str:
    r"""`a\nb` → `a\\nb`: control characters shown as escapes, so one record stays one line."""
    return CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)


class OneLineFormatter(logging.Formatter):
    """Escapes control characters in the message (its arguments come from outside: file names,
    subjects); a traceback, which is ours, is appended below as usual."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        return escape_controls(super().formatMessage(record))


FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(level: int) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLineFormatter(FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
