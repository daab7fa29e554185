"""Parsers on the real sample files, and on documents made here in other layouts."""

from __future__ import annotations

import io
import json
import zipfile
from email.message import EmailMessage

import docx
import openpyxl
import pytest

from parsers import parse_document
from parsers.limits import ParseLimits
from tests.accuracy import Score, is_ocr, score_one
from tests.conftest import SAMPLES, sample


def _text_answers() -> list:
    answers = []
    for path in sorted(SAMPLES.glob("*.expected.json")):
        expected = json.loads(path.read_text(encoding="utf-8"))
        if not is_ocr(expected, SAMPLES / expected["file"]):
            answers.append(path)
    return answers


TEXT_SAMPLES = _text_answers() if SAMPLES.is_dir() else []


def inspect_like(path):
    from processor.config import Config
    from processor.desk import Rulebook
    from processor.examining import as_json, examine

    return as_json(examine(path.read_bytes(), path.name, Rulebook.from_config(Config())))


@pytest.mark.parametrize("answer", TEXT_SAMPLES, ids=lambda p: p.name.split(".")[0])
def test_every_text_sample_gets_its_kind(answer):
    expected = json.loads(answer.read_text(encoding="utf-8"))
    result = inspect_like(SAMPLES / expected["file"])
    assert result["kind"] == expected["kind"]
    if expected.get("expect_error"):
        assert result["errors"], "a refused file must say why"
    if "case_ref" in expected:
        assert result["case_ref"] == expected["case_ref"]


@pytest.mark.slow  # every text sample
def test_field_f1_on_text_samples_is_at_least_0_95():
    if not TEXT_SAMPLES:
        pytest.skip("samples not available")
    score = Score()
    for answer in TEXT_SAMPLES:
        expected = json.loads(answer.read_text(encoding="utf-8"))
        score_one(score, expected, inspect_like(SAMPLES / expected["file"]))
    assert score.total.f1 >= 0.95, score.total


def test_gbk_mail_body_is_read_with_name_phone_and_quantity():
    doc = parse_document(sample("001-").read_bytes(), "001.eml")
    assert doc.kind == "complaint"
    assert doc.value("customer_name") == "沈伟"
    assert doc.value("phone") == "18743915000"
    assert (doc.value("quantity"), doc.value("unit")) == (22, "桶")
    assert doc.evidence == ["IMG_2980.jpg", "IMG_5607.jpg"]


def test_big5_mail_is_traditional_chinese():
    doc = parse_document(sample("012-").read_bytes(), "012.eml")
    assert doc.language == "zh-Hant"
    assert doc.value("customer_name") == "姚志強"


def test_forwarded_complaint_takes_the_original_senders_address():
    doc = parse_document(sample("015-").read_bytes(), "015.eml")
    assert doc.kind == "complaint"
    assert doc.value("email") == "zhou230@foxmail.com"
    assert doc.value("vin") == "LFV3ALVZTASRCYHP9"


def test_auto_reply_and_bounce_carry_no_customer_address():
    for name, kind in (("043-", "auto_reply"), ("045-", "bounce")):
        doc = parse_document(sample(name).read_bytes(), name)
        assert doc.kind == kind
        assert doc.value("email") is None


def make_mail(body: str, subject: str = "投诉", charset: str = "utf-8", **headers) -> bytes:
    message = EmailMessage()
    message["From"] = "王芳 <wang.fang@example.test>"
    message["To"] = "complaints@desk.test"
    message["Subject"] = subject
    for key, value in headers.items():
        message[key.replace("_", "-")] = value
    message.set_content(body, charset=charset)
    return bytes(message)


def test_label_lines_in_a_mail_body_are_read_in_any_order():
    body = "客户姓名：王芳\n联系电话：021-6543 2100\n产品名称：电热水壶\n型号：KT-15\n问题描述：用了一周就漏电，很危险。\n"
    doc = parse_document(make_mail(body), "m.eml")
    assert (
        doc.field_values.items()
        >= {
            "customer_name": "王芳",
            "phone": "02165432100",
            "product_name": "电热水壶",
            "product_model": "KT-15",
        }.items()
    )


