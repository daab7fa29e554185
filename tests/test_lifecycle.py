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
COMPLAINT = (
    "投诉人：王喆\n联系电话：13800138000\n产品名称：热水器\n"
    "投诉内容：热水器使用一周就漏水，地板泡坏了，要求换货。\n"
)


def at(desk, moment: str) -> datetime:
    """Set the desk's clock (every deadline and event reads it) and return the moment."""
    when = datetime.fromisoformat(moment).replace(tzinfo=SHANGHAI)
    desk.now = lambda: when
    return when


def mail(
    subject: str, body: str, sender: str = CUSTOMER, attachment: tuple[str, bytes] | None = None
) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = (
        sender,
        "complaints@desk.localhost",
        subject,
    )
    message["Message-ID"] = f"<{abs(hash((subject, body, sender)))}@example.test>"
    message.set_content(body)
    if attachment:
        message.add_attachment(
            attachment[1], maintype="application", subtype="octet-stream", filename=attachment[0]
        )
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
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == purpose).order_by(OutboxMessage.id)
        ).all()
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


def test_overdue_step_climbs_the_after_sales_ladder_once_per_rung_one_mail_per_recipient(
    desk, opened
):
    assert run_jobs(desk, at(desk, "2026-11-16T10:59"))["escalated"] == 0
    assert run_jobs(desk, at(desk, "2026-11-16T11:01"))["escalated"] == 1
    (first,) = outbox(desk, "overdue")
    assert first["To"] == MANAGER and "首次联系客户" in first["Subject"]
    assert run_jobs(desk, at(desk, "2026-11-16T11:30"))["escalated"] == 0  # nothing twice
    # 4 office hours after 11:00 the after-sales line's director hears of it, and the customer
    # director, who monitors timeliness (004 §9), is told of every escalation
    assert run_jobs(desk, at(desk, "2026-11-16T15:00"))["escalated"] == 2
    assert sorted(m["To"] for m in outbox(desk, "overdue")[-2:]) == [
        "customer.director@desk.localhost",
        "service.director@desk.localhost",
    ]
    # reply and close fall due at 09:00 on Tuesday: one mail to the owner lists both
    assert run_jobs(desk, at(desk, "2026-11-17T09:59"))["escalated"] == 1
    both = outbox(desk, "overdue")[-1]
    assert both["To"] == MANAGER and "答复客户" in text_of(both) and "封闭处理" in text_of(both)
    # the next 4 office hours run over the evening: the general manager at 10:00 on Tuesday
    assert run_jobs(desk, at(desk, "2026-11-17T10:00"))["escalated"] == 2
    assert "gm@desk.localhost" in [m["To"] for m in outbox(desk, "overdue")[-2:]]
    levels = [
        (e.detail["step"], e.detail["level"]) for e in the_case(desk).events if e.type == "overdue"
    ]
    assert sorted(levels) == [
        ("close", 0),
        ("first_contact", 0),
        ("first_contact", 1),
        ("first_contact", 2),
        ("reply", 0),
    ]


def test_a_sales_case_left_alone_goes_to_the_sales_director_not_the_service_director(desk):
    at(desk, "2026-11-16T09:00")
    outcome = receive(
        desk,
        mail(
            "投诉：提车时发票开错",
            "投诉人：周芳\n联系电话：13900001111\n"
            "投诉内容：提车时销售顾问把发票开错了，要求重开。\n",
        ),
    )
    assert outcome.owner == "销售总监"
    run_jobs(
        desk, at(desk, "2026-11-16T11:01")
    )  # first contact overdue: the owner (the sales director)
    run_jobs(
        desk, at(desk, "2026-11-16T15:00")
    )  # next rung: the line's director is the owner: the GM
    recipients = [m["To"] for m in outbox(desk, "overdue")]
    assert "service.director@desk.localhost" not in recipients
    assert recipients[0] == "sales.director@desk.localhost" and "gm@desk.localhost" in recipients


