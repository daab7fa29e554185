"""The case lifecycle on the embedded default, with the desk's clock set to chosen moments:
deadlines settled by events, the escalation ladder, staff commands by mail, callbacks and
their answers, auto-close and the daily digest."""

from __future__ import annotations

import email
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from processor.jobs import run_jobs
from processor.pipeline import Incoming, process
from processor.store.models import Case, OutboxMessage
from tests.conftest import sample

SHANGHAI = ZoneInfo("Asia/Shanghai")
CUSTOMER = "wang.zhe@example.test"
MANAGER = "service.manager@desk.localhost"
COMPLAINT = ("投诉人：王喆\n联系电话：13800138000\n产品名称：热水器\n"
             "投诉内容：热水器使用一周就漏水，地板泡坏了，要求换货。\n")


def at(desk, moment: str) -> datetime:
    """Set the desk's clock (every deadline and event reads it) and return the moment."""
    when = datetime.fromisoformat(moment).replace(tzinfo=SHANGHAI)
    desk.now = lambda: when
    return when


def mail(subject: str, body: str, sender: str = CUSTOMER, attachment: tuple[str, bytes] | None = None) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "complaints@desk.localhost", subject
    message["Message-ID"] = f"<{abs(hash((subject, body, sender)))}@example.test>"
    message.set_content(body)
    if attachment:
        message.add_attachment(attachment[1], maintype="application", subtype="octet-stream", filename=attachment[0])
    return bytes(message)


def receive(desk, data: bytes, name: str = "m.eml"):
    return process(desk, Incoming("test", name, name, data))


def the_case(desk) -> Case:
    with desk.store.transaction() as session:
        case = session.scalars(select(Case)).one()
        case.events  # noqa: B018 - loaded while the session is open
        return case


def outbox(desk, purpose: str) -> list[email.message.EmailMessage]:
    with desk.store.transaction() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == purpose).order_by(OutboxMessage.id)).all()
        return [email.message_from_bytes(row.raw, policy=policy.default) for row in rows]


def text_of(message) -> str:  # noqa: ANN001
    return message.get_body(("plain",)).get_content()


def deadline(case: Case, step: str) -> dict:
    return next(d for d in case.deadlines if d["step"] == step)


@pytest.fixture
def opened(desk):
    """A product-quality complaint received Monday 16 November 2026, 09:00."""
    at(desk, "2026-11-16T09:00")
    outcome = receive(desk, mail("投诉：热水器漏水", COMPLAINT))
    assert outcome.owner == "服务经理"
    return outcome.case_no


def test_deadlines_are_set_at_receipt_and_supervisor_report_is_done_by_the_notice(desk, opened):
    case = the_case(desk)
    assert deadline(case, "first_contact")["due"] == "2026-11-16T11:00+08:00"
    assert deadline(case, "reply")["due"] == "2026-11-17T09:00+08:00"
    assert deadline(case, "report_to_supervisor")["done"] == "2026-11-16T09:00+08:00"
    assert "done" not in deadline(case, "first_contact")


def test_overdue_step_climbs_the_escalation_ladder_once_per_level(desk, opened):
    assert run_jobs(desk, at(desk, "2026-11-16T10:59"))["escalated"] == 0
    assert run_jobs(desk, at(desk, "2026-11-16T11:01"))["escalated"] == 1
    (first,) = outbox(desk, "overdue")
    assert first["To"] == MANAGER and "首次联系客户" in first["Subject"]
    assert run_jobs(desk, at(desk, "2026-11-16T11:30"))["escalated"] == 0  # nothing twice
    # 4 office hours after 11:00 the service director hears of it, copied to the owner
    assert run_jobs(desk, at(desk, "2026-11-16T15:00"))["escalated"] == 1
    second = outbox(desk, "overdue")[-1]
    assert (second["To"], second["Cc"]) == ("service.director@desk.localhost", MANAGER)
    # the next 4 office hours run over the evening: the general manager at 10:00 on Tuesday,
    # by when the reply and close steps (due 09:00) are overdue too
    assert run_jobs(desk, at(desk, "2026-11-17T09:59"))["escalated"] == 2
    assert run_jobs(desk, at(desk, "2026-11-17T10:00"))["escalated"] == 1
    assert outbox(desk, "overdue")[-1]["To"] == "gm@desk.localhost"
    levels = [(e.detail["step"], e.detail["level"]) for e in the_case(desk).events if e.type == "overdue"]
    assert sorted(levels) == [("close", 0), ("first_contact", 0), ("first_contact", 1), ("first_contact", 2), ("reply", 0)]