def test_reply_with_case_number_in_subject_is_a_reply_not_a_complaint():
    doc = parse_document(
        make_mail(
            "请问进度如何？\n\n-----原始邮件-----\n发件人: desk\n投诉内容：xxx",
            subject="Re: [CS-2611-0042] 您的投诉已受理",
        ),
        "r.eml",
    )
    assert (doc.kind, doc.case_ref) == ("reply", "CS-2611-0042")


def test_unsatisfied_callback_answer_is_recognised():
    doc = parse_document(
        make_mail("对处理结果不满意，问题还在。", subject="回复：[CS-2611-0007] 回访"), "c.eml"
    )
    assert (doc.kind, doc.value("satisfied")) == ("callback", False)


def test_precedence_bulk_mail_is_an_auto_reply():
    doc = parse_document(make_mail("newsletter", subject="News", Precedence="bulk"), "n.eml")
    assert doc.kind == "auto_reply"


def docx_bytes(rows: list[list[str]], title: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(title)
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_four_column_docx_form_in_english_labels():
    data = docx_bytes(
        [
            ["Customer name", "John Lee", "Phone", "+44 20 7946 0958"],
            ["Product", "Water heater", "Model", "WH-200"],
            ["Purchase date", "March 3, 2026", "Request", "refund please"],
        ],
        "Customer complaint form",
    )
    doc = parse_document(data, "form.docx")
    assert doc.kind == "complaint"
    assert (
        doc.field_values.items()
        >= {
            "customer_name": "John Lee",
            "phone": "+442079460958",
            "product_name": "Water heater",
            "product_model": "WH-200",
            "purchase_date": "2026-03-03",
            "request": "return",
        }.items()
    )


def test_xlsx_with_header_further_down_and_text_numbers():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["退换货申请"])
    sheet.append(["经销商名称", "测试商行", "客户代码", "T-01"])
    sheet.append([])
    sheet.append(
        ["订单号", "物料编码", "品名", "规格型号", "数量", "单价", "金额", "退货原因", "处理方式"]
    )
    sheet.append(["PO-1", "X-1", "机油", "4L", "12", "10.5", "126", "运输破损", "退货"])
    sheet.append(["合计", None, None, None, "12", None, "126"])
    out = io.BytesIO()
    workbook.save(out)
    doc = parse_document(out.getvalue(), "sheet.xlsx")
    assert doc.kind == "return_sheet"
    assert doc.field_values.items() >= {"company": "测试商行", "dealer_code": "T-01"}.items()
    assert doc.lines == [
        {
            "order_no": "PO-1",
            "part_no": "X-1",
            "product_name": "机油",
            "spec": "4L",
            "quantity": 12,
            "unit_price": 10.5,
            "amount": 126.0,
            "reason": "transport_damage",
            "action": "return",
        }
    ]


def test_zip_bomb_docx_is_refused_with_a_reason():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<a>" + b" " * (50 * 1024 * 1024) + b"</a>")
    doc = parse_document(
        out.getvalue(), "bomb.docx", ParseLimits(max_unzipped_bytes=10 * 1024 * 1024)
    )
    assert doc.kind == "unknown"
    assert "unsafe" in doc.errors[0] or "unpacks" in doc.errors[0]


def test_oversized_file_is_refused_before_parsing():
    doc = parse_document(b"x" * 5000, "big.txt", ParseLimits(max_file_bytes=1024))
    assert doc.errors and "over the limit" in doc.errors[0]


def test_attachment_file_name_with_a_path_is_cut_to_its_last_part():
    message = EmailMessage()
    message["From"] = "a@example.test"
    message["Subject"] = "投诉"
    message.set_content("见附件")
    message.add_attachment(
        b"hello", maintype="application", subtype="octet-stream", filename="../../etc/passwd"
    )
    doc = parse_document(bytes(message), "p.eml")
    assert [a.file for a in doc.attachments] == ["passwd"]