@pytest.mark.slow  # a case's whole life
def test_a_case_answered_and_confirmed_in_time_never_escalates(desk, opened):
    at(desk, "2026-11-16T10:00")
    receive(desk, mail(f"Re: [{opened}]", "#reply 已为您安排上门更换。", sender=MANAGER), "r.eml")
    for moment in ("2026-11-16T18:00", "2026-11-17T10:00", "2026-11-18T09:00"):
        assert run_jobs(desk, at(desk, moment))["escalated"] == 0
    at(desk, "2026-11-18T11:00")
    receive(desk, mail(f"Re: [{opened}] 请问您对处理结果满意吗？", "满意，谢谢。"), "y.eml")
    assert the_case(desk).status == "closed"
    assert run_jobs(desk, at(desk, "2026-12-31T10:00"))["escalated"] == 0
    assert outbox(desk, "overdue") == []


def test_an_overdue_callback_goes_to_customer_care_then_the_general_manager(desk, opened):
    at(desk, "2026-11-16T10:00")
    receive(desk, mail(f"Re: [{opened}]", "#reply 已为您安排上门更换。", sender=MANAGER), "r.eml")
    run_jobs(desk, at(desk, "2026-11-19T10:01"))  # callback due Thu 10:00 (3 days), no answer
    callback = [m["To"] for m in outbox(desk, "overdue") if "回访验证" in text_of(m)]
    assert callback == ["care@desk.localhost"]
    # the quality department's own report (3 days) is chased with the quality department
    quality = [m["To"] for m in outbox(desk, "overdue") if "品质部调查报告" in text_of(m)]
    assert quality == ["quality@desk.localhost"]
    run_jobs(desk, at(desk, "2026-11-19T14:00"))
    callback = [m["To"] for m in outbox(desk, "overdue")[2:] if "回访验证" in text_of(m)]
    assert sorted(callback) == ["customer.director@desk.localhost", "gm@desk.localhost"]


def test_staff_commands_by_mail_act_on_the_case_and_are_confirmed(desk, opened):
    at(desk, "2026-11-16T10:00")
    body = (
        "#status investigating\n#note 已电话联系客户\n#reply 您好，我们明天上门为您更换热水器。\n请保持电话畅通。\n"
        "#frobnicate now\n\n> 原邮件内容\n"
    )
    outcome = receive(
        desk, mail(f"Re: [{opened}] 新投诉分派给您", body, sender=MANAGER), "staff.eml"
    )
    assert outcome.status == "recorded"
    case = the_case(desk)
    assert case.status == "replied"
    assert [e.type for e in case.events][-3:] == ["status", "note", "staff_reply"]
    assert deadline(case, "first_contact")["done"] == "2026-11-16T10:00+08:00"
    assert deadline(case, "reply")["done"] == "2026-11-16T10:00+08:00"
    assert (
        deadline(case, "callback")["due"] == "2026-11-19T10:00+08:00"
    )  # 3 working days after the reply
    (reply,) = outbox(desk, "case_reply")
    assert reply["To"] == CUSTOMER and opened in reply["Subject"]
    assert "明天上门为您更换热水器" in text_of(reply) and "请保持电话畅通" in text_of(reply)
    assert "原邮件内容" not in text_of(reply)
    (result,) = outbox(desk, "command_result")
    assert result["To"] == MANAGER
    assert "未知命令" in text_of(result) and "#assign" in text_of(result)  # in the desk's language


def test_commands_from_a_customer_are_never_executed(desk, opened):
    receive(
        desk,
        mail(f"Re: [{opened}] 您的投诉已受理", "#close\n#assign 张伟\n怎么还没人联系我？"),
        "c.eml",
    )
    case = the_case(desk)
    assert case.status == "assigned" and case.owner == "服务经理"
    assert case.events[-1].type == "customer_reply"
    assert outbox(desk, "command_result") == []


