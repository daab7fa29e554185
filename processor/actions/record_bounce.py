"""`record_bounce`: a bounce (DSN) of one of our mails marks its outbox row and flags its case."""

from __future__ import annotations

from processor.actions import Action
from processor.actions.step import Step
from processor.delivery import record_bounce


def handle(step: Step, action: Action) -> None:
    step.outcome.reason = record_bounce(step.desk, step.session, step.doc)
