"""Each quirk the parsers promise to handle, on files made here the way real senders make them:
raw MIME with the charsets and encodings mail programs really use, Word files with the
structures Word really writes, workbooks and hostile containers."""

from __future__ import annotations

import base64
import io
import shutil
import subprocess
import zipfile
from email.header import Header
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.oxml import parse_xml

from parsers import parse_document
from parsers.limits import ParseLimits

COMPLAINT = (
    "投诉人：王喆\n联系电话：138 0013 8000\n产品名称：机油\n投诉内容：机油桶破损漏油，要求换货。\n"
)
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def raw_mail(
    headers: dict[str, str], body: bytes, content_type: str = "text/plain", cte: str = "8bit"
) -> bytes:
    head = {
        "From": "客户 <kehu@example.test>",
        "To": "complaints@desk.localhost",
        "Subject": "投诉",
        "Message-ID": "<m1@example.test>",
        "Date": "Mon, 16 Nov 2026 09:00:00 +0800",
        "MIME-Version": "1.0",
        "Content-Type": content_type,
        "Content-Transfer-Encoding": cte,
    }
    head.update(headers)
    lines = [f"{name}: {value}" for name, value in head.items() if value is not None]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape") + body


def docx_of(build) -> bytes:  # noqa: ANN001
    document = docx.Document()
    build(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- mail: charsets and names


def test_gb2312_label_is_read_as_gb18030_for_characters_outside_gb2312():
    data = raw_mail({"Content-Type": 'text/plain; charset="gb2312"'}, COMPLAINT.encode("gbk"))
    doc = parse_document(data, "m.eml")
    assert doc.value("customer_name") == "王喆"
    assert doc.value("phone") == "13800138000"


def test_big5_label_is_read_as_big5hkscs():
    body = "投訴人：陳峯\n聯絡電話：0912-345-678\n產品名稱：熱水器\n投訴內容：熱水器漏水。\n"
    data = raw_mail({"Content-Type": "text/plain; charset=big5"}, body.encode("big5hkscs"))
    doc = parse_document(data, "m.eml")
    assert doc.value("customer_name") == "陳峯"
    assert doc.language == "zh-Hant"


def test_body_without_a_charset_is_detected():
    data = raw_mail({"Content-Type": "text/plain"}, COMPLAINT.encode("gb18030"))
    doc = parse_document(data, "m.eml")
    assert doc.value("customer_name") == "王喆"


def test_mislabelled_charset_falls_back_to_what_the_bytes_are():
    data = raw_mail({"Content-Type": "text/plain; charset=us-ascii"}, COMPLAINT.encode("utf-8"))
    doc = parse_document(data, "m.eml")
    assert doc.value("customer_name") == "王喆"


def test_raw_8bit_subject_and_encoded_word_subject_are_decoded():
    raw = raw_mail(
        {"Subject": "投诉：机油漏油".encode("gbk").decode("ascii", "surrogateescape")},
        COMPLAINT.encode("gbk"),
    )
    assert parse_document(raw, "m.eml").title == "投诉：机油漏油"
    encoded = Header("投訴：機油漏油", "big5").encode()
    assert (
        parse_document(raw_mail({"Subject": encoded}, b"hello"), "m.eml").title == "投訴：機油漏油"
    )


def _form_docx() -> bytes:
    def build(document):  # noqa: ANN001
        document.add_paragraph("客户投诉登记表")
        table = document.add_table(rows=3, cols=2)
        for row, (label, value) in zip(
            table.rows,
            [("投诉人", "李雷"), ("联系电话", "13900001111"), ("产品名称", "空调")],
            strict=False,
        ):
            row.cells[0].text, row.cells[1].text = label, value

    return docx_of(build)


def _mail_with_attachment(disposition: str) -> bytes:
    outer = MIMEMultipart()
    outer["From"] = "dealer@example.test"
    outer["Subject"] = "投诉单"
    outer.attach(MIMEText("请查收附件。", "plain", "utf-8"))
    part = MIMEApplication(
        _form_docx(), "vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    part["Content-Disposition"] = disposition
    outer.attach(part)
    return outer.as_bytes()


def test_rfc2231_attachment_name_is_decoded_and_the_form_adopted():
    doc = parse_document(
        _mail_with_attachment("attachment; filename*=utf-8''%E6%8A%95%E8%AF%89%E5%8D%95.docx"),
        "m.eml",
    )
    assert [a.file for a in doc.attachments] == ["投诉单.docx"]
    assert doc.kind == "complaint"
    assert doc.value("customer_name") == "李雷"


def test_outlook_encoded_word_inside_a_filename_parameter_is_decoded():
    name = base64.b64encode("投诉单.docx".encode("gb2312")).decode()
    doc = parse_document(
        _mail_with_attachment(f'attachment; filename="=?gb2312?B?{name}?="'), "m.eml"
    )
    assert [a.file for a in doc.attachments] == ["投诉单.docx"]
    assert doc.value("phone") == "13900001111"


# ---------------------------------------------------------------- mail: bodies


def test_html_only_body_is_read_as_text():
    html = (
        "<html><head><style>p{color:red}</style></head><body><p>投诉人：王喆</p><div>联系电话：13800138000</div>"
        "<table><tr><td>产品名称：</td><td>机油</td></tr></table><p>投诉内容：漏油&amp;破损</p><script>x=1</script></body></html>"
    )
    doc = parse_document(
        raw_mail({"Content-Type": "text/html; charset=utf-8"}, html.encode()), "m.eml"
    )
    assert doc.value("customer_name") == "王喆"
    assert doc.value("product_name") == "机油"
    assert "color" not in doc.text and "x=1" not in doc.text


def test_multipart_alternative_reads_the_plain_part_once():
    outer = MIMEMultipart("alternative")
    outer["From"] = "kehu@example.test"
    outer["Subject"] = "投诉"
    outer.attach(MIMEText(COMPLAINT, "plain", "utf-8"))
    outer.attach(MIMEText("<p>" + COMPLAINT.replace("\n", "<br>") + "</p>", "html", "utf-8"))
    doc = parse_document(outer.as_bytes(), "m.eml")
    assert doc.text.count("王喆") == 1
    assert doc.value("request") == "exchange"


def test_forwarded_message_rfc822_attachment_gives_the_original_complaint():
    inner = EmailMessage()
    inner["From"] = "原客户 <yuan@example.test>"
    inner["Subject"] = "投诉：热水器漏水"
    inner.set_content(
        "投诉人：赵敏\n联系电话：13700001234\n产品名称：热水器\n投诉内容：热水器漏水，要求维修。"
    )
    outer = MIMEMultipart()
    outer["From"] = "dealer@example.test"
    outer["Subject"] = "Fwd: 投诉：热水器漏水"
    outer.attach(MIMEText("转给售后处理。", "plain", "utf-8"))
    outer.attach(MIMEMessage(inner))
    doc = parse_document(outer.as_bytes(), "m.eml")
    assert doc.kind == "complaint"
    assert doc.value("customer_name") == "赵敏"
    assert doc.value("email") == "yuan@example.test"


def test_quoted_original_and_signature_stay_out_of_the_description():
    body = (
        "您好：\n空调外机噪音很大，晚上无法入睡，要求上门维修。\n\n-- \n王喆\n销售部 13800138000\n\n"
        "在 2026年11月15日 10:00, desk 写道：\n> 投诉人：别人\n> 投诉内容：旧的问题\n"
    )
    doc = parse_document(
        raw_mail({"Content-Type": "text/plain; charset=utf-8"}, body.encode()), "m.eml"
    )
    description = doc.value("description")
    assert "噪音" in description
    assert "旧的问题" not in description and "销售部" not in description
    assert doc.value("customer_name") != "别人"


def test_in_reply_to_our_message_id_makes_a_reply_to_that_case():
    data = raw_mail(
        {
            "Subject": "Re: 您的来信",
            "In-Reply-To": "<cs-2611-0042.ack.k3j2@desk.localhost>",
            "Content-Type": "text/plain; charset=utf-8",
        },
        "补充一张照片，请查收。".encode(),
    )
    doc = parse_document(data, "m.eml")
    assert (doc.kind, doc.case_ref) == ("reply", "CS-2611-0042")


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Autoreply": "yes"},
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "junk"},
        {"Subject": "=?utf-8?b?" + base64.b64encode("自动回复：投诉".encode()).decode() + "?="},
        {"Subject": "Out of Office: complaint"},
    ],
    ids=["x-autoreply", "auto-submitted", "precedence", "zh-subject", "en-subject"],
)
def test_auto_replies_are_recognised_by_header_or_subject(headers):
    data = raw_mail({**headers, "Content-Type": "text/plain; charset=utf-8"}, COMPLAINT.encode())
    doc = parse_document(data, "m.eml")
    assert doc.kind == "auto_reply"
    assert "email" not in doc.fields