def test_assign_category_and_level_commands(desk, opened):
    body = "#assign 张伟\n#category 维修质量类\n#level 重大投诉\n"
    receive(desk, mail(f"Re: [{opened}]", body, sender="service.director@desk.localhost"), "s.eml")
    case = the_case(desk)
    assert (case.owner, case.owner_email, case.category, case.level) == (
        "张伟",
        "zhang.wei@desk.localhost",
        "repair_quality",
        "major",
    )
    assert [m["To"] for m in outbox(desk, "owner_notice")][-1] == "zhang.wei@desk.localhost"
    (escalation,) = outbox(desk, "escalation")
    assert escalation["To"] == "gm@desk.localhost"
    bad = receive(
        desk, mail(f"Re: [{opened}]", "#assign 无名氏\n#status dreaming", sender=MANAGER), "b.eml"
    )
    assert "未执行" in bad.reason and the_case(desk).owner == "张伟"


def test_callback_survey_not_satisfied_reopens_then_satisfied_closes(desk, opened):
    at(desk, "2026-11-16T10:00")
    receive(desk, mail(f"Re: [{opened}]", "#reply 已为您安排更换。", sender=MANAGER), "r1.eml")
    assert run_jobs(desk, at(desk, "2026-11-17T09:59"))["callbacks"] == 0
    assert run_jobs(desk, at(desk, "2026-11-17T10:00"))["callbacks"] == 1
    (survey,) = outbox(desk, "callback")
    assert survey["To"] == CUSTOMER and "满意" in text_of(survey)
    assert the_case(desk).status == "callback"

    at(desk, "2026-11-17T15:00")
    outcome = receive(
        desk,
        mail(f"Re: [{opened}] 请问您对处理结果满意吗？", "不满意，换的新机器还是漏水。"),
        "n.eml",
    )
    assert outcome.reason.startswith("reopened: customer not satisfied")
    case = the_case(desk)
    assert case.status == "reopened"
    assert (
        deadline(case, "rework")["due"] == "2026-11-18T15:00+08:00"
    )  # back to the owner within 24 h
    # at once, not in tomorrow's digest: the owner and the line's director, with the customer's words
    (told,) = outbox(desk, "not_satisfied")
    assert (told["To"], told["Cc"]) == (MANAGER, "service.director@desk.localhost")
    assert "换的新机器还是漏水" in text_of(told) and "2026-11-18 15:00" in text_of(told)
    assert deadline(case, "callback")["done"] == "2026-11-17T15:00+08:00"

    at(desk, "2026-11-18T09:00")
    receive(
        desk, mail(f"Re: [{opened}]", "#reply 已派技术经理上门检修。", sender=MANAGER), "r2.eml"
    )
    assert deadline(the_case(desk), "rework")["done"] == "2026-11-18T09:00+08:00"
    run_jobs(desk, at(desk, "2026-11-19T09:00"))
    at(desk, "2026-11-19T11:00")
    assert (
        receive(desk, mail(f"Re: [{opened}]", "满意，谢谢。"), "y.eml").reason
        == "closed: customer satisfied"
    )
    case = the_case(desk)
    assert case.status == "closed" and case.next_deadline_at is None
    assert (
        run_jobs(desk, at(desk, "2026-11-30T09:00"))["escalated"] == 0
    )  # a closed case is never chased


def test_feedback_form_on_a_case_closes_it(desk, opened):
    form = sample("036-feedback-form").read_bytes()
    outcome = receive(
        desk,
        mail(f"[{opened}] 服务反馈单", "附件是反馈单。", attachment=("反馈单.docx", form)),
        "f.eml",
    )
    assert outcome.reason == "closed: customer satisfied"
    assert the_case(desk).status == "closed"


