"""`notify_owner`: the owner's notice, in the desk's language, with what the rules were unsure
of, the fields OCR could not vouch for and the return lines held for staff; the roles to
inform and the escalation's addressee are copied."""

from __future__ import annotations

from outputs import compose
from processor import ladders, outbox, returns
from processor.actions import Action
from processor.actions.step import Step
from processor.cases import record
from processor.examining import unverified
from vocabulary import ActionType


def handle(step: Step, action: Action) -> None:
    desk, session, case, doc = step.desk, step.session, step.case, step.doc
    decision, planned = step.examined.decision, step.examined.actions
    escalate = any(other.type == ActionType.ESCALATE for other in planned)
    # each address once, and never the owner's own (a major complaint's owner is the GM it escalates to)
    cc = list(
        dict.fromkeys(
            other.to.lower()
            for other in planned
            if other.type in (ActionType.INFORM, ActionType.ESCALATE)
            and other.to
            and other.to.lower() != action.to.lower()
        )
    )
    language = desk.config.desk.default_language
    # only a plan that opened a return request has lines held: no query (and no flush of the
    # case's rows before their commit) for every other case
    opened_request = any(other.type == ActionType.RETURN_SLIP for other in planned)
    message = compose.owner_notice(
        desk.sender,
        to=action.to,
        owner=ladders.name_of(desk, decision.owner, desk.config.desk.default_language),
        case_no=case.case_no,
        kind=doc.kind,
        fields=doc.field_values,
        category=decision.category,
        level=decision.level,
        business_line=decision.business_line,
        origin=case.sender,
        deadlines=[d.as_json() for d in decision.deadlines],
        escalate=escalate,
        cc=cc,
        uncertain=decision.uncertain,
        why=decision.explain_uncertain(),
        unverified=unverified(doc),
        held=returns.held_rows(session, case, language) if opened_request else [],
        language=language,
        rule_labels=desk.rules.labels(),
    )
    outbox.queue(session, message, "owner_notice", case_id=case.id)
    record(
        session,
        desk,
        case,
        "assigned",
        "desk",
        status="assigned",
        owner=decision.owner,
        to=action.to,
        cc=cc,
    )
