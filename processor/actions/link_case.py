"""`link_case`: a new case whose document quoted a case its sender is no party of. Both cases
say so: the quoted one that a stranger wrote about it (for staff), the new one which case it
quoted. The sender learns nothing of the quoted case."""

from __future__ import annotations

from processor.actions import Action
from processor.actions.step import Step
from processor.cases import find_case, record


def handle(step: Step, action: Action) -> None:
    quoted = find_case(step.session, action.detail["case"])
    if quoted is None or step.case is None:
        return
    session, desk, row, new = step.session, step.desk, step.row, step.case
    record(
        session,
        desk,
        quoted,
        "foreign_mail",
        step.actor,
        document_id=row.id,
        linked_case=new.case_no,
        why="a mail quoting this case from someone who is no party of it: not acted on here",
    )
    record(
        session,
        desk,
        new,
        "linked",
        "desk",
        document_id=row.id,
        quoted_case=quoted.case_no,
        why="the sender quoted this case but is no party of it",
    )
    step.outcome.reason = f"{step.actor} is no party of {quoted.case_no}: new case {new.case_no}, linked to it for staff"