def test_staff_reporting_a_callback_result_without_commands_closes_the_case(desk, opened):
    at(desk, "2026-11-16T16:00")
    receive(
        desk,
        mail(
            f"Re: [{opened}] 请回访客户", "已电话回访，客户表示满意。", sender="care@desk.localhost"
        ),
        "cb.eml",
    )
    assert the_case(desk).status == "closed"


def test_repair_quality_case_closes_itself_three_months_from_acceptance_in_any_open_state(desk):
    at(desk, "2026-08-03T09:00")
    outcome = receive(
        desk,
        mail(
            "投诉：维修后还是老毛病",
            "投诉人：赵敏\n联系电话：13700001234\n投诉内容：空调上门维修后还是老毛病，不制冷。\n",
        ),
    )
    assert outcome.category == "repair_quality"
    at(desk, "2026-08-20T10:00")
    receive(
        desk,
        mail(f"Re: [{outcome.case_no}]", "#status investigating\n#note 等客户返站", sender=MANAGER),
        "r.eml",
    )
    assert the_case(desk).status == "investigating"  # left there: it still closes (004 §10)
    # the owner hears a week before: once
    assert run_jobs(desk, at(desk, "2026-10-26T08:59"))["auto_closed"] == 0
    assert outbox(desk, "auto_close_notice") == []
    run_jobs(desk, at(desk, "2026-10-27T09:00"))
    run_jobs(desk, at(desk, "2026-10-28T09:00"))
    (notice,) = outbox(desk, "auto_close_notice")
    assert notice["To"] == MANAGER and "2026-11-03" in notice["Subject"]
    # three calendar months from acceptance (受理之日), not from the last thing a person did
    assert run_jobs(desk, at(desk, "2026-11-03T08:59"))["auto_closed"] == 0
    assert run_jobs(desk, at(desk, "2026-11-03T09:00"))["auto_closed"] == 1
    case = the_case(desk)
    assert case.status == "closed" and case.events[-1].type == "auto_closed"


def test_a_repair_quality_case_with_a_return_visit_does_not_close_itself(desk):
    at(desk, "2026-08-03T09:00")
    outcome = receive(
        desk,
        mail(
            "投诉：维修后还是老毛病",
            "投诉人：赵敏\n联系电话：13700001234\n投诉内容：空调上门维修后还是老毛病，不制冷。\n",
        ),
    )
    at(desk, "2026-08-10T09:00")
    receive(desk, mail(f"Re: [{outcome.case_no}]", "我明天把空调送回来再检查一次。"), "c.eml")
    assert run_jobs(desk, at(desk, "2026-11-04T09:00"))["auto_closed"] == 0
    assert the_case(desk).status != "closed"


def test_daily_digest_once_per_owner_per_working_day(desk, opened):
    assert run_jobs(desk, at(desk, "2026-11-17T08:29"))["digests"] == 0  # before digest_at
    assert run_jobs(desk, at(desk, "2026-11-17T08:30"))["digests"] == 1
    assert run_jobs(desk, at(desk, "2026-11-17T12:00"))["digests"] == 0
    (digest,) = outbox(desk, "digest")
    assert digest["To"] == MANAGER
    assert "逾期" in text_of(digest) and opened in text_of(digest)
    assert run_jobs(desk, at(desk, "2026-11-21T09:00"))["digests"] == 0  # Saturday
    assert run_jobs(desk, at(desk, "2026-11-23T09:00"))["digests"] == 1


def test_after_days_down_each_recipient_gets_one_summary_of_every_step_and_rung(desk, opened):
    done = run_jobs(desk, at(desk, "2026-11-16T09:00") + timedelta(days=10))
    # four open steps of the handler (first contact, reply, close, handle) × owner, director,
    # GM; the quality report × quality department, GM; the customer director told of the
    # escalations: five mails, not fourteen
    assert done["escalated"] == 5
    mails = outbox(desk, "overdue")
    assert {m["To"] for m in mails} == {
        "customer.director@desk.localhost",
        "gm@desk.localhost",
        "quality@desk.localhost",
        MANAGER,
        "service.director@desk.localhost",
    }
    gm = next(m for m in mails if m["To"] == "gm@desk.localhost")
    assert all(
        name in text_of(gm)
        for name in ("首次联系客户", "答复客户", "封闭处理", "调查处理并返回表单", "品质部调查报告")
    )
    levels = [
        (e.detail["step"], e.detail["level"]) for e in the_case(desk).events if e.type == "overdue"
    ]
    assert len(levels) == 4 * 3 + 2
    assert run_jobs(desk, at(desk, "2026-11-16T09:00") + timedelta(days=11))["escalated"] == 0


