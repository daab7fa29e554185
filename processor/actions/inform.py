"""`inform`: a role the rules say should know of the case. They are copied on the owner's
notice (notify_owner.py), so this step has nothing of its own to do."""

from __future__ import annotations

from processor.actions import Action
from processor.actions.step import Step


def handle(step: Step, action: Action) -> None:
    return None
