"""The action types and their handlers, in one table: the pipeline runs a document's plan
(processor/actions/__init__.py `plan`) through it, one handler per action, in the plan's order.

A handler is `handle(step, action)`. It returns None to go on with the plan, or the actions to
take instead of the rest of it: `[]` when the document is settled (a return sheet put on the
case it names), a new plan when it turned out to be something else (a stranger's mail quoting
a case becomes a new case of its own). A new action type is one module here and one line below,
and the line in `plan` that decides it."""

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

Handler = Callable[[Step, Action], "list[Action] | None"]

HANDLERS: dict[str, Handler] = {
    "quarantine": quarantine.handle,  # kept aside with its reason, for staff
    "notify_sender": notify_sender.handle,  # the sender of what was quarantined is told why
    "record": record.handle,  # a robot's mail or our own come back: kept, never answered
    "record_bounce": record_bounce.handle,  # a bounce marks the mail it bounces
    "record_on_case": record_on_case.handle,  # a reply, a callback, a command on a known case
    "return_on_case": return_on_case.handle,  # a return sheet on the case it names, from a party
    "open_case": open_case.handle,  # a new case with the rules' decision
    "acknowledge": acknowledge.handle,  # the customer's acknowledgement
    "return_slip": return_slip.handle,  # a return sheet's request, lines decided, the slip
    "notify_owner": notify_owner.handle,  # the owner's notice
    "inform": inform.handle,  # roles copied on the owner's notice
    "escalate": escalate.handle,  # a major complaint, escalated
    "link_case": link_case.handle,  # a new case linked to the one its sender quoted
    "apply_inspection": apply_inspection.handle,  # the quality department's verdict decides lines
    "file_for_staff": file_for_staff.handle,  # no case: kept for staff, who are told
}


def act(step: Step, actions: list[Action]) -> None:
    """Run the plan through the handlers."""
    for action in actions:
        instead = HANDLERS[action.type](step, action)
        if instead is not None:
            act(step, instead)
            return
