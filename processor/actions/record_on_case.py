"""`record_on_case`: a mail about a known case. Staff commands from staff, the customer's
words otherwise; from anyone who is no party of the case, a new case of its own, linked to the
quoted one for staff (the plan is made again for it)."""

from __future__ import annotations

from outputs import reasons
from processor import staff, trust
from processor.actions import Action
from processor.actions.step import Step
from processor.cases import find_case, record, record_reply
from processor.examining import Examined, planned
from processor.rules.engine import decide
from processor.store.models import Case
from vocabulary import ActionType, DocumentStatus, Kind


def handle(step: Step, action: Action) -> list[Action] | None:
    session, desk, doc, row, outcome = step.session, step.desk, step.doc, step.row, step.outcome
    case = find_case(session, doc.case_ref)
    if case is None:
        row.status = DocumentStatus.QUARANTINED
        row.reason = reasons.because(reasons.reason("quarantine.unknown_case", case=doc.case_ref))
        outcome.status, outcome.coded_reason = DocumentStatus.QUARANTINED, row.reason
        outcome.reason = (
            f"refers to case {doc.case_ref}, which this desk does not know: staff should check it"
        )
        return None
    if not trust.is_party(session, desk, case, doc):
        return as_new_case(step, case)
    if trust.is_staff(desk, doc) and (doc.kind == "reply" or staff.commands_in(doc.text)):
        outcome.reason = staff.act(session, desk, case, doc, actor=step.actor, document_id=row.id)
    elif doc.kind == Kind.INSPECTION:
        record(
            session,
            desk,
            case,
            "inspection",
            step.actor,
            document_id=row.id,
            verdict=doc.value("verdict"),
            responsibility=doc.value("responsibility"),
        )
        outcome.reason = f"inspection verdict recorded: {doc.value('verdict')}"
    else:
        outcome.reason = record_reply(
            session, desk, case, doc, actor=step.actor, document_id=row.id
        )
    row.case_id, row.status = case.id, DocumentStatus.PROCESSED
    outcome.case_no, outcome.status = case.case_no, DocumentStatus.RECORDED
    return None


def as_new_case(step: Step, quoted: Case) -> list[Action]:
    """A mail quoting a case from someone who is no party of it acts on nothing there: it is a
    new complaint of its own. Its acknowledgement names only the new case."""
    doc = step.doc
    doc.kind, doc.case_ref = Kind.COMPLAINT, None
    doc.meta["references"] = []  # our ids there carry the quoted case's number
    if doc.value("description") is None and doc.text:
        doc.put("description", doc.text[:2000], "body", 0.5)
    decision = decide(doc, step.desk.rules, step.desk.calendar, step.examined.received)
    step.examined = Examined(
        doc, decision, planned(doc, decision, step.desk), step.examined.received
    )
    return [*step.examined.actions, Action(ActionType.LINK_CASE, None, {"case": quoted.case_no})]
