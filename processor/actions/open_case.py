"""`open_case`: a new case for the document, numbered, with the rules' decision and deadlines."""

from __future__ import annotations

from processor.actions import Action
from processor.actions.step import Step
from processor.cases import open_case
from processor.config import Config
from vocabulary import DocumentStatus


def handle(step: Step, action: Action) -> None:
    desk, doc, decision, outcome = step.desk, step.doc, step.examined.decision, step.outcome
    case = open_case(
        step.session,
        desk,
        doc,
        decision,
        received=step.examined.received,
        document_id=step.row.id,
        actor=step.actor,
        channel=channel_of(step.item.source, desk.config),
    )
    step.case = case
    step.row.case_id, step.row.status = case.id, DocumentStatus.PROCESSED
    outcome.case_no, outcome.category, outcome.level = case.case_no, case.category, case.level
    outcome.owner, outcome.kind = case.owner, doc.kind
    outcome.next_deadline = (
        decision.deadlines[0].due.isoformat(timespec="minutes") if decision.deadlines else None
    )


def channel_of(source: str, config: Config | None = None) -> str:
    """How an item came in, for the rules and the reports: by mail, dropped into a shared
    folder, or what that folder's `channel` says it holds (the manufacturer's DN work orders)."""
    kind, _, name = source.partition(":")
    folder = next(
        (folder for folder in (config.folders if config else []) if folder.name == name), None
    )
    if kind == "folder" and folder is not None and folder.channel:
        return folder.channel
    return {"imap": "mail", "maildir": "mail", "folder": "shared folder"}.get(kind, "other")
