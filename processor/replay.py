"""`aftersales rules replay NEW_RULES.toml`: how a changed rule file would judge the archived
originals that opened cases, against the rule file in use — so staff can widen the lexicon
without fear. It reads the store and the archive; it changes nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from processor.archive import read_original
from processor.config import clock
from processor.desk import Desk
from processor.examining import examine
from processor.rules.engine import Decision, RuleSet, working_calendar
from processor.store.models import Case, Document

COMPARED = ("kind", "level", "category", "business_line", "owner")


@dataclass
class Change:
    case_no: str
    filename: str
    changes: dict[str, tuple[Any, Any]]  # fact → (now, with the new rules)
    why: list[str]  # the new rule file's fired rules behind the changed facts

    def as_json(self) -> dict[str, Any]:
        return {
            "case": self.case_no,
            "file": self.filename,
            "changes": {
                fact: {"now": old, "new": new} for fact, (old, new) in self.changes.items()
            },
            "why": self.why,
        }


def replay(desk: Desk, new_rules: RuleSet, since: datetime | None = None) -> Iterator[Change]:
    """Each case whose kind, level, category, line or owner the new rules would decide
    otherwise, judged on the document that opened it."""
    office = desk.config.office
    calendar = working_calendar(new_rules, clock(office.opens), clock(office.closes))
    trial = dataclasses.replace(desk, rules=new_rules, calendar=calendar)
    with desk.store.transaction() as session:
        first = (
            select(func.min(Document.id))
            .where(Document.case_id.is_not(None))
            .group_by(Document.case_id)
        )
        query = (
            select(Document, Case)
            .join(Case, Case.id == Document.case_id)
            .where(Document.id.in_(first))
        )
        if since is not None:
            query = query.where(Document.received_at >= since)
        rows = [
            (document.id, case.case_no, document.filename)
            for document, case in session.execute(query.order_by(Document.id)).all()
        ]
    for document_id, case_no, filename in rows:
        with (
            desk.store.transaction() as session
        ):  # closed before judging: examine reads the store too
            data = read_original(
                desk.config.archive_dir, session, session.get(Document, document_id)
            )
        now, new = examine(data, filename, desk), examine(data, filename, trial)
        changes = {
            fact: (facts(now)[fact], facts(new)[fact])
            for fact in COMPARED
            if facts(now)[fact] != facts(new)[fact]
        }
        if changes:
            yield Change(case_no, filename, changes, reasons(new.decision, changes))


def facts(examined: Any) -> dict[str, Any]:  # noqa: ANN401 - examining.Examined
    decision = examined.decision
    return {
        "kind": examined.doc.kind,
        "level": decision.level,
        "category": decision.category,
        "business_line": decision.business_line,
        "owner": decision.owner,
    }


def reasons(decision: Decision, changes: dict[str, tuple[Any, Any]]) -> list[str]:
    wanted = {"owner": "routing"}.get
    prefixes = tuple(wanted(fact, fact) for fact in changes)
    return [
        f"{fired['rule']}: {fired['why']}"
        for fired in decision.fired
        if fired["rule"].startswith(prefixes)
    ]
