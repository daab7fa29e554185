"""Judging everyday complaints on their meaning (issue 16): normalising, masking identifiers,
negation, scoring, the issue's examples as a behaviour table, callback answers, kind of
plain human mails, names and phones in prose, `rules replay`, and the free-text corpus
against the issue's "Done when" targets."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, time
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from parsers import parse_document
from parsers.meaning import Lexicon, Term, mask, normalise, prepare
from parsers.model import ParsedDocument
from processor.rules.engine import Wording, decide, load_rules, working_calendar
from tests.accuracy import CORPUS, TARGETS, build_message, corpus_mails, evaluate_corpus

ROOT = Path(__file__).parent.parent
RULES = load_rules()
CALENDAR = working_calendar(RULES, time(8, 30), time(17, 30))
MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


LEXICON_ONLY = RULES.model_copy(
    update={"wording": Wording(enabled=False)}
)  # the lexicon's own mechanism


def judge(text: str, title: str = "", rules=RULES):  # noqa: ANN001
    doc = ParsedDocument(file="m.eml", format="eml", kind="complaint", title=title)
    doc.text = text
    return decide(doc, rules, CALENDAR, MONDAY)


def mail(
    subject: str, body: str, sender: str = "王秀兰 <wxl@example.test>", charset: str = "utf-8"
) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = (
        sender,
        "complaints@desk.localhost",
        subject,
    )
    message["Message-ID"] = f"<{abs(hash((subject, body)))}@example.test>"
    message.set_content(body, charset=charset)
    return bytes(message)


# ── normalising and masking
def test_normalise_makes_full_width_half_width_traditional_simplified_and_lower_case():
    assert normalise("ＡＢＣ１２３１５ 媒體曝光 TV") == "abc12315 媒体曝光 tv"


@pytest.mark.parametrize(
    "text",
    [
        "13912345678",
        "SO2612315",
        "8812 3459 0001",
        "PO-2610-088",
        "2026-11-20",
        "订单号JD261231508",
        "一米120元",
        "开到120码",
        "wang12315@163.com",
    ],
)
def test_identifiers_are_masked_so_no_hotline_number_is_left(text):
    masked = mask(normalise(text))
    assert not any(number in masked for number in ("12315", "110", "120")), masked


def test_a_number_of_its_own_and_a_typists_gap_are_kept():
    assert "12315" in prepare("我已经打了12315") and "12315" in prepare("拨打1231 5投诉")


# ── the matcher
LEXICON = Lexicon(
    [
        Term("sue", "law", 2),
        Term("court", "law", 2),
        Term("12315", "gov", 2),
        Term("报警", "police", 2),
        Term("冰箱报警", "police", ignore=True),
        Term("injur*", "injury", 2),
        Term("受伤", "injury", 2),
        Term("要求赔偿", "claim", 2),
        Term("媒体", "media", 2),
    ]
)


def found(text: str) -> list[tuple[str, bool]]:
    return [(hit.written, hit.negated) for hit in LEXICON.find(prepare(text))]


def test_english_matches_whole_words_only():
    assert found("this issue is not courteous") == []
    assert found("We will sue you in court") == [("sue", False), ("court", False)]
    assert found("my son was injured") == [("injur*", False)]


def test_a_longer_ignore_term_silences_the_signal_it_covers():
    assert found("冰箱报警了") == [] and found("我去报警了") == [("报警", False)]


@pytest.mark.parametrize(
    "text, negated",
    [
        ("没有人受伤", True),
        ("我不会去找媒体", True),
        ("我不要求赔偿", True),
        ("No one was injured", True),
        ("孩子受伤了", False),
        ("如果再不处理我就去12315", False),
        ("不然我就找媒体", False),
        ("If you do not fix it I will sue", False),
        ("东西坏了，不过没人受伤", True),
    ],
)
def test_negation_reaches_within_its_clause_and_not_past_a_condition(text, negated):
    hits = LEXICON.find(prepare(text))
    assert hits and all(hit.negated == negated for hit in hits), hits


# ── scoring and explanations
def test_a_decision_explains_itself_with_the_signals_found_and_negated():
    decision = judge(
        "热水器漏水，没有人受伤，我不会去找媒体。", rules=LEXICON_ONLY
    )  # the lexicon explains itself
    level = next(f for f in decision.fired if f["rule"].startswith("level"))
    assert decision.level == "grievance"
    assert "negated" in level["why"] and "受伤" in level["why"] and "媒体" in level["why"]
    assert "level" in decision.uncertain  # negated triggers: the owner is asked to confirm


def test_weak_evidence_marks_the_level_uncertain_and_strong_evidence_decides():
    weak = judge("洗衣机脱水时突然一声响，吓死我了")
    assert weak.level != "major" and "level" in weak.uncertain
    strong = judge("洗衣机脱水时玻璃门炸了，碎玻璃飞了一地")
    assert strong.level == "major" and "level" not in strong.uncertain


# The issue's examples: (text, level, category, business line); None = not checked.
BEHAVIOUR = [
    ("女儿被烫伤住院", "major", None, None),
    ("手划伤流血", "major", None, None),
    ("刹车完全失灵，要出人命", "major", None, None),
    ("维修后方向盘锁死", "major", "repair_quality", None),
    ("充电宝冒烟差点自燃", "major", "product_quality", None),
    ("视频发到抖音和微博", "major", None, None),
    ("网上发帖让全网都知道", "major", None, None),
    ("我要打市长热线", "major", None, None),
    ("向市场监管部门举报", "major", None, None),
    ("我们会走法律途径，打官司", "major", None, None),
    ("我会申请仲裁", "major", None, None),
    ("把车砸了堵在店门口", "major", None, None),
    ("明天就去你们公司闹", "major", None, None),
    ("二十多户业主联名维权", "major", None, None),
    ("如果再不处理我就去12315", "major", None, None),
    (
        "我的电话13912345678，订单SO2612315，序列号8812 3459 0001，屏幕有竖线",
        "grievance",
        "product_quality",
        None,
    ),
    (
        "This issue is not resolved. The courteous staff could not fix the noise.",
        "grievance",
        None,
        None,
    ),
    ("职业：律师。冰箱噪音大", "grievance", "product_quality", None),
    ("冰箱报警，一直滴滴响", "grievance", "product_quality", None),
    ("申请了政府补贴买的空调不凉", "grievance", "product_quality", "after_sales"),
    ("没有人受伤，只是热水器漏水", "grievance", "product_quality", None),
    ("我不会去找媒体，希望尽快修好洗衣机", "grievance", None, None),
    ("车没出过事故，就是发动机异响", "grievance", "product_quality", None),
    ("我要投诉你们的服务", "complaint", "service", None),
    ("必须给我一个说法", "complaint", None, None),
    ("请给我退款", "complaint", None, None),
    ("要求换车", "complaint", None, None),
    ("我不要求赔偿，只希望修好", "grievance", None, None),
    ("开车时突然熄火", None, "product_quality", None),
    ("空调不凉", "grievance", "product_quality", None),
    ("掉漆色差", "grievance", "product_quality", None),
    ("电视屏幕竖线闪烁", "grievance", "product_quality", None),
    ("保养后机油灯亮", "grievance", "repair_quality", None),
    ("修了三次还是漏", "grievance", "repair_quality", None),
    ("客服电话没人接", "grievance", "service", None),
    ("安装师傅划坏地板", "grievance", "service", None),
    ("自己换了非原厂电池后充不进电", "grievance", "user_issue", None),
    ("购车两年了，最近变速箱异响", "grievance", "product_quality", "after_sales"),
    ("买车时销售说好的送保养，现在不认了", None, "other", "sales"),
]


@pytest.mark.parametrize("text, level, category, line", BEHAVIOUR)
def test_the_issues_examples(text, level, category, line):
    decision = judge(text)
    got = (
        decision.level if level else None,
        decision.category if category else None,
        decision.business_line if line else None,
    )
    assert got == (level, category, line), decision.fired


def test_traditional_chinese_and_english_are_judged_alike():
    assert judge("女兒被燙傷住院了").level == "major"
    assert judge("My daughter was burned by the kettle and is in hospital").level == "major"
    assert judge("I will not contact the media, just fix the washer").level == "grievance"


# ── the kind of a mail, callback answers
def test_a_short_plain_complaint_is_a_complaint_in_the_senders_language():
    doc = parse_document(
        mail("热水器坏了", "你们的热水器买了不到一个月就坏了，太失望了，请尽快处理。"), "m.eml"
    )
    assert (doc.kind, doc.language) == ("complaint", "zh-Hans")


@pytest.mark.parametrize(
    "subject, body",
    [
        (
            "订单 PO-2610-088 打印机故障",
            "区政务服务中心的打印机卡纸，金额 3000 元，单价 1500 元，疑似质量问题。",
        ),
        ("RMA-2610-027", "退回的配件又坏了，请处理。"),
        ("追尾以后", "被后车追尾，交警定了责任，修好以后后备箱一直漏水。"),
    ],
)
def test_order_numbers_amounts_and_form_words_do_not_make_another_kind(subject, body):
    doc = parse_document(mail(subject, body), "m.eml")
    assert (doc.kind, doc.case_ref) == ("complaint", None)


def test_only_our_case_number_pattern_makes_a_reply():
    assert (
        parse_document(mail("Re: [CS-2611-0042] 您的投诉已受理", "补充一张照片"), "r.eml").case_ref
        == "CS-2611-0042"
    )


@pytest.mark.parametrize(
    "body, verdict, courtesy",
    [
        ("谈不上满意，师傅根本没来", False, False),
        ("还是老样子，一点改善都没有", False, False),
        ("差评", False, False),
        ("挺好的，谢谢", True, False),
        ("收到了，谢谢！", None, True),
        ("Not happy with it, the noise is still there", False, False),
    ],
)
def test_callback_answers_are_judged_with_negation(body, verdict, courtesy):
    doc = parse_document(mail("Re: [CS-2611-0042] 回访", body), "c.eml")
    assert doc.kind == "callback"
    assert doc.value("satisfied") is verdict and doc.meta["courtesy"] is courtesy


# ── fields from prose
@pytest.mark.parametrize(
    "body, sender, name, phone",
    [
        (
            "My washing machine leaks.\n\nRegards,\nJohn Smith\n+86 139 0000 2222",
            "js <js@x.test>",
            "John Smith",
            "13900002222",
        ),
        (
            "洗衣机漏水，请安排上门。\n\n鸿达汽配 采购主管 葛建平\n手机 139 5813 2276",
            "采购部 <cg@x.test>",
            "葛建平",
            "13958132276",
        ),
        ("冷氣一直滴水。\n電話 04-2452-7713 黃先生", "mr.huang56@x.test", "黃先生", "0424527713"),
        ("空调不制冷，订单号 20261105123。", "李建国 <l@x.test>", "李建国", None),
    ],
)
def test_names_and_phones_from_prose_signatures_and_the_display_name(body, sender, name, phone):
    doc = parse_document(mail("故障", body, sender=sender), "m.eml")
    assert (doc.value("customer_name"), doc.value("phone")) == (name, phone)


# ── rules replay: what a changed rule file would judge otherwise; nothing changes
def test_rules_replay_lists_changed_cases_with_the_signals_and_changes_nothing(desk, tmp_path):
    from processor.pipeline import Incoming, process
    from processor.replay import replay

    process(
        desk,
        Incoming("test", "a.eml", "a.eml", mail("洗衣机", "洗衣机转起来嘎吱嘎吱的，麻烦看看。")),
    )
    process(desk, Incoming("test", "b.eml", "b.eml", mail("冰箱", "冰箱不制冷了，请派人上门。")))
    text = (ROOT / "processor" / "data" / "rules.toml").read_text(encoding="utf-8")
    widened = text.replace('signals = ["12315", "12345",', 'signals = ["嘎吱", "12315", "12345",')
    widened = (
        widened[: widened.index("[wording]")] + "[wording]\nenabled = false\n"
    )  # the lexicon's change alone
    (tmp_path / "new.toml").write_text(widened, encoding="utf-8")
    changes = list(replay(desk, load_rules(tmp_path / "new.toml")))
    assert len(changes) == 1 and changes[0].changes["level"] == ("grievance", "major")
    assert any("嘎吱" in line for line in changes[0].why)
    with desk.store.transaction() as session:
        from sqlalchemy import select

        from processor.store.models import Case

        assert sorted(case.level for case in session.scalars(select(Case))) == [
            "grievance",
            "grievance",
        ]


@pytest.mark.slow  # the command as a process
def test_rules_replay_needs_a_rule_file(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "processor", "rules", "replay"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode != 0 and "rule file" in result.stderr


# ── the free-text corpus against "Done when"
def test_the_corpus_mails_build_as_real_messages_in_their_charsets():
    mails = corpus_mails(CORPUS, "dev")
    assert mails, "no dev corpus"
    for corpus_mail in mails:
        built = build_message(corpus_mail)
        assert (
            corpus_mail.get("charset", "utf-8").lower() in built.decode("ascii", "replace").lower()
        )


@pytest.mark.slow  # the free-text corpus
@pytest.mark.xfail(
    strict=True, reason="below the 'Done when' targets on the blind set (see make accuracy)"
)
def test_the_corpus_meets_the_done_when_targets():
    command = [sys.executable, "-m", "processor"]
    for set_name in (
        "dev",
        "blind",
    ):  # blind: the set no rule writer read and the wording model never learned
        score = evaluate_corpus(CORPUS, set_name, command)
        assert score is not None
        figures = score.figures()
        below = {
            name: round(figures[name], 3)
            for name, target in TARGETS.items()
            if figures[name] < target
        }
        assert not below, f"{set_name}: below target: {json.dumps(below)}"


def test_a_product_named_only_in_prose_is_read_with_lowered_confidence():
    doc = parse_document(
        mail("热水器坏了", "你们的热水器买了不到一个月就坏了，请尽快处理。"), "m.eml"
    )
    assert doc.value("product_name") == "热水器" and doc.fields["product_name"].confidence < 0.8
    english = parse_document(
        mail("Leak", "My washing machine leaks.\n\nJohn Smith", sender="js@x.test"), "m.eml"
    )
    assert english.value("product_name") == "washing machine"


# ── combinations: evidence that needs its parts together (issue 16, category per meaning)
@pytest.mark.parametrize(
    "text, category",
    [
        (
            "空调师傅上个月来加过一次氟，说好了，结果一个礼拜又不凉了",
            "repair_quality",
        ),  # work done + back again
        (
            "You replaced the drop links on Tuesday, and by Thursday the clunk was back.",
            "repair_quality",
        ),
        ("空调不凉了，麻烦派人来看", "product_quality"),  # the fault alone is the product's
        ("送床垫的两个人把门口的墙皮蹭掉一大块", "service"),  # our people harmed the home
        ("The fitters gouged the hallway floor carrying the wardrobe in", "service"),
        ("合同写的十月底交车，现在还没有消息", "other"),  # not handed over as agreed
        ("导购说好的送两个抱枕，现在说活动结束了不给", "other"),  # a promise not kept
        ("前保险杠补的漆颜色明显比旁边深", "repair_quality"),  # 保险杠 is no insurance (保险)
        ("自己在网上买了LED灯泡换上去，现在大灯不亮", "user_issue"),
        ("客服答应今天派人上门，等了一天也没人来", "service"),  # a promise of service broken
        ("I was promised a call back within 48 hours three times and nobody rang", "service"),
        ("买车的时候销售承诺送三次保养，现在不认了", "other"),  # a promise made at the sale
    ],
)
def test_categories_are_told_by_what_goes_together(text, category):
    decision = judge(text, rules=LEXICON_ONLY)
    assert decision.category == category, decision.fired


def test_a_cue_alone_counts_for_nothing_and_a_combination_explains_its_parts():
    alone = judge("师傅上门修了", rules=LEXICON_ONLY)  # work done, nothing back: no repair fault
    assert alone.category == "product_quality"
    together = judge("师傅上门修了，没几天又漏", rules=LEXICON_ONLY)
    why = next(f["why"] for f in together.fired if f["rule"] == "category = repair_quality")
    assert "上门修 + 没几天 (back_after_work)" in why


def test_rules_check_refuses_a_combination_of_an_unknown_family(tmp_path):
    text = (ROOT / "rules.example.toml").read_text(encoding="utf-8")
    broken = text.replace('all = ["work", "again"]', 'all = ["work", "agian"]')
    assert broken != text
    target = tmp_path / "rules.toml"
    target.write_text(broken, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "processor", "rules", "check", str(target)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode != 0 and "agian" in result.stderr + result.stdout


# ── a purchase date written in words, relative to the mail's Date
@pytest.mark.parametrize(
    "text, day",
    [
        ("上个月买的洗衣机", "2026-10-15"),
        ("我10月中旬提的车", "2026-10-15"),
        ("去年双十一在京东买的", "2025-11-11"),
        ("冰箱买了三个月就坏了", "2026-08-20"),
        ("上週在門市買的", "2026-11-13"),
        ("I bought it last month", "2026-10-15"),
        ("purchased three weeks ago", "2026-10-30"),
        ("bought in early March last year", "2025-03-05"),
        ("热水器用了两年", None),
        ("我上个月打过电话", None),
        ("12月买的", "2025-12-15"),
    ],
)
def test_a_purchase_date_in_words_is_a_day_relative_to_the_mail(text, day):
    from parsers.purchase_dates import purchase_date_in_words

    found = purchase_date_in_words(text, datetime(2026, 11, 20).date())
    assert (found.isoformat() if found else None) == day


def test_a_mail_with_a_purchase_date_in_words_has_it_with_lowered_confidence():
    message = mail("洗衣机漏水", "洗衣机是上个月买的，现在漏水。\n王秀兰")
    message = message.replace(b"Subject:", b"Date: Fri, 20 Nov 2026 10:00:00 +0800\nSubject:", 1)
    doc = parse_document(message, "m.eml")
    assert (
        doc.value("purchase_date") == "2026-10-15" and doc.fields["purchase_date"].confidence < 0.5
    )


def test_a_product_of_the_master_data_named_in_prose_is_that_product(desk):
    from processor.examining import match_master_data
    from processor.store.models import Product

    with desk.store.transaction() as session:
        session.add_all(
            [
                Product(part_no="SVW-LV-2026", name="朗逸"),
                Product(part_no="PB52708", name="通信模块板"),
                Product(part_no="X1", name="车"),
            ]
        )  # too short to be taken for a word of prose
    by_name = parse_document(
        mail("变速箱异响", "我的朗逸开了两万公里，变速箱一直响。\n王秀兰"), "m.eml"
    )
    assert by_name.value("product_name") is None
    match_master_data(desk, by_name)
    assert (
        by_name.value("product_name") == "朗逸" and by_name.value("product_model") == "SVW-LV-2026"
    )
    by_part = parse_document(mail("模块不良", "贵司发来的pb52708有三块上电就重启。"), "m.eml")
    match_master_data(desk, by_part)
    assert (
        by_part.value("product_name") == "通信模块板"
        and by_part.fields["product_name"].source == "master data"
    )
    unknown = parse_document(mail("热水器坏了", "你们的热水器坏了。"), "m.eml")
    match_master_data(desk, unknown)
    assert unknown.value("product_name") == "热水器" and unknown.value("product_model") is None


# ── issue 16, continued: the mechanisms behind the judgement, each in words of its own (none of
# these sentences is in the corpus or the rule file)
# They test the lexicon's mechanisms, so they read with the lexicon alone (the wording model, the
# second reader, may overrule a fact and then asks staff to confirm it: tests/test_wording.py).
def read(text: str, title: str = ""):
    return judge(text, title, rules=LEXICON_ONLY)


@pytest.mark.parametrize(
    "cantonese, mandarin",
    [
        ("部雪櫃整咗三次仲係唔凍", "部雪柜整了三次还系不冻"),
        ("冇人話過要收錢", "没人话过要收钱"),
        ("我哋會申請仲裁", "我们会申请仲裁"),  # 仲裁 stays arbitration
    ],
)
def test_cantonese_function_words_are_read_as_mandarin(cantonese, mandarin):
    assert normalise(cantonese) == mandarin


def test_a_cantonese_negation_negates_and_a_cantonese_repair_that_failed_is_repair_quality():
    assert read("個熱水爐漏電，好彩冇人受傷").level == "major"  # 漏电 counts, 受伤 is negated
    assert "受伤" in next(
        f["why"] for f in read("個熱水爐漏電，好彩冇人受傷").fired if f["rule"] == "level = major"
    )
    assert read("師傅上門修咗兩次，個洗碗機仲係漏水").category == "repair_quality"


def test_context_is_never_negated_only_what_follows_the_negator():
    # "not" governs "working", not the repair it happened after
    decision = read(
        "The tumble dryer is still not heating after the repair your engineer did on Monday."
    )
    assert decision.category == "repair_quality", decision.fired


@pytest.mark.parametrize(
    "signature, level",
    [
        ("周建华\n区人民法院 执行局", "grievance"),  # works at a court: who writes, not a lawsuit
        ("Dr Helen Marsh\nConsultant, St Mary's Hospital", "grievance"),
        (
            "再拖下去就去找电视台\n周建华 13911112222",
            "major",
        ),  # a line that does something is no signature
    ],
)
def test_the_writers_signature_block_says_who_writes_not_what_happened(signature, level):
    body = "抽油烟机开到最大档也吸不走油烟，麻烦安排人来看看。\n\n" + signature
    assert read(body).level == level


def test_a_hypothetical_tells_no_category_but_a_conditional_threat_still_counts():
    asking = read("冰箱冷藏室结冰。想问一下，如果师傅换了温控器以后还是一样，是不是可以换机？")
    assert asking.category == "product_quality", asking.fired
    threat = read("冰箱冷藏室结冰，要是周五前没人来，我就发微博。")
    assert threat.level == "major"


def test_the_subject_says_what_the_mail_is_about():
    body = "空调开了半小时还是不制冷，打你们客服电话等了好一会儿才接通，后来总算约上了。"
    assert read(body, title="空调不制冷").category == "product_quality"
    assert read(body, title="客服电话一直打不通").category == "service"


@pytest.mark.parametrize(
    "text, category",
    [
        ("送衣柜的工人把楼道的墙刮掉一块皮", "service"),  # our people at work harmed the home
        ("热水器底下漏水，泡坏了卧室的木地板", "product_quality"),  # the product did it
        ("The delivery men chipped the door frame bringing the fridge in", "service"),
        ("The washing machine leaked overnight and the kitchen floor is ruined", "product_quality"),
    ],
)
def test_damage_to_a_home_is_service_only_with_our_people_at_work(text, category):
    assert read(text).category == category, read(text).fired


def test_a_lot_is_blamed_only_in_its_own_sentence():
    named = read(
        "贵司发来的电源模块，批号 PM2611-07，共 400 只。客服三天没回复我们的邮件，也没人接电话。"
    )
    assert named.category == "service", named.fired
    blamed = read("这批电源模块上电后有三成输出电压偏低，我们保养设备时才发现。")
    assert blamed.category == "product_quality", blamed.fired


@pytest.mark.parametrize(
    "text, line",
    [
        ("到货验货时发现三箱外包装破损，里面的灯具碎了", "sales"),  # found at receipt
        (
            "The pumps passed our incoming inspection, but four failed after a month in use",
            "after_sales",
        ),
        ("订的车说好十月交，一延再延，现在又说下个月", "sales"),  # a delivery not made as agreed
    ],
)
def test_the_sale_is_the_line_when_something_went_wrong_at_it(text, line):
    assert read(text).business_line == line, read(text).fired


@pytest.mark.parametrize(
    "text, level",
    [
        ("这件事请你们给我一个合理的说法", "complaint"),  # a demand with words between
        ("多扣的两百块运费请尽快退回来", "complaint"),
        (
            "凭什么保修期内还要我出上门费？这个费用你们要负责",
            "complaint",
        ),  # indignation with a demand word
        ("滤网的事麻烦解释一下是怎么回事", "grievance"),  # an explanation asked for is no demand
        ("少发的两个配件麻烦补发一下", "grievance"),  # sending the missing part is a fix
        (
            "The engineer already apologised and the part was replaced free of charge, thanks",
            "grievance",
        ),
        ("不然我明天就带着横幅去你们门店门口坐着", "major"),  # a threat at our door
        ("We act for Ms Okoye and are instructed to issue proceedings", "major"),
    ],
)
def test_demands_threats_and_their_false_friends(text, level):
    assert read(text).level == level, read(text).fired


@pytest.mark.parametrize(
    "text",
    [
        "在抖音直播间买的电饭煲，内胆涂层掉了",  # where it was bought, not the media
        "轮胎漏气了，麻烦帮我看看是不是扎了钉子",  # a flat tyre
        "楼下装修吵得要命，不过这不关你们的事；洗衣机门封有点漏",  # an intensifier
        "电脑诊断出来是传感器故障，等配件",  # a fault's diagnosis
        "The app keeps crashing when I open the settings page",
        "I knocked it off the shelf by accident and the knob fell off",
        "Please replace the window regulator on the driver's side",
    ],
)
def test_everyday_words_that_look_like_major_triggers_are_not(text):
    assert read(text).level != "major", read(text).fired


@pytest.mark.parametrize(
    "body, verdict",
    [
        (
            "你们说\u201c修好了\u201d，结果还是跟之前一样嗡嗡响",
            False,
        ),  # the satisfied word in quotes is irony
        ('Well, you "fixed" it. It\'s making the same racket as before.', False),
        ("唔滿意，同未整之前冇分別", False),  # Cantonese
    ],
)
def test_callback_answers_see_irony_and_an_unchanged_fault(body, verdict):
    doc = parse_document(mail("Re: [CS-2611-0042] 回访", body), "c.eml")
    assert doc.value("satisfied") is verdict


@pytest.mark.parametrize(
    "body, name, phone",
    [
        # the one who forwards signs above the forwarded words: the contact is the forwarder
        (
            "请尽快处理我父亲的事。\n谭晓峰 139 2288 4410\n\n---------- 转发的邮件 ----------\n发件人：谭国梁\n主题：烤箱\n\n烤箱门玻璃裂了。",
            "谭晓峰",
            "13922884410",
        ),
        (
            "Passing this on from our QA team, please reply to me.\n\nMegan Doyle\n+44 7700 900123\n\n-----Original Message-----\n"
            "From: QA line 2\nSubject: brackets\n\nBrackets from lot 7 cracked at torque.",
            "Megan Doyle",
            "+447700900123",
        ),
        (
            "您好我是龚秀英今年六十八了家里的电饭煲按键没反应",
            "龚秀英",
            None,
        ),  # a run-on sentence, no punctuation
        (
            "订单号：20261201\n商品：不锈钢保温杯\n杯盖漏水。",
            None,
            None,
        ),  # an order's label is no name
    ],
)
def test_names_of_forwarders_run_on_writers_and_not_of_labels(body, name, phone):
    doc = parse_document(mail("Fw: 问题", body, sender="qa@x.test"), "m.eml")
    assert (doc.value("customer_name"), doc.value("phone")) == (name, phone)


@pytest.mark.parametrize(
    "text, category",
    [
        (
            "洗衣机面板一直亮着童锁，按什么都没反应，是不是我设置错了？",
            "user_issue",
        ),  # a misunderstanding to explain
        (
            "The oven fan keeps running after I switch it off. Is this normal? I didn't know it was supposed to cool down.",
            "user_issue",
        ),
        ("维修单开了两周了，一直说缺配件，配件没到就没法修", "other"),  # parts supply
    ],
)
def test_a_misunderstanding_is_a_user_issue_and_parts_supply_is_other(text, category):
    assert read(text).category == category, read(text).fired


@pytest.mark.parametrize(
    "text, level",
    [
        (
            "本来想直接打12345的，想了想还是先给你们写信：烤箱门关不严",
            "grievance",
        ),  # an intention given up
        (
            "I was going to contact Trading Standards, but I'd rather you just fix the hinge",
            "grievance",
        ),
        ("油烟机开关有点接触不良，用起来有点危险，麻烦看看", "grievance"),  # a hedge needs company
        ("插座接口一插就冒火花，太危险了", "major"),  # danger said outright
        (
            "我在市中心医院上班，只有周末在家，热水器的事麻烦约周六",
            "grievance",
        ),  # where the writer works
        ("My daughter got a burn on her wrist from the toaster's side panel", "major"),
        ("洗碗机的篮子断了一根，想问问换一个多少钱", "grievance"),  # asking a price is no claim
    ],
)
def test_intentions_hedges_workplaces_and_questions_are_read_as_meant(text, level):
    assert read(text).level == level, read(text).fired


def test_slash_joined_references_are_masked_but_a_short_date_is_kept():
    assert prepare("against invoice 26/1087 of 11/20") == "against invoice § of 11/20"


# Whole everyday mails in fresh words (subject, body) → (level, category, line)
EVERYDAY = [
    (
        "交車時發現刮痕",
        "今天交車時發現後保險桿有一道明顯刮痕，業務說會處理，但我希望直接換一個新的保險桿。",
        ("complaint", "product_quality", "sales"),
    ),  # 保險桿 is a bumper, not insurance
    (
        "價格不符",
        "門市標價跟結帳價格不一樣，多收了我八百元，請退還差額。",
        ("complaint", "other", "sales"),
    ),
    (
        "維修人員遲到",
        "約好早上九點到府維修洗衣機，結果十一點多才來，也沒先打電話說會晚到。",
        ("grievance", "service", "after_sales"),
    ),
    (
        "手機過熱",
        "手機充電時燙到拿不住，有一次還聞到燒焦味，我很擔心會爆炸。",
        ("major", "product_quality", "after_sales"),
    ),
    (
        "Steering wheel shaking",
        "At motorway speed the steering wheel shakes violently. I don't feel safe driving it.",
        ("major", "product_quality", "after_sales"),
    ),
    (
        "Paint bubbling",
        "You resprayed the bonnet after the stone chip repair in August and the paint is now bubbling.",
        ("grievance", "repair_quality", "after_sales"),
    ),
    (
        "Out of spec",
        "Incoming inspection found the resistors in lot 4471 out of tolerance. We are rejecting the lot and require "
        "replacement within 5 days.",
        ("complaint", "product_quality", "sales"),
    ),
    (
        "Field failures",
        "We have had 14 field failures of the controller boards you supplied last spring. We need a root cause "
        "report and credit for the failed units.",
        ("complaint", "product_quality", "after_sales"),
    ),
    (
        "Slow repair",
        "I dropped my laptop off for a keyboard repair two weeks ago and still haven't heard anything. Can you give "
        "me an update?",
        ("grievance", "service", "after_sales"),
    ),
    (
        "到货破损",
        "今天收到的货，开箱发现五台显示器屏幕碎了，外箱也压坏了，请安排退款。",
        ("complaint", "product_quality", "sales"),
    ),
    (
        "空调漏水",
        "空调室内机漏水，滴在床头，我本来想打12315，后来想想还是先跟你们说。",
        ("grievance", "product_quality", "after_sales"),
    ),
    (
        "电动车电池鼓包",
        "电动车电池才用半年就鼓包了，充电的时候特别烫，我怕起火不敢再充了。",
        ("major", "product_quality", "after_sales"),
    ),
]


@pytest.mark.parametrize("subject, body, expected", EVERYDAY)
def test_everyday_mails_in_fresh_words(subject, body, expected):
    decision = read(body, title=subject)
    assert (decision.level, decision.category, decision.business_line) == expected, decision.fired


@pytest.mark.parametrize(
    "text, level",
    [
        (
            "I'm not going to call the police or post it on Facebook, I just want the lock fixed",
            "grievance",
        ),  # "or"
        ("我不会去找电视台或者打市长热线，只是希望尽快修好", "grievance"),
        (
            "我同事说要是她早就去找记者了，我觉得没必要，修好就行",
            "grievance",
        ),  # another's hypothetical
        (
            "If I were you I'd go to the papers, my neighbour said. I just want a new seal.",
            "grievance",
        ),
        ("要是这周还没人来，我就去找记者", "major"),  # the writer's own condition is a threat
    ],
)
def test_negation_through_or_and_anothers_hypothetical(text, level):
    assert read(text).level == level, read(text).fired


def test_a_false_friend_silences_its_own_group_only():
    # 事故车 is no safety hazard (the level's false friend), and still a car sold with an accident behind it
    decision = read("买的二手车后来查出来是事故车，销售当时说车况没问题，我要求退车")
    assert (decision.level, decision.category, decision.business_line) == (
        "complaint",
        "other",
        "sales",
    ), decision.fired


def test_a_component_named_is_no_fault_and_a_change_of_ones_own_is_no_repair():
    assert (
        read("送空调的两个送货员把楼道的灯撞坏了", title="投诉你们的送货员").business_line
        == "sales"
    )
    own_change = read(
        "我自己在网上买了机油，自己车上换的，换完跑了三千公里发动机拉缸", title="机油有问题"
    )
    assert own_change.category != "repair_quality", own_change.fired
