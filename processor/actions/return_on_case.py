"""`return_on_case`: a return sheet that names a case goes on that case when its sender is a
party of it; the rest of the plan (a new case) is then not needed. From anyone else it acts on
nothing there: the plan goes on, a new case linked to the named one (link_case.py)."""

from __future__ import annotations

from processor import trust
from processor.actions import Action
from processor.actions.return_slip import open_request
from processor.actions.step import Step
from processor.cases import find_case, record
from vocabulary import DocumentStatus


def handle(step: Step, action: Action) -> list[Action] | None:
    session, doc, row = step.session, step.doc, step.row
    quoted = find_case(session, action.detail["case"])
    if quoted is None or not trust.is_party(session, step.desk, quoted, doc):
        return None
    record(
        session, step.desk, quoted, "return_sheet", step.actor, document_id=row.id, file=doc.file
    )
    row.case_id, row.status = quoted.id, DocumentStatus.PROCESSED
    step.case = quoted
    step.outcome.reason = open_request(
        step.desk, session, quoted, doc, step.item.source, row.id, step.examined.received
    )
    step.outcome.case_no = quoted.case_no
    return []  # settled: nothing else of the plan applies
