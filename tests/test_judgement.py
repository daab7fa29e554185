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


LEXICON_ONLY = RULES.model_copy(update={"wording": Wording(enabled=False)})  # the lexicon's own mechanism


def judge(text: str, title: str = "", rules=RULES):  # noqa: ANN001
    doc = ParsedDocument(file="m.eml", format="eml", kind="complaint", title=title)
    doc.text = text
    return decide(doc, rules, CALENDAR, MONDAY)


def mail(subject: str, body: str, sender: str = "王秀兰 <wxl@example.test>", charset: str = "utf-8") -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "complaints@desk.localhost", subject
    message["Message-ID"] = f"<{abs(hash((subject, body)))}@example.test>"
    message.set_content(body, charset=charset)
    return bytes(message)


# ── normalising and masking
def test_normalise_makes_full_width_half_width_traditional_simplified_and_lower_case():
    assert normalise("ＡＢＣ１２３１５ 媒體曝光 TV") == "abc12315 媒体曝光 tv"


@pytest.mark.parametrize("text", ["13912345678", "SO2612315", "8812 3459 0001", "PO-2610-088", "2026-11-20",
                                  "订单号JD261231508", "一米120元", "开到120码", "wang12315@163.com"])
def test_identifiers_are_masked_so_no_hotline_number_is_left(text):
    masked = mask(normalise(text))
    assert not any(number in masked for number in ("12315", "110", "120")), masked


def test_a_number_of_its_own_and_a_typists_gap_are_kept():
    assert "12315" in prepare("我已经打了12315") and "12315" in prepare("拨打1231 5投诉")


# ── the matcher
LEXICON = Lexicon([Term("sue", "law", 2), Term("court", "law", 2), Term("12315", "gov", 2), Term("报警", "police", 2),
                   Term("冰箱报警", "police", ignore=True), Term("injur*", "injury", 2), Term("受伤", "injury", 2),
                   Term("要求赔偿", "claim", 2), Term("媒体", "media", 2)])


def found(text: str) -> list[tuple[str, bool]]:
    return [(hit.written, hit.negated) for hit in LEXICON.find(prepare(text))]


def test_english_matches_whole_words_only():
    assert found("this issue is not courteous") == []
    assert found("We will sue you in court") == [("sue", False), ("court", False)]
    assert found("my son was injured") == [("injur*", False)]


def test_a_longer_ignore_term_silences_the_signal_it_covers():
    assert found("冰箱报警了") == [] and found("我去报警了") == [("报警", False)]


@pytest.mark.parametrize("text, negated", [
    ("没有人受伤", True), ("我不会去找媒体", True), ("我不要求赔偿", True), ("No one was injured", True),
    ("孩子受伤了", False), ("如果再不处理我就去12315", False), ("不然我就找媒体", False),
    ("If you do not fix it I will sue", False), ("东西坏了，不过没人受伤", True),
])
def test_negation_reaches_within_its_clause_and_not_past_a_condition(text, negated):
    hits = LEXICON.find(prepare(text))
    assert hits and all(hit.negated == negated for hit in hits), hits


# ── scoring and explanations
def test_a_decision_explains_itself_with_the_signals_found_and_negated():
    decision = judge("热水器漏水，没有人受伤，我不会去找媒体。")
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
    ("我的电话13912345678，订单SO2612315，序列号8812 3459 0001，屏幕有竖线", "grievance", "product_quality", None),
    ("This issue is not resolved. The courteous staff could not fix the noise.", "grievance", None, None),
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
    got = (decision.level if level else None, decision.category if category else None,
           decision.business_line if line else None)
    assert got == (level, category, line), decision.fired


def test_traditional_chinese_and_english_are_judged_alike():
    assert judge("女兒被燙傷住院了").level == "major"
    assert judge("My daughter was burned by the kettle and is in hospital").level == "major"
    assert judge("I will not contact the media, just fix the washer").level == "grievance"


# ── the kind of a mail, callback answers
def test_a_short_plain_complaint_is_a_complaint_in_the_senders_language():
    doc = parse_document(mail("热水器坏了", "你们的热水器买了不到一个月就坏了，太失望了，请尽快处理。"), "m.eml")
    assert (doc.kind, doc.language) == ("complaint", "zh-Hans")


