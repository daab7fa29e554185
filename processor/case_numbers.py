"""Case numbers per seed 003: year, month and a sequence that restarts each month
(default `CS-YYMM-NNNN`). One atomic upsert per number, in the same transaction as the case,
so numbers are never repeated and — since a rolled-back case rolls its number back — never
skipped, also with several writers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from processor.store.models import CaseCounter


def next_case_number(session: Session, when: datetime, pattern: str) -> str:
    return next_number(session, when.strftime("%Y%m"), when, pattern)


def next_number(session: Session, counter: str, when: datetime, pattern: str) -> str:
    """The next number of a monthly series (`counter` names it: `202611` for cases,
    `slip:202611` for return slips)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(CaseCounter)
        .values(period=counter, last_seq=1)
        .on_conflict_do_update(
            index_elements=[CaseCounter.period], set_={"last_seq": CaseCounter.last_seq + 1}
        )
        .returning(CaseCounter.last_seq)
    )
    sequence = session.execute(statement).scalar_one()
    return pattern.format(
        yy=when.strftime("%y"), yyyy=when.strftime("%Y"), mm=when.strftime("%m"), seq=sequence
    )
