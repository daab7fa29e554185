"""OCR of faxes, scans and photos, on the scanned samples and on pages changed here the way
faxes and phones change them: Group 4 TIFF, an upside-down page, a photo without a form."""

from __future__ import annotations

import email
import io
from email import policy
from email.message import EmailMessage
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from parsers import ocr, parse_document, scan
from processor.cli import main
from processor.config import load_config
from processor.desk import Desk
from processor.pipeline import Incoming, process, retry_waiting_for_ocr
from processor.store.models import Case, Document, OutboxMessage
from tests.conftest import sample

pytestmark = pytest.mark.skipif(ocr.available() is not None, reason=str(ocr.available()))


def page_of(name: str) -> Image.Image:
    data = sample(name).read_bytes()
    return scan.pdf_pages(data, [1])[0][0]


def tiff_bytes(image: Image.Image, dpi: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    image.convert("1").save(out, format="TIFF", compression="group4", dpi=dpi)
    return out.getvalue()


@pytest.mark.slow  # OCR
def test_fax_pdf_is_read_with_its_header_and_confidences():
    data = sample("026-fax-complaint").read_bytes()
    doc = parse_document(data, "026.pdf")
    assert doc.kind == "complaint" and not doc.errors
    assert doc.value("customer_name") == "陈丽" and doc.value("phone") == "15986468797"
    assert doc.meta["fax"]["number"].replace(" ", "").startswith("0")
    assert all(0 <= found.confidence <= 1 for found in doc.fields.values())
    assert doc.meta["ocr"]["pages"] == 1


@pytest.mark.slow  # OCR
def test_group4_tiff_at_standard_fax_resolution():
    doc = parse_document(sample("025-fax-complaint").read_bytes(), "025.tif")
    assert doc.format == "image" and doc.kind == "complaint"
    assert doc.value("phone") == "15710251500" and len(doc.fields) >= 5


@pytest.mark.slow  # OCR
def test_multi_page_fax_reads_both_pages():
    doc = parse_document(sample("027-fax-complaint").read_bytes(), "027.pdf")
    assert doc.meta["ocr"]["pages"] == 2
    assert doc.kind == "complaint" and len(doc.fields) >= 5


@pytest.mark.slow  # OCR
def test_upside_down_page_is_turned_and_read():
    page = page_of("026-fax-complaint").convert("L").rotate(180)
    doc = parse_document(tiff_bytes(page, (204, 196)), "upside-down.tif")
    assert doc.meta["ocr"]["rotated"] == [1]
    assert doc.value("customer_name") == "陈丽"


@pytest.mark.slow  # OCR
def test_skewed_photo_of_a_form_as_jpeg():
    page = page_of("026-fax-complaint").convert("L").rotate(2.0, fillcolor=255, expand=True)
    out = io.BytesIO()
    page.save(out, format="JPEG", quality=80)
    doc = parse_document(out.getvalue(), "photo.jpg")
    assert doc.kind == "complaint" and doc.value("phone") == "15986468797"


@pytest.mark.slow  # OCR
def test_photo_of_a_defect_is_evidence_not_a_form():
    picture = Image.new("RGB", (1200, 900), (120, 130, 140))
    draw = ImageDraw.Draw(picture)
    rng = np.random.default_rng(3)
    for _ in range(40):
        x, y = rng.integers(0, 1100, 2)
        draw.ellipse((x, y, x + 80, y + 60), fill=tuple(int(v) for v in rng.integers(0, 255, 3)))
    out = io.BytesIO()
    picture.save(out, format="JPEG")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = (
        "kehu@example.test",
        "complaints@desk.localhost",
        "投诉：热水器漏水",
    )
    message.set_content(
        "投诉人：王喆\n联系电话：13800138000\n产品名称：热水器\n投诉内容：热水器漏水，照片见附件。"
    )
    message.add_attachment(
        out.getvalue(), maintype="image", subtype="jpeg", filename="漏水照片.jpg"
    )
    doc = parse_document(bytes(message), "m.eml")
    assert doc.kind == "complaint" and doc.evidence == ["漏水照片.jpg"] and doc.attachments == []


def test_fax_header_line_is_parsed():
    match = ocr.FAX_HEADER.search("2026-10-05 12:47 FROM:0574 8107 2592 P.1/3")
    assert match.group("time") == "2026-10-05 12:47" and match.group("number") == "0574 8107 2592"
    assert (match.group("page"), match.group("pages")) == ("1", "3")


@pytest.mark.parametrize(
    ("run", "expected"),
    [
        # a dropped decimal point (88 0), a hyphen read as a gap, a middle dot before the batch
        (
            "SO2609 0209 PB09721 模块板 PCB-6L-8415 37 片 88 0 3256.0 2026/9/20 B260973·质量不良 退回",
            {
                "order_no": "SO2609-0209",
                "unit_price": 88.0,
                "amount": 3256.0,
                "batch_no": "B260973",
                "reason": "quality",
            },
        ),
        # the amount run into the date, stray dots and colons at the edges of values
        (
            "SO2611-0088 PB06691: 模块板 .PCB-6L-3926 20 片 88.0.：1760.02026年11月0 9日 B261175 运输损坏",
            {
                "spec": "PCB-6L-3926",
                "unit_price": 88.0,
                "amount": 1760.0,
                "ship_date": "2026-11-09",
                "batch_no": "B261175",
            },
        ),
        # quantity × price in floating point (779.4000000000001) is the amount as written
        (
            "SO2610-0092 IO2-I112 控制器 KZ-2B08 6 个 129.9 779.4 B260807",
            {"unit_price": 129.9, "amount": 779.4},
        ),
        # price and amount that do not multiply out are still read as written
        (
            "A-1 P-2 螺丝 5 个 12.5 60 2026-09-20",
            {"unit_price": 12.5, "amount": 60.0, "ship_date": "2026-09-20"},
        ),
    ],
)
def test_recognised_return_lines_are_mended(run, expected):
    from parsers.grids import line_from_tokens

    line = line_from_tokens(run)
    assert {name: line.get(name) for name in expected} == expected


def test_misread_choices_and_dates_are_taken_for_what_they_resemble():
    from parsers.labels import load_table
    from parsers.normalise import iso_date

    table = load_table()
    assert scan.split_label("处理要求书面道鞭·", table) == ("处理要求：书面道歉", "书面道鞭·")
    assert scan.mend_label([("处理要求", 1.0), ("书面道鞭", 0.9)], table)[1] == (
        "书面道歉",
        scan.GUESSED,
    )
    assert scan.mend_label([("处理要求", 1.0), ("天气很好", 0.9)], table)[1] == (
        "天气很好",
        0.9,
    )  # nothing alike
    assert scan.split_label("备注 12:47 到", table) == ("备注 12:47 到", None)
    assert iso_date("2026,09.26") == "2026-09-26" and iso_date("2026·9·7") == "2026-09-07"


CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def ticked_form(ruled: bool = True) -> Image.Image:
    """A feedback form ticked by hand: a ✓ or ✗ drawn inside square boxes, as a 200 dpi scan;
    its rows ruled into cells, or written as `label：` lines with nothing ruled."""
    from PIL import ImageFont

    font = ImageFont.truetype(CJK_FONT, 30)
    page = Image.new("L", (1650, 900), 255)
    draw = ImageDraw.Draw(page)
    draw.text((80, 40), "售后服务信息反馈单", font=font, fill=0)
    rows = [
        ("客户名称", []),
        ("联系电话", []),
        ("服务效率", [("高", False), ("一般", True), ("低", False)]),
        ("服务态度", [("良好", False), ("一般", False), ("较差", True)]),
        ("是否进行了培训", [("是", True), ("没有", False)]),
    ]
    values = {"客户名称": "温州顺达机电", "联系电话": "0577 6890 8806"}
    top = 120
    for label, options in rows:
        if ruled:
            draw.rectangle((60, top, 1580, top + 80), outline=0, width=3)
            draw.line((500, top, 500, top + 80), fill=0, width=3)
        draw.text((80, top + 20), label if ruled else f"{label}：", font=font, fill=0)
        x = 530
        for word, ticked in options:
            draw.rectangle((x, top + 22, x + 34, top + 56), outline=0, width=3)
            if ticked:
                draw.line((x + 6, top + 38, x + 14, top + 50, x + 30, top + 26), fill=0, width=4)
            draw.text((x + 44, top + 20), word, font=font, fill=0)
            x += 44 + 34 * len(word) + 70
        if label in values:
            draw.text((530, top + 20), values[label], font=font, fill=0)
        top += 80
    return page


@pytest.mark.slow  # OCR
@pytest.mark.skipif(not Path(CJK_FONT).is_file(), reason="no Noto CJK font to draw the form with")
def test_ticked_boxes_of_a_scanned_form_are_read_from_the_image():
    doc = parse_document(tiff_bytes(ticked_form(), (200, 200)), "反馈单.tif")
    values = {name: found.value for name, found in doc.fields.items()}
    assert doc.kind == "feedback_form"
    assert values.get("efficiency") == "average" and values.get("attitude") == "poor"
    assert values.get("training_given") is True
    assert values.get("phone") == "057768908806"  # the holes of 0, 6 and 8 are not boxes


@pytest.mark.skipif(not Path(CJK_FONT).is_file(), reason="no Noto CJK font to draw the form with")
def test_ticked_boxes_on_lines_without_ruling_are_read_from_the_image():
    doc = parse_document(tiff_bytes(ticked_form(ruled=False), (200, 200)), "反馈单.tif")
    values = {name: found.value for name, found in doc.fields.items()}
    assert values.get("efficiency") == "average" and values.get("attitude") == "poor"
    assert values.get("training_given") is True and values.get("customer_name") == "温州顺达机电"


@pytest.fixture
def tesseract_reads(monkeypatch):
    """Tesseract reads the pages instead of PP-OCR (AFTERSALES_OCR_ENGINE=tesseract)."""
    monkeypatch.setenv("AFTERSALES_OCR_ENGINE", "tesseract")  # read when used: no reload needed
    ocr.engine.cache_clear(), ocr.available.cache_clear()
    yield
    monkeypatch.undo()
    ocr.engine.cache_clear(), ocr.available.cache_clear()


@pytest.mark.slow  # OCR
@pytest.mark.skipif(not Path(CJK_FONT).is_file(), reason="no Noto CJK font to draw the form with")
def test_tesseract_reads_a_scanned_form_cell_by_cell(tesseract_reads):
    if ocr.available() is not None:
        pytest.skip(ocr.available())
    doc = parse_document(tiff_bytes(ticked_form(), (300, 300)), "反馈单.tif")
    values = {name: found.value for name, found in doc.fields.items()}
    assert ocr.engine() == "tesseract" and doc.kind == "feedback_form"
    assert values.get("customer_name") == "温州顺达机电" and values.get("phone") == "057768908806"
    assert values.get("efficiency") == "average" and values.get("training_given") is True


def test_check_boxes_are_told_from_characters():
    from parsers import checkboxes

    cell = np.zeros((80, 400), bool)
    cell[20:58, 10:48] = True
    cell[23:55, 13:45] = False  # an empty square box
    cell[20:58, 200:238] = True
    cell[23:55, 203:235] = False
    cell[35:45, 210:228] = True  # a mark inside it
    found = checkboxes.find_boxes(cell)
    assert [(box.left // 10, box.ticked) for box in found] == [(1, False), (20, True)]
    ring = np.zeros((80, 100), bool)  # a round hole, as in 0 or 8, is no box
    yy, xx = np.ogrid[:80, :100]
    ring[((yy - 40) ** 2 / 20**2 + (xx - 50) ** 2 / 12**2) <= 1] = True
    ring[((yy - 40) ** 2 / 16**2 + (xx - 50) ** 2 / 8**2) <= 1] = False
    assert checkboxes.find_boxes(ring) == []


DIGITS_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def fax_with_phone(phone: str) -> bytes:
    """Sample 026's page with another phone number printed in its cell, sent as a Group 4 fax."""
    from PIL import ImageFont

    page = page_of("026-fax-complaint").convert("L")
    draw = ImageDraw.Draw(page)
    draw.rectangle((548, 282, 1100, 316), fill=255)  # inside the phone's cell, clear of its ruling
    draw.text((560, 299), phone, font=ImageFont.truetype(DIGITS_FONT, 30), fill=0, anchor="lm")
    return tiff_bytes(page, (204, 196))


@pytest.fixture
def patient_desk(desk_dir):
    """A desk whose time limit for one document outlasts OCR on a machine shared by many."""
    config = desk_dir / "aftersales.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("max_seconds = 60", "max_seconds = 600"),
        encoding="utf-8",
    )
    with Desk.open(load_config(config)) as opened:
        assert opened.limits.max_seconds == 600
        yield opened


SEVEN_DIGITS = (
    "1598646"  # fits no kind of phone (parsers/shapes.toml): kept as read, never passed on as sure
)


@pytest.mark.slow  # OCR
@pytest.mark.skipif(
    not Path(DIGITS_FONT).is_file(), reason="no DejaVu font to print the phone with"
)
def test_a_value_the_reader_cannot_vouch_for_is_shown_unverified_on_the_case(patient_desk, capsys):
    """Of the fax's fields, all printed cleanly, the phone alone is marked unverified on its
    case and in `show`."""
    desk = patient_desk
    outcome = process(
        desk, Incoming("folder:fax", "fax.tif", "fax.tif", fax_with_phone(SEVEN_DIGITS))
    )
    assert outcome.status == "processed", outcome.reason
    with desk.store.transaction() as session:
        case = session.scalars(select(Case)).one()
        assert case.fields["phone"] == SEVEN_DIGITS and case.fields["customer_name"] == "陈丽"
        assert case.fields["unverified"] == ["phone"]
        case_no = case.case_no
    assert main(["--config", str(desk.config.source_file), "show", case_no]) == 0
    shown = {
        line.split()[0]: line
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("  ") and line.split()
    }
    assert (
        shown["phone"].endswith("(unverified: read by OCR)")
        and "unverified" not in shown["customer_name"]
    )


@pytest.mark.slow  # OCR
@pytest.mark.skipif(
    not Path(DIGITS_FONT).is_file(), reason="no DejaVu font to print the phone with"
)
def test_a_value_the_reader_cannot_vouch_for_is_asked_back_in_the_acknowledgement(patient_desk):
    """The same fax mailed as an attachment: the acknowledgement asks the sender to confirm the
    phone, and nothing else."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = (
        "chenli@example.test",
        "complaints@desk.localhost",
        "投诉（传真件）",
    )
    message.set_content("投诉表见附件传真。")
    message.add_attachment(
        fax_with_phone(SEVEN_DIGITS), maintype="image", subtype="tiff", filename="fax.tif"
    )
    outcome = process(patient_desk, Incoming("maildir:inbox", "1", "1.eml", bytes(message)))
    assert outcome.status == "processed", outcome.reason
    with patient_desk.store.transaction() as session:
        ack = session.scalars(
            select(OutboxMessage).where(OutboxMessage.purpose == "acknowledgement")
        ).one()
        assert ack.recipients == ["chenli@example.test"]
        text = (
            email.message_from_bytes(ack.raw, policy=policy.default)
            .get_body(("plain",))
            .get_content()
        )
    asked = text.split("以下内容是从传真或扫描件识别的，可能有误，请核对，如有错误请回复更正：", 1)[
        1
    ].split("\n\n", 1)[0]
    assert [line.strip() for line in asked.strip().splitlines()] == [f"- 电话：{SEVEN_DIGITS}"]


@pytest.mark.slow  # OCR
def test_a_fax_waits_in_quarantine_while_ocr_cannot_run_and_is_read_when_it_can(
    patient_desk, monkeypatch
):
    desk = patient_desk  # read within the time limit however loaded the machine: this test is about waiting for OCR
    data = sample("026-fax-complaint").read_bytes()
    desk.separate_processes = False  # parsed here, where the patched `available` is seen
    monkeypatch.setattr(ocr, "available", lambda: "OCR not available: Tesseract is not installed")
    outcome = process(desk, Incoming("folder:fax", "026", "026.pdf", data))
    assert outcome.status == "quarantined" and "OCR not available" in outcome.reason
    assert retry_waiting_for_ocr(desk) == []  # still not available: it stays
    monkeypatch.setattr(ocr, "available", lambda: None)
    (again,) = retry_waiting_for_ocr(desk)
    assert again.status == "processed" and again.case_no
    with desk.store.transaction() as session:
        assert [row.status for row in session.query(Document)] == ["processed"]
