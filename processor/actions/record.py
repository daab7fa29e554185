"""`record`: kept, never answered (a robot's mail, our own come back)."""

from __future__ import annotations

from processor.actions import Action
from processor.actions.step import Step


def handle(step: Step, action: Action) -> None:
    step.recorded()
    step.outcome.reason = action.detail.get("note")
