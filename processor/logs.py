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
OWN = (
    "processor",
    "parsers",
    "outputs",
)  # our loggers; the libraries' (alembic, procrastinate …) say only warnings


def configure(level: int, *, libraries: bool = False) -> None:
    """Our records from `level` on; the libraries' from WARNING, unless `libraries` (--verbose)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLineFormatter(FORMAT))
    logging.basicConfig(
        level=level if libraries else max(level, logging.WARNING), handlers=[handler], force=True
    )
    for name in OWN:
        logging.getLogger(name).setLevel(level)


class ConsoleHandler(logging.Handler):
    """Log records printed through a rich console, so that they scroll above its progress bar
    instead of running into it."""

    def __init__(self, console) -> None:  # noqa: ANN001 - a rich Console (imported by the caller)
        super().__init__()
        self.console = console
        self.setFormatter(OneLineFormatter(FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.console.print(self.format(record), markup=False, highlight=False, soft_wrap=True)
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)
