"""The action types and their handlers, in one table: the pipeline runs a document's plan
(processor/actions/__init__.py `plan`) through it, one handler per action, in the plan's order.

A handler is `handle(step, action)`. It returns None to go on with the plan, or the actions to
take instead of the rest of it: `[]` when the document is settled (a return sheet put on the
case it names), a new plan when it turned out to be something else (a stranger's mail quoting
a case becomes a new case of its own). A new action type is one module here, one line below,
its name in `vocabulary.ActionType` and the line in `plan` that decides when it is taken."""

from __future__ import annotations

from collections.abc import Callable

from processor.actions import (
    Action,
    acknowledge,
    apply_inspection,
    escalate,
    file_for_staff,
    inform,
    link_case,
    notify_owner,
    notify_sender,
    open_case,
    quarantine,
    record,
    record_bounce,
    record_on_case,
    return_on_case,
    return_slip,
)
from processor.actions.step import Step
from vocabulary import ActionType

Handler = Callable[[Step, Action], "list[Action] | None"]

HANDLERS: dict[ActionType, Handler] = {
    ActionType.QUARANTINE: quarantine.handle,  # kept aside with its reason, for staff
    ActionType.NOTIFY_SENDER: notify_sender.handle,  # the sender of what was quarantined is told why
    ActionType.RECORD: record.handle,  # a robot's mail or our own come back: kept, never answered
    ActionType.RECORD_BOUNCE: record_bounce.handle,  # a bounce marks the mail it bounces
    ActionType.RECORD_ON_CASE: record_on_case.handle,  # a reply, a callback, a command on a known case
    ActionType.RETURN_ON_CASE: return_on_case.handle,  # a return sheet on the case it names, from a party
    ActionType.OPEN_CASE: open_case.handle,  # a new case with the rules' decision
    ActionType.ACKNOWLEDGE: acknowledge.handle,  # the customer's acknowledgement
    ActionType.RETURN_SLIP: return_slip.handle,  # a return sheet's request, lines decided, the slip
    ActionType.NOTIFY_OWNER: notify_owner.handle,  # the owner's notice
    ActionType.INFORM: inform.handle,  # roles copied on the owner's notice
    ActionType.ESCALATE: escalate.handle,  # a major complaint, escalated
    ActionType.LINK_CASE: link_case.handle,  # a new case linked to the one its sender quoted
    ActionType.APPLY_INSPECTION: apply_inspection.handle,  # the quality department's verdict decides lines
    ActionType.FILE_FOR_STAFF: file_for_staff.handle,  # no case: kept for staff, who are told
}


def act(step: Step, actions: list[Action]) -> None:
    """Run the plan through the handlers."""
    for action in actions:
        instead = HANDLERS[action.type](step, action)
        if instead is not None:
            act(step, instead)
            return
