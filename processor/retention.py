"""Retention (seed 000: records are kept 5 years): cases closed before the cutoff are exported
— each case with its events, documents, mails and return lines as one JSON line, and the
original files beside them — then purged from the store and the archive, and the purge is
written to the audit log."""

from __future__ import annotations

import contextlib
import getpass
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select

from processor.archive import read_original
from processor.desk import Desk
from processor.store.models import (
    AuditEntry,
    Case,
    CaseEvent,
    Document,
    Original,
    OutboxMessage,
    ReturnLine,
    ReturnRequest,
    utcnow,
)


@dataclass
class Purge:
    cases: int
    documents: int
    export: Path | None


def cutoff_for(years: int, now: datetime | None = None) -> datetime:
    now = now or utcnow()
    return now - timedelta(days=round(365.25 * years))


def _plain(value):  # noqa: ANN001, ANN202
    return value.isoformat() if isinstance(value, datetime) else value


def _row(model) -> dict:  # noqa: ANN001
    return {
        column.key: _plain(getattr(model, column.key))
        for column in model.__table__.columns
        if column.key != "raw"
    }


def purge(
    desk: Desk,
    *,
    years: int,
    export_dir: Path | None,
    dry_run: bool = False,
    now: datetime | None = None,
    actor: str | None = None,
) -> Purge:
    cutoff = cutoff_for(years, now)
    with desk.store.transaction() as session:
        cases = session.scalars(
            select(Case).where(Case.status == "closed", Case.closed_at < cutoff)
        ).all()
        case_ids = [case.id for case in cases]
        documents = (
            session.scalars(select(Document).where(Document.case_id.in_(case_ids))).all()
            if case_ids
            else []
        )
        if dry_run or not cases:
            return Purge(len(cases), len(documents), None)
        target = None
        if export_dir is not None:
            target = export_dir / f"retention-{utcnow():%Y%m%d-%H%M%S}"
            (target / "originals").mkdir(parents=True)
            with (target / "cases.jsonl").open("w", encoding="utf-8") as out:
                for case in cases:
                    requests = session.scalars(
                        select(ReturnRequest).where(ReturnRequest.case_id == case.id)
                    ).all()
                    record = {
                        "case": _row(case),
                        "events": [_row(event) for event in case.events],
                        "documents": [_row(d) for d in documents if d.case_id == case.id],
                        "mails": [
                            _row(m)
                            for m in session.scalars(
                                select(OutboxMessage).where(OutboxMessage.case_id == case.id)
                            )
                        ],
                        "returns": [
                            {**_row(r), "lines": [_row(line) for line in r.lines]} for r in requests
                        ],
                    }
                    out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            for document in documents:
                with contextlib.suppress(FileNotFoundError):  # an original already gone stays gone
                    data = read_original(desk.config.archive_dir, session, document)
                    (
                        target / "originals" / f"{document.id}-{Path(document.filename).name}"
                    ).write_bytes(data)
        request_ids = [
            r.id
            for r in session.scalars(
                select(ReturnRequest).where(ReturnRequest.case_id.in_(case_ids))
            )
        ]
        session.execute(delete(ReturnLine).where(ReturnLine.request_id.in_(request_ids)))
        session.execute(delete(ReturnRequest).where(ReturnRequest.id.in_(request_ids)))
        session.execute(delete(CaseEvent).where(CaseEvent.case_id.in_(case_ids)))
        session.execute(delete(OutboxMessage).where(OutboxMessage.case_id.in_(case_ids)))
        archived = [document.archive_path for document in documents]
        session.execute(delete(Original).where(Original.sha256.in_([d.sha256 for d in documents])))
        session.execute(delete(Document).where(Document.id.in_([d.id for d in documents])))
        session.execute(delete(Case).where(Case.id.in_(case_ids)))
        session.add(
            AuditEntry(
                actor=actor or getpass.getuser(),
                action="retention_purge",
                detail={
                    "cutoff": cutoff.isoformat(),
                    "years": years,
                    "cases": [c.case_no for c in cases],
                    "documents": len(documents),
                    "export": str(target) if target else None,
                },
            )
        )
    for path in archived:  # after the commit: a failure above leaves the originals in place
        (desk.config.archive_dir / path).unlink(missing_ok=True)
    return Purge(len(case_ids), len(documents), target)