def test_delivery_status_report_is_a_bounce():
    boundary = "dsn-boundary"
    body = (
        f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nThis is the mail system. I'm sorry to have to inform you...\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.test\r\n\r\n"
        "Final-Recipient: rfc822; gone@example.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    data = raw_mail(
        {
            "From": "Mail Delivery System <postmaster@mx.example.test>",
            "Subject": "Undelivered Mail Returned to Sender",
            "Auto-Submitted": None,
        },
        body,
        f'multipart/report; report-type=delivery-status; boundary="{boundary}"',
    )
    doc = parse_document(data, "m.eml")
    assert doc.kind == "bounce"
    assert "email" not in doc.fields


# ---------------------------------------------------------------- Word


def test_docx_merged_cells_four_columns_and_a_nested_table():
    def build(document):  # noqa: ANN001
        document.add_paragraph("客户投诉处理单")
        table = document.add_table(rows=3, cols=4)
        cells = [
            ["投诉人", "周杰", "联系电话", "13612345678"],
            ["产品名称", "洗衣机", "型号", "XQB-80"],
            ["投诉内容", "", "", ""],
        ]
        for row, values in zip(table.rows, cells, strict=False):
            for cell, value in zip(row.cells, values, strict=False):
                cell.text = value
        merged = table.cell(2, 1).merge(table.cell(2, 3))
        merged.text = "洗衣机脱水时剧烈晃动。"
        inner = table.cell(0, 0).add_table(rows=1, cols=2)
        inner.cell(0, 0).text, inner.cell(0, 1).text = "购买日期", "2026年5月1日"

    doc = parse_document(docx_of(build), "f.docx")
    assert (
        doc.field_values.items()
        >= {
            "customer_name": "周杰",
            "phone": "13612345678",
            "product_name": "洗衣机",
            "product_model": "XQB-80",
            "description": "洗衣机脱水时剧烈晃动。",
            "purchase_date": "2026-05-01",
        }.items()
    )


