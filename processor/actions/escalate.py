"""`escalate`: a major complaint. Its addressee is copied on the owner's notice
(notify_owner.py); the case's timeline says it was escalated, and to whom."""

from __future__ import annotations

from processor.actions import Action
from processor.actions.step import Step
from processor.cases import record


def handle(step: Step, action: Action) -> None:
    record(
        step.session, step.desk, step.case, "escalated", "desk", to=action.to, why="major complaint"
    )