def test_staff_commands_by_mail_act_on_the_case_and_are_confirmed(desk, opened):
    at(desk, "2026-11-16T10:00")
    body = ("#status investigating\n#note 已电话联系客户\n#reply 您好，我们明天上门为您更换热水器。\n请保持电话畅通。\n"
            "#frobnicate now\n\n> 原邮件内容\n")
    outcome = receive(desk, mail(f"Re: [{opened}] 新投诉分派给您", body, sender=MANAGER), "staff.eml")
    assert outcome.status == "recorded"
    case = the_case(desk)
    assert case.status == "replied"
    assert [e.type for e in case.events][-3:] == ["status", "note", "staff_reply"]
    assert deadline(case, "first_contact")["done"] == "2026-11-16T10:00+08:00"
    assert deadline(case, "reply")["done"] == "2026-11-16T10:00+08:00"
    assert deadline(case, "callback")["due"] == "2026-11-19T10:00+08:00"  # 3 working days after the reply
    (reply,) = outbox(desk, "case_reply")
    assert reply["To"] == CUSTOMER and opened in reply["Subject"]
    assert "明天上门为您更换热水器" in text_of(reply) and "请保持电话畅通" in text_of(reply)
    assert "原邮件内容" not in text_of(reply)
    (result,) = outbox(desk, "command_result")
    assert result["To"] == MANAGER
    assert "unknown command" in text_of(result) and "#assign" in text_of(result)


def test_commands_from_a_customer_are_never_executed(desk, opened):
    receive(desk, mail(f"Re: [{opened}] 您的投诉已受理", "#close\n#assign 张伟\n怎么还没人联系我？"), "c.eml")
    case = the_case(desk)
    assert case.status == "assigned" and case.owner == "服务经理"
    assert case.events[-1].type == "customer_reply"
    assert outbox(desk, "command_result") == []


def test_assign_category_and_level_commands(desk, opened):
    body = "#assign 张伟\n#category 维修质量类\n#level 重大投诉\n"
    receive(desk, mail(f"Re: [{opened}]", body, sender="service.director@desk.localhost"), "s.eml")
    case = the_case(desk)
    assert (case.owner, case.owner_email, case.category, case.level) == (
        "张伟", "zhang.wei@desk.localhost", "repair_quality", "major")
    assert [m["To"] for m in outbox(desk, "owner_notice")][-1] == "zhang.wei@desk.localhost"
    (escalation,) = outbox(desk, "escalation")
    assert escalation["To"] == "gm@desk.localhost"
    bad = receive(desk, mail(f"Re: [{opened}]", "#assign 无名氏\n#status dreaming", sender=MANAGER), "b.eml")
    assert "not done" in bad.reason and the_case(desk).owner == "张伟"


def test_callback_survey_not_satisfied_reopens_then_satisfied_closes(desk, opened):
    at(desk, "2026-11-16T10:00")
    receive(desk, mail(f"Re: [{opened}]", "#reply 已为您安排更换。", sender=MANAGER), "r1.eml")
    assert run_jobs(desk, at(desk, "2026-11-17T09:59"))["callbacks"] == 0
    assert run_jobs(desk, at(desk, "2026-11-17T10:00"))["callbacks"] == 1
    (survey,) = outbox(desk, "callback")
    assert survey["To"] == CUSTOMER and "满意" in text_of(survey)
    assert the_case(desk).status == "callback"

    at(desk, "2026-11-17T15:00")
    outcome = receive(desk, mail(f"Re: [{opened}] 请问您对处理结果满意吗？", "不满意，换的新机器还是漏水。"), "n.eml")
    assert outcome.reason == "reopened: customer not satisfied"
    case = the_case(desk)
    assert case.status == "reopened"
    assert deadline(case, "rework")["due"] == "2026-11-18T15:00+08:00"  # back to the owner within 24 h
    assert deadline(case, "callback")["done"] == "2026-11-17T15:00+08:00"

    at(desk, "2026-11-18T09:00")
    receive(desk, mail(f"Re: [{opened}]", "#reply 已派技术经理上门检修。", sender=MANAGER), "r2.eml")
    assert deadline(the_case(desk), "rework")["done"] == "2026-11-18T09:00+08:00"
    run_jobs(desk, at(desk, "2026-11-19T09:00"))
    at(desk, "2026-11-19T11:00")
    assert receive(desk, mail(f"Re: [{opened}]", "满意，谢谢。"), "y.eml").reason == "closed: customer satisfied"
    case = the_case(desk)
    assert case.status == "closed" and case.next_deadline_at is None
    assert run_jobs(desk, at(desk, "2026-11-30T09:00"))["escalated"] == 0  # a closed case is never chased


def test_feedback_form_on_a_case_closes_it(desk, opened):
    form = sample("036-feedback-form").read_bytes()
    outcome = receive(desk, mail(f"[{opened}] 服务反馈单", "附件是反馈单。", attachment=("反馈单.docx", form)), "f.eml")
    assert outcome.reason == "closed: customer satisfied"
    assert the_case(desk).status == "closed"


def test_staff_reporting_a_callback_result_without_commands_closes_the_case(desk, opened):
    at(desk, "2026-11-16T16:00")
    receive(desk, mail(f"Re: [{opened}] 请回访客户", "已电话回访，客户表示满意。", sender="care@desk.localhost"), "cb.eml")
    assert the_case(desk).status == "closed"