def test_with_an_auth_server_set_only_vouched_staff_mail_runs_commands(desk_dir):
    from processor.config import load_config
    from processor.desk import Desk

    config_file = desk_dir / "aftersales.toml"
    text = config_file.read_text(encoding="utf-8")
    config_file.write_text(
        text.replace(
            '# staff_auth_server = "mx.example.com"', 'staff_auth_server = "mx.desk.localhost"'
        ),
        encoding="utf-8",
    )
    with Desk.open(load_config(config_file)) as desk:
        at(desk, "2026-11-16T09:00")
        case_no = receive(desk, mail("投诉：热水器漏水", COMPLAINT)).case_no
        forged = mail(f"Re: [{case_no}]", "#close", sender=MANAGER)
        receive(desk, forged, "forged.eml")  # unvouched: a new case linked to it, for staff

        def status() -> str:
            with desk.store.transaction() as session:
                return session.scalars(select(Case.status).where(Case.case_no == case_no)).one()

        assert status() != "closed"
        vouched = (
            b"Authentication-Results: mx.desk.localhost; dkim=pass header.d=desk.localhost; dmarc=pass\r\n"
            b"Received: from mail.desk.localhost by mx.desk.localhost; Mon, 16 Nov 2026 09:00:00 +0800\r\n"
            + mail(f"Re: [{case_no}] again", "#close 已处理", sender=MANAGER)
        )
        receive(desk, vouched, "vouched.eml")
        assert status() == "closed"


