"""Scanned pages levelled and OCR readings checked by what they must be (parsers/deskew.py,
parsers/shapes.py), without running a recogniser: pages drawn here and tilted, readings as a
recogniser misreads them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from outputs.compose import confirm_rows
from parsers import deskew, ocr, shapes
from parsers.model import FieldValue, ParsedDocument

FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def drawn_page(ruled: bool) -> Image.Image:
    """An A4 page at 200 dpi: a title, lines of text and, if `ruled`, a ruled table."""
    page = Image.new("L", (1654, 2339), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(FONT), 34) if FONT.is_file() else ImageFont.load_default()
    draw.text((500, 120), "客户投诉登记表 Complaint form", font=font, fill=0)
    for row in range(14):
        y = 300 + row * 90
        if ruled:
            draw.line((120, y, 1530, y), fill=0, width=2)
        draw.text(
            (150, y + 25),
            f"第{row + 1}项 订单编号 SO2609-{row:04d} 数量 {row + 3} 单价 88.00",
            font=font,
            fill=0,
        )
    if ruled:
        for x in (120, 520, 1530):
            draw.line((x, 300, x, 300 + 13 * 90), fill=0, width=2)
    return page


def tilted_fax(page: Image.Image, angle: float, dpi: tuple[int, int]) -> np.ndarray:
    """The page tilted, sent at `dpi` (1-bit) and made square again as the reader does: its ink."""
    tilted = page.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    sent = tilted.resize((round(tilted.width * dpi[0] / 200), round(tilted.height * dpi[1] / 200)))
    sent = sent.point(lambda v: 255 if v > 150 else 0).convert("1")
    return np.asarray(ocr.normalise(sent, (float(dpi[0]), float(dpi[1])))) < 160


@pytest.mark.slow  # whole fax pages
@pytest.mark.parametrize("angle", [-5.0, -3.0, -1.5, 0.4, 2.0, 5.0])
def test_a_ruled_page_is_levelled_from_its_ruling_at_standard_fax_resolution(angle):
    found = deskew.skew_angle(tilted_fax(drawn_page(ruled=True), angle, (204, 98)))
    assert (
        abs(found + angle) <= 0.1
    )  # the old reader searched ±4° in 0.2° steps and lost the grid from 1.5°


@pytest.mark.slow  # whole fax pages
@pytest.mark.parametrize("angle", [-5.0, -2.0, 3.0])
def test_a_page_without_ruling_is_levelled_from_its_text_lines(angle):
    ink = tilted_fax(drawn_page(ruled=False), angle, (204, 196))
    assert deskew.ruling_angle(ink) is None
    assert abs(deskew.skew_angle(ink) + angle) <= 0.2


@pytest.mark.slow  # whole fax pages
def test_the_grid_is_found_on_a_tilted_page_once_levelled():
    grey = ocr.normalise(Image.fromarray(~tilted_fax(drawn_page(ruled=True), 3.0, (204, 98))), None)
    _, ink, _ = ocr.deskew(grey)
    assert len(ocr.line_positions(ocr.ruling(ink, 0), 0)) == 14
    assert len(ocr.line_positions(ocr.ruling(ink, 1), 1)) == 3


@pytest.mark.parametrize(
    ("name", "read", "value", "fits", "mended"),
    [
        ("order_no", "S02607-0667", "SO2607-0667", True, True),  # O read as 0
        ("order_no", "SO2607-0667", "SO2607-0667", True, False),  # as it must be: untouched
        ("order_no", "S02608-0109.HA-1448", "SO2608-0109", True, True),  # two cells run together
        (
            "order_no",
            "S02609-",
            "S02609-",
            False,
            False,
        ),  # cut short: kept as read, cannot be mended
        ("order_no", "$02609-0786", "SO2609-0786", True, True),  # S read as $
        ("batch_no", "B2", "B2", False, False),
        ("batch_no", "8260717", "B260717", True, True),  # B read as 8
        ("batch_no", "B26O7I7", "B260717", True, True),
        ("dealer_code", "LN-8 8030", "LN-8030", True, True),  # a character read twice
        (
            "dealer_code",
            "HN-5125 填荐目期: 2026/11/28",
            "HN-5125",
            True,
            True,
        ),  # the next label (misread) run into it
        (
            "part_no",
            "0B8-I515",
            "OB8-I515",
            True,
            True,
        ),  # letters and digits where the template says
        ("part_no", "ZI8-S820", "ZI8-S820", True, False),
        ("part_no", "P852708", "PB52708", True, True),
        ("part_no", "551 0510", "SS1-O510", True, True),  # the gap is where the hyphen was (98 dpi)
        ("order_no", "S02606 0842", "SO2606-0842", True, True),
        ("order_no", "S02607- 0774", "SO2607-0774", True, True),
        (
            "order_no",
            "S02607-0 0542",
            "SO2607-0542",
            True,
            True,
        ),  # a speck read beside a gap is the one too many
    ],
)
def test_codes_are_read_toward_their_shape(name, read, value, fits, mended):
    assert shapes.read_code(name, read) == shapes.Reading(value, fits, mended)


def test_a_field_without_a_shape_is_not_checked():
    assert shapes.read_code("spec", "JSQ30-1614") is None


@pytest.mark.parametrize(
    ("digits", "fits"),
    [
        ("16793202388", True),
        ("18236727", False),
        ("1823670227", False),
        ("08716084222", True),
        ("057188123456", True),
        ("88123456", True),
        ("+8613800138000", True),
        ("12345678901", False),
    ],
)
def test_a_phone_has_the_digits_its_kind_needs(digits, fits):
    assert shapes.phone_fits(digits) is fits


def test_confused_characters_of_a_choice_are_put_right():
    assert shapes.mend_choice("☑丰常满意 ☐满意") == "☑非常满意 ☐满意"


def ocr_doc(**fields: object) -> ParsedDocument:
    doc = ParsedDocument("fax.pdf", "image")
    doc.fields = {
        name: FieldValue(value, f"page 1 line {n}", 0.9)
        for n, (name, value) in enumerate(fields.items())
    }
    return doc


def test_mended_and_misshapen_fields_are_unverified_with_their_reading_kept():
    doc = ocr_doc(
        order_no="S02607-0667",
        batch_no="B2",
        phone="18236727",
        dealer_code="ZJ-9254",
        customer_name="陈丽",
    )
    shapes.check_document(doc)
    assert (
        doc.value("order_no") == "SO2607-0667"
        and doc.provenance["order_no"]["read"] == "S02607-0667"
    )
    assert doc.fields["order_no"].confidence == shapes.MENDED
    assert doc.value("batch_no") == "B2" and "read" not in doc.provenance["batch_no"]
    assert doc.meta["unverified"] == ["order_no", "batch_no", "phone"]
    assert (
        doc.fields["dealer_code"].confidence == 0.9
        and doc.fields["customer_name"].confidence == 0.9
    )


@pytest.mark.parametrize(
    ("line", "expected", "unsure"),
    [
        # amount misread (99.0 for 36081.0): put right from quantity × price
        (
            {"quantity": 19, "unit_price": 1899.0, "amount": 99.0},
            {"unit_price": 1899.0, "amount": 36081.0},
            True,
        ),
        # price lost digits (18.0 for 1899.0) the amount kept
        (
            {"quantity": 19, "unit_price": 18.0, "amount": 36081.0},
            {"unit_price": 1899.0, "amount": 36081.0},
            True,
        ),
        # `1,899.00` read as `1. 899.00` (1.899): the amount says which
        (
            {"quantity": 20, "unit_price": 1.899, "amount": 37980.0},
            {"unit_price": 1899.0, "amount": 37980.0},
            True,
        ),
        # the amount missing: worked out
        ({"quantity": 3, "unit_price": 268.5}, {"unit_price": 268.5, "amount": 805.5}, True),
        # both wrong: whatever is kept is unverified, never passed on as sure
        (
            {"quantity": 19, "unit_price": 1.0, "amount": 99.0},
            {"unit_price": 1.0, "amount": 19.0},
            True,
        ),
        # right as read: nothing changes, nothing asked
        (
            {"quantity": 12, "unit_price": 36.75, "amount": 441.0},
            {"unit_price": 36.75, "amount": 441.0},
            False,
        ),
        # the quantity lost: price and amount agree on a whole number, which is asked back
        (
            {"unit_price": 88.0, "amount": 440.0},
            {"quantity": 5, "unit_price": 88.0, "amount": 440.0},
            False,
        ),
        # the quantity lost and the amount misread: nothing to work out, all of it asked back
        (
            {"unit_price": 586.0, "amount": 17.0},
            {"quantity": None, "unit_price": 586.0, "amount": 17.0},
            True,
        ),
    ],
)
def test_line_arithmetic_chooses_between_readings_and_never_passes_a_wrong_amount_as_sure(
    line, expected, unsure
):
    doc = ocr_doc()
    doc.lines = [dict(line)]
    shapes.check_document(doc)
    assert {name: doc.lines[0].get(name) for name in expected} == expected
    assert ("lines[0].amount" in doc.meta.get("unverified", [])) is unsure
    if unsure and line.get("amount") != expected["amount"]:
        assert doc.provenance["lines[0].amount"]["read"] == line.get("amount")


def test_line_codes_are_mended_and_named_by_line():
    doc = ocr_doc()
    doc.lines = [
        {
            "order_no": "SO2607-0667",
            "batch_no": "B26O717",
            "quantity": 2,
            "unit_price": 5.0,
            "amount": 10.0,
        }
    ]
    shapes.check_document(doc)
    assert doc.lines[0]["batch_no"] == "B260717" and doc.meta["unverified"] == ["lines[0].batch_no"]


def test_codes_are_matched_to_master_data_exact_lowers_nothing_close_lowers_confidence():
    known = {"part_no": ["PB52708", "LB-3913"], "dealer_code": ["LN-8030"]}
    doc = ocr_doc(part_no="PB52708", dealer_code="LN-8O3O")
    doc.lines = [{"part_no": "LB-3918"}, {"part_no": "XX-0000"}]
    unsure = shapes.match_known(doc, known)
    assert doc.fields["part_no"].confidence == 0.9 and "part_no" not in unsure
    assert doc.value("dealer_code") == "LN-8030" and doc.fields["dealer_code"].read == "LN-8O3O"
    assert doc.fields["dealer_code"].confidence == shapes.MENDED
    assert (
        doc.lines[0]["part_no"] == "LB-3913" and doc.lines[1]["part_no"] == "XX-0000"
    )  # nothing alike: kept
    assert unsure == ["dealer_code", "lines[0].part_no", "lines[1].part_no"]


def test_the_acknowledgement_asks_to_confirm_a_line_value():
    rows = confirm_rows(
        ["phone", "lines[1].amount", "lines[5].amount"],
        {"phone": "18236727"},
        [{"amount": 1.0}, {"amount": 36081.0}],
        "zh-Hans",
    )
    assert rows == [("电话", "18236727"), ("第2行 金额", "36081.0")]


def test_a_box_whose_hand_tick_overshoots_is_found_by_its_sides_and_ticked():
    from parsers import checkboxes

    cell = Image.new("L", (600, 80), 255)
    draw = ImageDraw.Draw(cell)
    for x in (20, 220, 420):
        draw.rectangle((x, 20, x + 36, 56), outline=0, width=3)
    draw.line((212, 36, 234, 54), fill=0, width=4)  # a ✓ from outside the box's left side …
    draw.line((234, 54, 268, 2), fill=0, width=4)  # … to above its top right corner
    boxes = checkboxes.find_boxes(np.asarray(cell) < 128)
    assert [(box.left // 10, box.ticked) for box in boxes] == [(2, False), (22, True), (42, False)]


def test_the_hole_of_an_options_first_character_is_no_box_and_a_codes_holes_stay():
    from parsers.checkboxes import Box, without_glyph_holes

    boxes = [
        Box(19, 52, 28, 60, False),
        Box(63, 102, 28, 69, True),
        Box(209, 242, 29, 61, False),
        Box(353, 386, 28, 62, False),
    ]
    assert [box.left for box in without_glyph_holes(boxes)] == [
        19,
        209,
        353,
    ]  # 很's square, right after the box
    code = [
        Box(0, 20, 10, 40, False),
        Box(25, 45, 10, 40, False),
        Box(50, 70, 11, 40, False),
    ]  # `000`
    assert without_glyph_holes(code) == code


def test_two_boxes_one_hidden_by_its_tick_are_a_choice_and_a_box_among_words_is_not():
    from parsers import checkboxes

    def cell(first_box_at: int, words: str = "") -> np.ndarray:
        image = Image.new("L", (600, 80), 255)
        draw = ImageDraw.Draw(image)
        if words:
            draw.text((4, 22), words, font=ImageFont.truetype(str(FONT), 36, index=2), fill=0)
        for x in (first_box_at, first_box_at + 200):
            draw.rectangle((x, 20, x + 36, 56), outline=0, width=3)
        x = first_box_at + 200
        draw.line((x - 8, 36, x + 14, 54), fill=0, width=4)  # the second box's ✓ overshoots it
        draw.line((x + 14, 54, x + 48, 2), fill=0, width=4)
        return np.asarray(image) < 128

    boxes = checkboxes.find_boxes(cell(20))  # `☐是 ☑没有`: one clean hole, one split by the tick
    assert [(box.left // 10, box.ticked) for box in boxes] == [(2, False), (22, True)]
    assert not checkboxes.is_choice(
        checkboxes.find_boxes(cell(160, "进出"))
    )  # boxes after words: no question


def test_return_lines_are_read_from_lines_of_text_under_a_header_of_run_together_labels():
    from parsers.labels import load_table
    from parsers.scan import read_line_rows

    doc = ocr_doc()
    read_line_rows(
        doc,
        [
            "客户单位：大连华信商贸有限公司",
            "序号订单号产品编号产品名称规格数量单价金额生产批号退货原因处理要求",  # a sheet ruled only across
            "1 SO2611-0093 LB-0984 全合成机油 5W-30 4L 36 268.50 9666.00 B261163 质量问题 换货",
            "3 S02611-0321 OB- 5Z18 柴油机油 CI-4 15W-40 18L 586.00 B260907 运输损坏 调换",  # its quantity lost
            "SO2607-0475 PB22666 全合成机油 5W-30 4L 32 268. .50 8, ,592.00 B261012 其它 退货",
            "合计 155 48276.00",
            "经办人签字：",
        ],
        "page 1",
        load_table(),
    )
    assert [line.get("order_no") for line in doc.lines] == [
        "SO2611-0093",
        "S02611-0321",
        "SO2607-0475",
    ]
    assert doc.lines[0]["spec"] == "5W-30 4L" and doc.lines[0]["amount"] == 9666.0
    assert doc.lines[1] == {
        "order_no": "S02611-0321",
        "part_no": "OB-5Z18",
        "product_name": "柴油机油",
    }
    assert (doc.lines[2]["unit_price"], doc.lines[2]["amount"]) == (268.5, 8592.0)
    shapes.check_document(doc)
    assert doc.lines[1]["order_no"] == "SO2611-0321"
    assert {"lines[1].order_no", "lines[1].quantity", "lines[1].amount"} <= set(
        doc.meta["unverified"]
    )
    assert not any(name.startswith(("lines[0]", "lines[2]")) for name in doc.meta["unverified"])


def test_a_cell_with_its_label_printed_above_the_value_is_read_as_label_and_value():
    from parsers.labels import load_table
    from parsers.scan import label_above

    table = load_table()
    assert label_above("顾客姓名\n孙海燕", table) == "顾客姓名：孙海燕"
    assert label_above("联系电话\n189 9136 0813", table) == "联系电话：189 9136 0813"
    assert (
        label_above("热水器使用一周后\n点不着火", table) == "热水器使用一周后点不着火"
    )  # a value that wrapped
    assert label_above("姓名", table) == "姓名"
    assert label_above("沈阳物流园年度保养：", table) == "沈阳物流园年度保养"


def test_a_vin_read_with_i_o_or_q_has_the_digits_a_vin_must_have():
    from parsers.normalise import vin

    assert (
        vin("LFV3A6KCWLCKA4G3O") == "LFV3A6KCWLCKA4G30"
        and vin("LFV3AIKCWLCKA4G3F") == "LFV3A1KCWLCKA4G3F"
    )


def test_the_pipeline_matches_codes_read_by_ocr_to_the_desks_master_data(desk):
    from processor.examining import match_master_data, unverified
    from processor.store.models import Party, Product

    with desk.store.transaction() as session:
        session.add_all(
            [
                Product(part_no="PB52708", name="通信模块板"),
                Party(kind="dealer", name="大连华信", code="LN-8030"),
            ]
        )
    doc = ocr_doc(dealer_code="LN-8O3O", part_no="PB52708")
    doc.meta["ocr"] = {"pages": 1}
    doc.lines = [{"part_no": "PB52788"}]
    match_master_data(desk, doc)
    assert (
        doc.value("dealer_code") == "LN-8030" and doc.provenance["dealer_code"]["read"] == "LN-8O3O"
    )
    assert doc.lines[0]["part_no"] == "PB52708" and doc.fields["part_no"].confidence == 0.9
    assert unverified(doc) == ["dealer_code", "lines[0].part_no"]
    typed = ocr_doc(dealer_code="LN-8O3O")  # a typed document is taken as written
    match_master_data(desk, typed)
    assert typed.value("dealer_code") == "LN-8O3O"


def test_each_row_has_its_own_separators():
    vertical = np.zeros((300, 600), bool)
    for x in (10, 500):
        vertical[0:200, x - 1 : x + 2] = True
    vertical[0:100, 299:302] = True  # two fields in the first row, one in the second
    assert ocr.row_columns(vertical, [0, 100, 200]) == [[10, 300, 500], [10, 500]]


def test_a_drum_streak_is_whitened_and_a_forms_rule_is_kept():
    page = np.full((1000, 800), 255, np.uint8)
    page[:, 600:603] = 0
    page[::10, 600:603] = 255  # a streak, broken by the fax every few lines
    page[200:700, 100:103] = 0  # the form's frame: half the page
    cleaned = np.asarray(ocr.without_drum_streaks(Image.fromarray(page)))
    assert (cleaned[:, 600:603] == 255).all() and (cleaned[200:700, 100:103] == 0).all()


def test_a_short_streak_that_leans_with_the_levelled_page_is_no_column_rule():
    """A streak a quarter of the page long, straight down the sheet as sent: once the page is
    levelled by 2° it leans through the grid and runs on below it, where no rule of the form goes."""
    ink = np.zeros((1000, 800), bool)
    rows = [200, 300, 400, 500]
    for y in rows:
        ink[y - 1 : y + 2, 100:701] = True
    for x in (100, 700):
        ink[200:501, x - 1 : x + 2] = True  # the form's frame: it stops at the top and bottom rules
    lean = np.tan(np.radians(2.0))
    for y in range(150, 800):  # the streak, broken here and there by the fax
        if y % 37:
            x = round(400 + lean * (y - 350))
            ink[y, x - 2 : x + 3] = True
    vertical = ocr.ruling(ink, 1, 80)
    assert vertical[250:450, 390:411].any()  # the streak is taken for a rule at first
    kept = ocr.without_streaks(vertical, ink, rows, angle=2.0)
    assert not kept[rows[0] : rows[-1], 385:416].any()
    assert kept[220:480, 99:102].all() and kept[220:480, 699:702].all()


@pytest.mark.parametrize(
    ("read", "written"),
    [
        ("2025款1.5L自动", "2025款 1.5L 自动"),
        ("2025款330TSI豪华型", "2025款 330TSI 豪华型"),
        ("2025款:330TSI", "2025款 330TSI"),
        ("2026款 2.0G", "2026款 2.0G"),
        ("KFR-35GW/BP3", "KFR-35GW/BP3"),
    ],
)
def test_a_model_read_without_its_spaces_gets_them_back(read, written):
    doc = ParsedDocument(file="fax.pdf", format="pdf")
    doc.put("product_model", read, "page 1 line 3", 0.95)
    shapes.check_document(doc)
    assert doc.value("product_model") == written and "product_model" not in doc.meta.get(
        "unverified", []
    )


def test_a_line_table_with_misread_header_labels_and_words_is_read_and_the_words_asked_back():
    from parsers import scan

    rows = [
        [
            "序号",
            "1单编号",
            "产鼠编号",
            "Y",
            "规格",
            "数址",
            "单价",
            "金额（元）",
            "生产批号",
            "退货原内",
            "处理要求",
        ],
        [
            "1",
            "SO2610-0264",
            "SI-8B50",
            "壁挂炉",
            "L1PB26-B",
            "29",
            "3299.00",
            "95,671.00",
            "B261056",
            "个适销",
            "调换",
        ],
        [
            "2",
            "SO2606-0191",
            "OB-8O85",
            "刹车片",
            "BP-330Z",
            "26",
            "268.50",
            "6981.00",
            "B261193",
            "质最间题",
            "调换",
        ],
    ]
    doc = ParsedDocument(file="fax.tif", format="image")
    scan.read_pages(
        doc, [ocr.OcrPage(1, tables=[[[(cell, 0.95) for cell in row] for row in rows]])]
    )
    assert [
        (line["order_no"], line["product_name"], line["quantity"], line["reason"])
        for line in doc.lines
    ] == [("SO2610-0264", "壁挂炉", 29, "unsaleable"), ("SO2606-0191", "刹车片", 26, "quality")]
    assert {"lines[0].reason", "lines[1].reason"} <= set(doc.meta["unverified"])
    assert doc.meta["line_readings"]["lines[1].reason"] == "质最间题"


def test_a_worked_out_quantity_is_asked_back_with_nothing_read():
    doc = ocr_doc()
    doc.lines = [{"unit_price": 88.0, "amount": 440.0}]
    shapes.check_document(doc)
    assert doc.lines[0]["quantity"] == 5 and doc.meta["unverified"] == ["lines[0].quantity"]
    assert doc.meta["line_readings"]["lines[0].quantity"] is None


@pytest.mark.parametrize(
    ("read", "written", "unsure"),
    [
        ("5W-304L", "5W-30 4L", False),
        ("CI-415W-4018L", "CI-4 15W-40 18L", False),  # spaces dropped: put back
        ("10W.40 4L", "10W-40 4L", True),
        ("PSU·12V-5A", "PSU-12V-5A", True),
        ("JSQ30- 16", "JSQ30-16", True),
        ("KZ.-2B08", "KZ-2B08", True),  # a hyphen read as another mark: mended and asked back
        ("W719/30", "W719/30", False),
        ("1.5L", "1.5L", False),
        ("PCB-6L-8415", "PCB-6L-8415", False),
    ],
)
def test_a_lines_spec_gets_its_spaces_and_hyphens_back(read, written, unsure):
    doc = ocr_doc()
    doc.lines = [{"spec": read, "quantity": 2, "unit_price": 5.0, "amount": 10.0}]
    shapes.check_document(doc)
    assert doc.lines[0]["spec"] == written
    assert ("lines[0].spec" in doc.meta.get("unverified", [])) is unsure


def test_columns_whose_labels_were_lost_are_named_by_what_they_hold():
    """A 12-column sheet at 98 dpi: 数量 and 单位 read as nothing, 交运日期 and 生产批号 misread
    past knowing; the dates, the batch codes, the whole numbers that multiply out and the units
    say which columns they are. The row numbers, first, are none of them."""
    from parsers import scan

    rows = [
        [
            "",
            "订单编号",
            "物料编码",
            "产品名称",
            "规格",
            "",
            "",
            "单价",
            "金额",
            "切期",
            "产批号",
            "退货原因",
        ],
        [
            "1",
            "SO2610-0887",
            "LB-6846",
            "电源板",
            "PSU-12V-5A",
            "26",
            "片",
            "36.75",
            "955.50",
            "2026.10.16",
            "B260834",
            "运输破损",
        ],
        [
            "2",
            "SO2607-0774",
            "LB-6081",
            "滤清器",
            "W719/30",
            "24",
            "个",
            "45.50",
            "1092.00",
            "2026-09-18",
            "B260869",
            "不适销",
        ],
        [
            "3",
            "SO2606-0842",
            "SS1-O510",
            "机油",
            "10W-40 4L",
            "2",
            "桶",
            "168",
            "336 00",
            "",
            "B260783",
            "质量问题",
        ],
    ]
    doc = ParsedDocument(file="fax.tif", format="image")
    scan.read_pages(
        doc, [ocr.OcrPage(1, tables=[[[(cell, 0.95) for cell in row] for row in rows]])]
    )
    assert [
        (line["quantity"], line["unit"], line.get("ship_date"), line["batch_no"])
        for line in doc.lines
    ] == [
        (26, "片", "2026-10-16", "B260834"),
        (24, "个", "2026-09-18", "B260869"),
        (2, "桶", None, "B260783"),
    ]


def test_marks_read_before_a_value_on_a_line_are_dropped():
    from parsers import scan
    from parsers.labels import load_table

    assert scan.split_label("产品名称：·. 迈腾", load_table()) == ("产品名称：迈腾", None)
    assert scan.split_label("投诉人：“徐明", load_table()) == ("投诉人：徐明", None)


def test_misread_and_run_in_labels_of_a_line_are_mended_and_its_values_asked_back():
    from parsers import scan

    lines = [
        ("终销商名称：郑州鑫源商贸有限公司", 0.96),
        ("联系人赵平联系电话159-5577-3349", 0.96),
        ("投诉内容：客户说联系电话打不通", 0.95),
        ("购买日期2026年06月06日", 0.97),
    ]  # 日期 inside 购买日期 is no label
    doc = ParsedDocument(file="fax.tif", format="image")
    scan.read_pages(doc, [ocr.OcrPage(1, lines=lines)])
    assert doc.value("company") == "郑州鑫源商贸有限公司" and doc.value("contact_person") == "赵平"
    assert (
        doc.value("phone") == "15955773349" and doc.value("description") == "客户说联系电话打不通"
    )
    assert {"company", "contact_person", "phone"} <= set(doc.meta["unverified"])
    assert "description" not in doc.meta["unverified"]
    assert doc.fields["phone"].read == "联系人赵平联系电话159-5577-3349"
    assert doc.value("purchase_date") == "2026-06-06" and doc.value("complaint_date") is None


def test_a_cell_holding_a_misread_label_and_a_date_read_with_gaps_is_a_guessed_pair():
    from parsers import scan

    rows = [
        ["行驶里程", "68953 km", "购车日日期 2026 09 -08"],
        ["顾客姓名", "余静", "投诉日期", "2026年11月14日"],
    ]
    doc = ParsedDocument(file="fax.tif", format="image")
    scan.read_pages(
        doc, [ocr.OcrPage(1, tables=[[[(cell, 0.95) for cell in row] for row in rows]])]
    )
    assert doc.value("purchase_date") == "2026-09-08" and doc.value("mileage_km") == 68953
    assert (
        "purchase_date" in doc.meta["unverified"]
        and doc.fields["purchase_date"].read == "行驶里程 | 68953 km | 购车日日期 2026 09 -08"
    )
    assert (
        doc.value("complaint_date") == "2026-11-14"
        and "complaint_date" not in doc.meta["unverified"]
    )
    assert (
        scan.dates_joined("2026/1 11/25") == "2026/1 11/25"
    )  # a stray digit read into it: no date made up


def test_a_colon_read_inside_a_value_is_dropped_and_the_value_asked_back():
    from parsers import scan
    from parsers.labels import load_table

    table = load_table()
    assert scan.split_label("客户名称：大:连华信商贸有限公司", table) == (
        "客户名称：大连华信商贸有限公司",
        "大:连华信商贸有限公司",
    )
    assert scan.split_label("联系人：宋敏联系电话：15736557750", table) == (
        "联系人：宋敏联系电话：15736557750",
        None,
    )  # a label's colon
    assert scan.split_label("到达时间：2026-09-20 08:15", table) == (
        "到达时间：2026-09-20 08:15",
        None,
    )
