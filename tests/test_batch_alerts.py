"""Batch alerts: complaints naming the same batch (or product and model) reaching the rule
file's threshold within its window reach the quality department in one mail, linked."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from processor.store.models import BatchAlert, Case
from tests.test_lifecycle import at, mail, outbox, receive, text_of


def complaint(desk, moment: str, who: str, batch: str = "B20261101") -> str:
    at(desk, moment)
    body = (
        f"投诉人：{who}\n联系电话：13800138000\n产品名称：机油\n生产批号：{batch}\n"
        f"投诉内容：机油里有杂质，发动机异响，要求退货。\n"
    )
    return receive(
        desk,
        mail(f"投诉：机油杂质 {who}", body, sender=f"{abs(hash(who))}@example.test"),
        f"{who}.eml",
    ).case_no


def cases_by_no(desk) -> dict[str, Case]:
    with desk.store.transaction() as session:
        found = {case.case_no: case for case in session.scalars(select(Case)).all()}
        for case in found.values():
            case.events  # noqa: B018 - loaded while the session is open
        return found


@pytest.mark.slow  # many mails through the pipeline
def test_three_complaints_on_one_batch_in_a_week_alert_quality_once_and_later_ones_join(desk):
    first = complaint(desk, "2026-11-16T09:00", "王一")
    complaint(desk, "2026-11-17T09:00", "李二", batch="B99999")  # another batch: not counted
    second = complaint(desk, "2026-11-18T09:00", "张三")
    assert outbox(desk, "batch_alert") == []
    third = complaint(desk, "2026-11-20T16:00", "赵四")
    (alert,) = outbox(desk, "batch_alert")
    assert alert["To"] == "quality@desk.localhost"
    assert all(
        case_no in text_of(alert) for case_no in (first, second, third)
    ) and "B20261101" in text_of(alert)
    cases = cases_by_no(desk)
    linked = {no for no, case in cases.items() if case.batch_alert_id}
    assert linked == {first, second, third}
    assert all(any(e.type == "batch_alert" for e in cases[no].events) for no in linked)
    # a later case on that batch joins the alert (a month later too), with one short mail
    fourth = complaint(desk, "2026-12-20T10:00", "钱五")
    assert cases_by_no(desk)[fourth].batch_alert_id == cases[first].batch_alert_id
    assert len(outbox(desk, "batch_alert")) == 2 and fourth in text_of(
        outbox(desk, "batch_alert")[-1]
    )
    with desk.store.transaction() as session:
        assert len(session.scalars(select(BatchAlert)).all()) == 1


@pytest.mark.slow  # many mails through the pipeline
def test_complaints_spread_wider_than_the_window_raise_no_alert(desk):
    complaint(desk, "2026-11-02T09:00", "王一")
    complaint(desk, "2026-11-06T09:00", "张三")
    complaint(desk, "2026-11-13T10:00", "赵四")  # the first is 11 days before: two in the window
    assert outbox(desk, "batch_alert") == []
    assert not any(case.batch_alert_id for case in cases_by_no(desk).values())