@pytest.mark.parametrize(
    "change, complaint",
    [
        (
            ('ladder = ["customer_care", "general_manager"]', 'ladder = ["customer_care", "ceo"]'),
            "escalation.ladder (callback verification and DN work orders",
        ),
        (
            ('[steps.rework]\nname = "重新处理"\ndone_when = ["replied", "closed"]', ""),
            "step `rework` has no [steps.rework]",
        ),
        (
            ('after = ["first_contact"]', 'after = ["closing"]'),
            "steps.reply: after `closing`, which is not a step",
        ),
        (
            ('after = ["first_contact"]', 'after = ["reply"]'),
            "steps.reply: it must come after itself",
        ),
        (('on = "reopened"', 'on = "reopend"'), '`on = "reopend"` is no event'),
        (('after_sales = "service_director"', ""), "no director for business line after_sales"),
        (('within = "24 hours"', 'within = "24 moons"'), "24 moons"),
        (
            ('roles = ["customer_care"]', 'roles = ["care_bears"]'),
            "people (李娜): role `care_bears`",
        ),
    ],
)
@pytest.mark.slow  # the command as a process
def test_rules_check_names_the_mistake(tmp_path, change, complaint):
    import subprocess
    import sys

    from tests.conftest import ROOT

    rules = (ROOT / "rules.example.toml").read_text(encoding="utf-8")
    assert change[0] in rules
    target = tmp_path / "rules.toml"
    target.write_text(rules.replace(change[0], change[1], 1), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "processor", "rules", "check", str(target)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
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
    assert (
        decide(prose, desk.rules, desk.calendar, at(desk, "2026-11-02 10:00")).business_line
        == "sales"
    )


def test_deadlines_in_a_holiday_say_so_and_are_chased_at_the_next_opening_in_one_mail(desk):
    at(desk, "2026-09-30T16:00")  # the eve of National Day
    case_no = receive(desk, mail("投诉：热水器漏水", COMPLAINT)).case_no
    case = the_case(desk)
    assert deadline(case, "close") == {
        **deadline(case, "close"),
        "due": "2026-10-01T16:00+08:00",
        "outside": "a holiday",
    }
    assert (
        run_jobs(desk, at(desk, "2026-10-07T17:00"))["escalated"] == 0
    )  # nobody is there to act on it
    assert (
        run_jobs(desk, at(desk, "2026-10-08T08:30"))["escalated"] == 2
    )  # the owner; the quality department
    (owner,) = [m for m in outbox(desk, "overdue") if m["To"] == MANAGER]
    assert case_no in text_of(owner) and "节假日" in text_of(owner) and "下班时间" in text_of(owner)
    assert all(
        name in text_of(owner)
        for name in ("首次联系客户", "答复客户", "封闭处理", "调查处理并返回表单")
    )


def test_a_dn_work_order_is_answered_in_30_minutes_and_closed_in_7_days_by_customer_care(desk_dir):
    from processor.config import load_config
    from processor.desk import Desk

    (desk_dir / "dn").mkdir()
    config_file = desk_dir / "aftersales.toml"
    config_file.write_text(
        config_file.read_text(encoding="utf-8")
        + '\n[[folders]]\nname = "dn"\npath = "dn"\nchannel = "dn"\n',
        encoding="utf-8",
    )
    with Desk.open(load_config(config_file)) as desk:
        at(desk, "2026-11-16T09:00")
        outcome = process(
            desk,
            Incoming("folder:dn", "dn/wo.eml", "wo.eml", mail("DN工单：热水器漏水", COMPLAINT)),
        )
        case = the_case(desk)
        assert case.channel == "dn" and outcome.case_no
        assert deadline(case, "dn_response") == {
            **deadline(case, "dn_response"),
            "due": "2026-11-16T09:30+08:00",
            "done": "2026-11-16T09:00+08:00",
        }  # handed over at once
        assert deadline(case, "dn_close")["due"] == "2026-11-23T09:00+08:00"
        at(desk, "2026-11-16T10:00")
        receive(
            desk,
            mail(f"Re: [{outcome.case_no}]", "#reply 已为您安排上门更换。", sender=MANAGER),
            "r.eml",
        )
        run_jobs(
            desk, at(desk, "2026-11-23T09:01")
        )  # replied, never confirmed: the work order is open
        dn = [m["To"] for m in outbox(desk, "overdue") if "封闭DN工单" in text_of(m)]
        assert dn == ["care@desk.localhost"]
    with Desk.open(load_config(config_file)) as plain:  # a mail complaint has no DN steps
        at(plain, "2026-11-16T09:00")
        receive(plain, mail("投诉：又一台热水器漏水", COMPLAINT + "地址：兰州\n"), "second.eml")
        with plain.store.transaction() as session:
            newest = session.scalars(select(Case).order_by(Case.id.desc())).first()
            assert newest.channel != "dn" and not any(
                d["step"].startswith("dn_") for d in newest.deadlines
            )


def test_a_major_complaint_notice_goes_to_the_general_manager_once_with_the_directors_copied(desk):
    at(desk, "2026-11-16T09:00")
    outcome = receive(
        desk, mail("投诉：热水器起火", COMPLAINT.replace("要求换货", "差点起火，我要找媒体曝光"))
    )
    assert outcome.level == "major" and outcome.owner == "总经理"
    (notice,) = outbox(desk, "owner_notice")
    copied = [address.strip() for address in str(notice["Cc"]).split(",")]
    assert notice["To"] == "gm@desk.localhost" and "gm@desk.localhost" not in copied
    assert sorted(copied) == [
        "customer.director@desk.localhost",
        "sales.director@desk.localhost",
        "service.director@desk.localhost",
    ]