@pytest.mark.parametrize("subject, body", [
    ("订单 PO-2610-088 打印机故障", "区政务服务中心的打印机卡纸，金额 3000 元，单价 1500 元，疑似质量问题。"),
    ("RMA-2610-027", "退回的配件又坏了，请处理。"),
    ("追尾以后", "被后车追尾，交警定了责任，修好以后后备箱一直漏水。"),
])
def test_order_numbers_amounts_and_form_words_do_not_make_another_kind(subject, body):
    doc = parse_document(mail(subject, body), "m.eml")
    assert (doc.kind, doc.case_ref) == ("complaint", None)


def test_only_our_case_number_pattern_makes_a_reply():
    assert parse_document(mail("Re: [CS-2611-0042] 您的投诉已受理", "补充一张照片"), "r.eml").case_ref == "CS-2611-0042"


@pytest.mark.parametrize("body, verdict, courtesy", [
    ("谈不上满意，师傅根本没来", False, False),
    ("还是老样子，一点改善都没有", False, False),
    ("差评", False, False),
    ("挺好的，谢谢", True, False),
    ("收到了，谢谢！", None, True),
    ("Not happy with it, the noise is still there", False, False),
])
def test_callback_answers_are_judged_with_negation(body, verdict, courtesy):
    doc = parse_document(mail("Re: [CS-2611-0042] 回访", body), "c.eml")
    assert doc.kind == "callback"
    assert doc.value("satisfied") is verdict and doc.meta["courtesy"] is courtesy


# ── fields from prose
@pytest.mark.parametrize("body, sender, name, phone", [
    ("My washing machine leaks.\n\nRegards,\nJohn Smith\n+86 139 0000 2222", "js <js@x.test>", "John Smith", "13900002222"),
    ("洗衣机漏水，请安排上门。\n\n鸿达汽配 采购主管 葛建平\n手机 139 5813 2276", "采购部 <cg@x.test>", "葛建平", "13958132276"),
    ("冷氣一直滴水。\n電話 04-2452-7713 黃先生", "mr.huang56@x.test", "黃先生", "0424527713"),
    ("空调不制冷，订单号 20261105123。", "李建国 <l@x.test>", "李建国", None),
])
def test_names_and_phones_from_prose_signatures_and_the_display_name(body, sender, name, phone):
    doc = parse_document(mail("故障", body, sender=sender), "m.eml")
    assert (doc.value("customer_name"), doc.value("phone")) == (name, phone)


# ── rules replay: what a changed rule file would judge otherwise; nothing changes
def test_rules_replay_lists_changed_cases_with_the_signals_and_changes_nothing(desk, tmp_path):
    from processor.pipeline import Incoming, process
    from processor.replay import replay

    process(desk, Incoming("test", "a.eml", "a.eml", mail("洗衣机", "洗衣机转起来嘎吱嘎吱的，麻烦看看。")))
    process(desk, Incoming("test", "b.eml", "b.eml", mail("冰箱", "冰箱不制冷了，请派人上门。")))
    text = (ROOT / "processor" / "data" / "rules.toml").read_text(encoding="utf-8")
    widened = text.replace('signals = ["12315", "12345",', 'signals = ["嘎吱", "12315", "12345",')
    widened = widened[:widened.index("[wording]")] + "[wording]\nenabled = false\n"  # the lexicon's change alone
    (tmp_path / "new.toml").write_text(widened, encoding="utf-8")
    changes = list(replay(desk, load_rules(tmp_path / "new.toml")))
    assert len(changes) == 1 and changes[0].changes["level"] == ("grievance", "major")
    assert any("嘎吱" in line for line in changes[0].why)
    with desk.store.transaction() as session:
        from sqlalchemy import select

        from processor.store.models import Case
        assert sorted(case.level for case in session.scalars(select(Case))) == ["grievance", "grievance"]


@pytest.mark.slow  # the command as a process
def test_rules_replay_needs_a_rule_file(tmp_path):
    result = subprocess.run([sys.executable, "-m", "processor", "rules", "replay"], capture_output=True,
                            text=True, cwd=ROOT)
    assert result.returncode != 0 and "rule file" in result.stderr


# ── the free-text corpus against "Done when"
def test_the_corpus_mails_build_as_real_messages_in_their_charsets():
    mails = corpus_mails(CORPUS, "dev")
    assert mails, "no dev corpus"
    for corpus_mail in mails:
        built = build_message(corpus_mail)
        assert corpus_mail.get("charset", "utf-8").lower() in built.decode("ascii", "replace").lower()