def test_repair_quality_case_closes_itself_after_three_months_without_a_return_visit(desk):
    at(desk, "2026-08-03T09:00")
    outcome = receive(desk, mail("投诉：维修后还是老毛病", "投诉人：赵敏\n联系电话：13700001234\n"
                                 "投诉内容：空调上门维修后还是老毛病，不制冷。\n"))
    assert outcome.category == "repair_quality"
    at(desk, "2026-08-03T10:00")
    receive(desk, mail(f"Re: [{outcome.case_no}]", "#reply 已安排技术经理复查。", sender=MANAGER), "r.eml")
    run_jobs(desk, at(desk, "2026-08-04T10:00"))  # survey sent: status callback
    assert the_case(desk).status == "callback"
    # 90 days after the last thing a person did (the reply), whatever the desk sent meanwhile
    assert run_jobs(desk, at(desk, "2026-11-01T09:59"))["auto_closed"] == 0
    assert run_jobs(desk, at(desk, "2026-11-01T10:00"))["auto_closed"] == 1
    case = the_case(desk)
    assert case.status == "closed" and case.events[-1].type == "auto_closed"


def test_daily_digest_once_per_owner_per_working_day(desk, opened):
    assert run_jobs(desk, at(desk, "2026-11-17T08:29"))["digests"] == 0  # before digest_at
    assert run_jobs(desk, at(desk, "2026-11-17T08:30"))["digests"] == 1
    assert run_jobs(desk, at(desk, "2026-11-17T12:00"))["digests"] == 0
    (digest,) = outbox(desk, "digest")
    assert digest["To"] == MANAGER
    assert "逾期" in text_of(digest) and opened in text_of(digest)
    assert run_jobs(desk, at(desk, "2026-11-21T09:00"))["digests"] == 0  # Saturday
    assert run_jobs(desk, at(desk, "2026-11-23T09:00"))["digests"] == 1


def test_jobs_skip_nothing_when_the_worker_was_down_for_days(desk, opened):
    done = run_jobs(desk, at(desk, "2026-11-16T09:00") + timedelta(days=10))
    assert done["escalated"] == 3 * 3  # three open steps (first contact, reply, close) × owner, director, GM


def test_with_an_auth_server_set_only_vouched_staff_mail_runs_commands(desk_dir):
    from processor.config import load_config
    from processor.desk import Desk

    config_file = desk_dir / "aftersales.toml"
    text = config_file.read_text(encoding="utf-8")
    config_file.write_text(text.replace('# staff_auth_server = "mx.example.com"', 'staff_auth_server = "mx.desk.localhost"'),
                           encoding="utf-8")
    with Desk.open(load_config(config_file)) as desk:
        at(desk, "2026-11-16T09:00")
        case_no = receive(desk, mail("投诉：热水器漏水", COMPLAINT)).case_no
        forged = mail(f"Re: [{case_no}]", "#close", sender=MANAGER)
        receive(desk, forged, "forged.eml")
        assert the_case(desk).status != "closed"
        vouched = (b"Authentication-Results: mx.desk.localhost; spf=pass smtp.mailfrom=desk.localhost; dkim=pass\r\n"
                   + mail(f"Re: [{case_no}] again", "#close 已处理", sender=MANAGER))
        receive(desk, vouched, "vouched.eml")
        assert the_case(desk).status == "closed"


@pytest.mark.parametrize("change, complaint", [
    (('ladder = ["service_director", "general_manager"]', 'ladder = ["service_director", "ceo"]'), "escalation.ladder: role `ceo`"),
    (('[steps.rework]\ndone_when = ["replied", "closed"]', ''), "step `rework` has no [steps.rework]"),
    (('within = "24 hours"', 'within = "24 moons"'), "24 moons"),
    (('roles = ["customer_care"]', 'roles = ["care_bears"]'), "people (李娜): role `care_bears`"),
])
def test_rules_check_names_the_mistake(tmp_path, change, complaint):
    import subprocess
    import sys

    from tests.conftest import ROOT

    rules = (ROOT / "rules.example.toml").read_text(encoding="utf-8")
    assert change[0] in rules
    target = tmp_path / "rules.toml"
    target.write_text(rules.replace(change[0], change[1]), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "processor", "rules", "check", str(target)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2
    assert complaint in result.stderr


def test_signals_ignore_a_forms_labels_and_gaps_inside_numbers(desk):
    """A 购车日期 row does not make a workshop complaint a sales one; `1231 5` is still 12315."""
    from parsers.meaning import prepare
    from parsers.model import ParsedDocument
    from processor.rules.engine import decide, document_text

    doc = ParsedDocument(file="fax.pdf", format="image", kind="complaint")
    doc.text = "购车日期 2026/9/22\n问题描述 预约了保养，到店后等了三个小时\n我已经拨打1231 5投诉了"
    text = document_text(doc)
    assert "购车" not in text and "12315" in prepare(text)  # gaps are closed when matching
    decision = decide(doc, desk.rules, desk.calendar, at(desk, "2026-11-02 10:00"))
    assert decision.business_line != "sales" and decision.level == "major"
    prose = ParsedDocument(file="m.eml", format="mail", kind="complaint")
    prose.text = "我购车时销售承诺的赠品没有兑现"  # prose, not a label: still a sales signal
    assert decide(prose, desk.rules, desk.calendar, at(desk, "2026-11-02 10:00")).business_line == "sales"