def test_docx_text_box_content_control_and_legacy_form_fields():
    def build(document):  # noqa: ANN001
        document.add_paragraph("客户投诉登记表")
        body = document.element.body
        textbox = parse_xml(
            f'<w:p {W} xmlns:v="urn:schemas-microsoft-com:vml"><w:r><w:pict><v:shape><v:textbox><w:txbxContent>'
            "<w:p><w:r><w:t>投诉人：孙丽</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></w:r></w:p>"
        )
        control = parse_xml(
            f'<w:sdt {W}><w:sdtPr><w:alias w:val="phone"/></w:sdtPr><w:sdtContent>'
            "<w:p><w:r><w:t>联系电话：</w:t></w:r><w:r><w:t>13511112222</w:t></w:r></w:p></w:sdtContent></w:sdt>"
        )
        legacy_text = parse_xml(
            f'<w:p {W}><w:r><w:t xml:space="preserve">产品名称：</w:t></w:r>'
            '<w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="Text1"/><w:textInput/></w:ffData></w:fldChar></w:r>'
            '<w:r><w:instrText> FORMTEXT </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>'
            '<w:r><w:t>电冰箱</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
        )
        legacy_box = parse_xml(
            f'<w:p {W}><w:r><w:t xml:space="preserve">客户要求：</w:t></w:r>'
            '<w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:checkBox><w:default w:val="0"/></w:checkBox></w:ffData></w:fldChar></w:r>'
            "<w:r><w:t>退货 </w:t></w:r>"
            '<w:r><w:fldChar w:fldCharType="begin"><w:ffData><w:checkBox><w:default w:val="0"/><w:checked/></w:checkBox></w:ffData></w:fldChar></w:r>'
            "<w:r><w:t>维修</w:t></w:r></w:p>"
        )
        for element in (textbox, control, legacy_text, legacy_box):
            body.insert(len(body) - 1, element)

    doc = parse_document(docx_of(build), "f.docx")
    assert (
        doc.field_values.items()
        >= {
            "customer_name": "孙丽",
            "phone": "13511112222",
            "product_name": "电冰箱",
            "request": "repair",
        }.items()
    )