@pytest.mark.slow  # the free-text corpus
@pytest.mark.xfail(strict=True, reason="below the 'Done when' targets on the holdout set (see make accuracy)")
def test_the_corpus_meets_the_done_when_targets():
    command = [sys.executable, "-m", "processor"]
    for set_name in ("dev", "holdout"):
        score = evaluate_corpus(CORPUS, set_name, command)
        assert score is not None
        figures = score.figures()
        below = {name: round(figures[name], 3) for name, target in TARGETS.items() if figures[name] < target}
        assert not below, f"{set_name}: below target: {json.dumps(below)}"


def test_a_product_named_only_in_prose_is_read_with_lowered_confidence():
    doc = parse_document(mail("热水器坏了", "你们的热水器买了不到一个月就坏了，请尽快处理。"), "m.eml")
    assert doc.value("product_name") == "热水器" and doc.fields["product_name"].confidence < 0.8
    english = parse_document(mail("Leak", "My washing machine leaks.\n\nJohn Smith", sender="js@x.test"), "m.eml")
    assert english.value("product_name") == "washing machine"


# ── combinations: evidence that needs its parts together (issue 16, category per meaning)
@pytest.mark.parametrize("text, category", [
    ("空调师傅上个月来加过一次氟，说好了，结果一个礼拜又不凉了", "repair_quality"),  # work done + back again
    ("You replaced the drop links on Tuesday, and by Thursday the clunk was back.", "repair_quality"),
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
])
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
    result = subprocess.run([sys.executable, "-m", "processor", "rules", "check", str(target)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode != 0 and "agian" in result.stderr + result.stdout


# ── a purchase date written in words, relative to the mail's Date
@pytest.mark.parametrize("text, day", [
    ("上个月买的洗衣机", "2026-10-15"), ("我10月中旬提的车", "2026-10-15"), ("去年双十一在京东买的", "2025-11-11"),
    ("冰箱买了三个月就坏了", "2026-08-20"), ("上週在門市買的", "2026-11-13"), ("I bought it last month", "2026-10-15"),
    ("purchased three weeks ago", "2026-10-30"), ("bought in early March last year", "2025-03-05"),
    ("热水器用了两年", None), ("我上个月打过电话", None), ("12月买的", "2025-12-15"),
])
def test_a_purchase_date_in_words_is_a_day_relative_to_the_mail(text, day):
    from parsers.purchase_dates import purchase_date_in_words

    found = purchase_date_in_words(text, datetime(2026, 11, 20).date())
    assert (found.isoformat() if found else None) == day


def test_a_mail_with_a_purchase_date_in_words_has_it_with_lowered_confidence():
    message = mail("洗衣机漏水", "洗衣机是上个月买的，现在漏水。\n王秀兰")
    message = message.replace(b"Subject:", b"Date: Fri, 20 Nov 2026 10:00:00 +0800\nSubject:", 1)
    doc = parse_document(message, "m.eml")
    assert doc.value("purchase_date") == "2026-10-15" and doc.fields["purchase_date"].confidence < 0.5


def test_a_product_of_the_master_data_named_in_prose_is_that_product(desk):
    from processor.examining import match_master_data
    from processor.store.models import Product

    with desk.store.transaction() as session:
        session.add_all([Product(part_no="SVW-LV-2026", name="朗逸"), Product(part_no="PB52708", name="通信模块板"),
                         Product(part_no="X1", name="车")])  # too short to be taken for a word of prose
    by_name = parse_document(mail("变速箱异响", "我的朗逸开了两万公里，变速箱一直响。\n王秀兰"), "m.eml")
    assert by_name.value("product_name") is None
    match_master_data(desk, by_name)
    assert by_name.value("product_name") == "朗逸" and by_name.value("product_model") == "SVW-LV-2026"
    by_part = parse_document(mail("模块不良", "贵司发来的pb52708有三块上电就重启。"), "m.eml")
    match_master_data(desk, by_part)
    assert by_part.value("product_name") == "通信模块板" and by_part.fields["product_name"].source == "master data"
    unknown = parse_document(mail("热水器坏了", "你们的热水器坏了。"), "m.eml")
    match_master_data(desk, unknown)
    assert unknown.value("product_name") == "热水器" and unknown.value("product_model") is None
