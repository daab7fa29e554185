"""What the action handlers share while they act on one registered document: the desk, the
open transaction, the document's row, what was examined, and the outcome being written."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from parsers.model import ParsedDocument
from processor.desk import Desk
from processor.examining import Examined
from processor.store.models import Case, Document
from vocabulary import DocumentStatus

if TYPE_CHECKING:  # the pipeline imports the handlers; these are its types, for annotations only
    from processor.pipeline import Incoming, Outcome


@dataclass
class Step:
    desk: Desk
    session: Session
    row: Document
    examined: Examined
    item: Incoming
    outcome: Outcome
    actor: str  # who the events name: the sender, else the source
    case: Case | None = None  # the case the document is filed on, once a handler opened it

    @property
    def doc(self) -> ParsedDocument:
        return self.examined.doc

    def recorded(self) -> None:
        """Kept without a case of its own (a robot's mail, one filed for staff)."""
        self.row.status = self.outcome.status = DocumentStatus.RECORDED