@pytest.mark.parametrize(
    "ticked, empty, expected",
    [
        ("☑", "□", True),
        ("■", "□", True),
        ("√", "□", True),
        ("✔", "☐", True),
        ("☒", "☐", True),
        ("[x]", "[ ]", True),
        ("□", "☑", False),
    ],
)
def test_check_box_marks_of_every_kind(ticked, empty, expected):
    def build(document):  # noqa: ANN001
        document.add_paragraph("售后服务信息反馈单")
        table = document.add_table(rows=2, cols=2)
        table.cell(0, 0).text, table.cell(0, 1).text = (
            "1. 本次工作是否完成",
            f"{ticked}是  {empty}否",
        )
        table.cell(1, 0).text, table.cell(1, 1).text = (
            "5. 是否进行了培训",
            f"{empty}是  {ticked}没有",
        )

    doc = parse_document(docx_of(build), "f.docx")
    assert doc.kind == "feedback_form"
    assert doc.value("work_completed") is expected
    assert doc.value("training_given") is (not expected)


def test_word_checkbox_control_and_symbol_font_boxes():
    def build(document):  # noqa: ANN001
        document.add_paragraph("售后服务三包材料退换鉴定单")
        body = document.element.body
        w14 = 'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml"'
        verdict = parse_xml(
            f"<w:p {W} {w14}><w:r><w:t>鉴定结论：</w:t></w:r>"
            '<w:sdt><w:sdtPr><w14:checkbox><w14:checked w14:val="0"/></w14:checkbox></w:sdtPr>'
            "<w:sdtContent><w:r><w:t>☐</w:t></w:r></w:sdtContent></w:sdt><w:r><w:t>属质量问题 </w:t></w:r>"
            '<w:sdt><w:sdtPr><w14:checkbox><w14:checked w14:val="1"/></w14:checkbox></w:sdtPr>'
            "<w:sdtContent><w:r><w:t>☒</w:t></w:r></w:sdtContent></w:sdt><w:r><w:t>非质量问题</w:t></w:r></w:p>"
        )
        duty = parse_xml(
            f'<w:p {W}><w:r><w:t>责任判定：</w:t></w:r><w:r><w:sym w:font="Wingdings" w:char="F0FE"/></w:r>'
            '<w:r><w:t>自制件 </w:t></w:r><w:r><w:sym w:font="Wingdings" w:char="F0A8"/></w:r><w:r><w:t>外购件</w:t></w:r></w:p>'
        )
        for element in (verdict, duty):
            body.insert(len(body) - 1, element)

    doc = parse_document(docx_of(build), "v.docx")
    assert doc.kind == "inspection"
    assert (doc.value("verdict"), doc.value("responsibility")) == ("non_quality", "own_part")


def test_doc_named_file_that_is_really_docx_is_read_by_its_bytes():
    doc = parse_document(_form_docx(), "投诉单.doc")
    assert (doc.format, doc.value("customer_name")) == ("docx", "李雷")


def _binary_doc(tmp_path: Path) -> bytes:
    def build(document):  # noqa: ANN001
        for line in (
            "客户投诉登记表",
            "投诉人：李雷",
            "联系电话：13900001111",
            "产品名称：空调",
            "投诉内容：空调不制冷，要求维修。",
        ):
            document.add_paragraph(line)

    source = tmp_path / "form.docx"
    source.write_bytes(docx_of(build))
    subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--convert-to",
            "doc",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return (tmp_path / "form.doc").read_bytes()


@pytest.mark.slow  # LibreOffice
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is installed by .ci/run")
def test_binary_doc_is_converted_with_libreoffice_or_refused_politely(tmp_path):
    data = _binary_doc(tmp_path)
    assert data.startswith(b"\xd0\xcf\x11\xe0")
    doc = parse_document(data, "投诉单.doc")
    assert (doc.format, doc.kind, doc.value("customer_name"), doc.value("phone")) == (
        "doc",
        "complaint",
        "李雷",
        "13900001111",
    )
    refused = parse_document(data, "投诉单.doc", ParseLimits(convert_doc=False))
    assert refused.kind == "unknown"
    assert ".docx or PDF" in refused.errors[0]


# ---------------------------------------------------------------- Excel


def test_xlsx_finds_the_right_sheet_merged_header_fields_dates_and_skips_totals():
    workbook = openpyxl.Workbook()
    notes = workbook.active
    notes.title = "填表说明"
    notes.append(["请按下表填写，每行一个料号。"])
    sheet = workbook.create_sheet("明细")
    sheet.append(["调退货明细表"])
    sheet.merge_cells("A1:H1")
    sheet.append(
        ["经销商名称", "合肥顺达商贸", None, "经销商代码", "HF-09", None, "填表日期", "2026/11/20"]
    )
    sheet.merge_cells("B2:C2")
    sheet.append(["订单号", "料号", "品名", "数量", "单价", "金额", "发货日期", "退货原因"])
    sheet.append(["SO-1", "P-1", "防冻液", 10, 20, 200, 46300, "不适销"])
    sheet.append([None] * 8)
    sheet.append(["SO-2", "P-2", "机油", "5", "30", "150", "2026年10月2日", "质量问题"])
    sheet.append(["合计", None, None, 15, None, 350])
    out = io.BytesIO()
    workbook.save(out)
    doc = parse_document(out.getvalue(), "r.xlsx")
    assert doc.kind == "return_sheet"
    assert (
        doc.field_values.items()
        >= {"company": "合肥顺达商贸", "dealer_code": "HF-09", "sheet_date": "2026-11-20"}.items()
    )
    assert [
        (line["order_no"], line["quantity"], line["ship_date"], line["reason"])
        for line in doc.lines
    ] == [("SO-1", 10, "2026-10-05", "unsaleable"), ("SO-2", 5, "2026-10-02", "quality")]


def test_xls_sample_is_read_with_xlrd():
    from tests.conftest import sample

    doc = parse_document(sample("033-return-sheet.xls").read_bytes(), "033-return-sheet.xls")
    assert (doc.format, doc.kind) == ("xls", "return_sheet")
    assert doc.lines and all("part_no" in line and "quantity" in line for line in doc.lines)


def test_text_pdf_table_becomes_lines():
    from tests.conftest import sample

    doc = parse_document(sample("034-return-sheet.pdf").read_bytes(), "034-return-sheet.pdf")
    assert (doc.format, doc.kind) == ("pdf", "return_sheet")
    assert len(doc.lines) >= 2 and all(line.get("quantity") for line in doc.lines)


# ---------------------------------------------------------------- hostile containers


def test_xml_entity_declarations_in_an_office_file_are_refused():
    source = zipfile.ZipFile(io.BytesIO(_form_docx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                data = data.replace(
                    b"?>", b'?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>', 1
                )
            target.writestr(info, data)
    doc = parse_document(out.getvalue(), "lol.docx")
    assert doc.kind == "unknown"
    assert "unsafe" in doc.errors[0] and "word/document.xml" in doc.errors[0]


@pytest.mark.slow  # waits out a time limit
def test_a_document_over_its_wall_time_is_stopped_with_a_reason():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["订单号", "料号", "品名", "数量"])
    for number in range(20000):
        sheet.append([f"SO-{number}", f"P-{number}", "机油", number % 9 + 1])
    out = io.BytesIO()
    workbook.save(out)
    doc = parse_document(out.getvalue(), "huge.xlsx", ParseLimits(max_seconds=0.05))
    assert doc.kind == "unknown"
    assert "took more than" in doc.errors[0]
    assert parse_document(out.getvalue(), "huge.xlsx").lines  # within the default limit it is read
