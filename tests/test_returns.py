"""Returns: master data, every policy branch and check, inspection verdicts, overrides by mail,
and the slip read back with python-docx."""

from __future__ import annotations

import email
import io
from email import policy
from email.message import EmailMessage

import docx
import openpyxl
import pytest
from sqlalchemy import select

from processor import returns
from processor.master_data import import_folder
from processor.pipeline import Incoming, process
from processor.returns import exchange_ratio
from processor.store.models import Case, OutboxMessage, Party, Product, Purchase, ReturnRequest
from tests.conftest import settle
from tests.test_lifecycle import at

DEALER = "dealer@hf-shunda.example.test"
HEADER = ["订单号", "料号", "品名", "规格", "数量", "单位", "单价", "金额", "发货日期", "退货原因"]


def drop(desk, name: str, data: bytes) -> None:
    target = desk.config.path(desk.config.master_data.folder) / name
    target.write_bytes(data)
    settle(target, seconds=10)


@pytest.fixture
def master(desk):
    """Dealer HF-09 (ratio limit 5 %, 90-day window), six products, purchases of 100,000 in
    2026-10 — as a GBK .csv, an .xlsx and a .csv with Chinese periods."""
    drop(
        desk,
        "经销商.csv",
        (
            "经销商代码,经销商名称,电子邮箱,调换比例,退货期限（天）\n"
            f"HF-09,合肥顺达商贸,{DEALER},5%,90\n"
        ).encode("gbk"),
    )
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["产品价目表"])
    sheet.append(["物料编码", "产品名称", "规格型号", "单价"])
    for part, price in [
        ("P-1", 100),
        ("P-2", 200),
        ("P-3", 50),
        ("P-4", 80),
        ("P-5", 10),
        ("P-6", 1000),
    ]:
        sheet.append([part, f"产品{part}", "4L", price])
    out = io.BytesIO()
    workbook.save(out)
    drop(desk, "products.xlsx", out.getvalue())
    drop(
        desk,
        "purchases.csv",
        "客户代码;年月;进货金额\nHF-09;2026年10月;100000\nHF-09;2026年9月;50000\n".encode(),
    )
    drop(desk, "notes.csv", "随便写的,内容\n1,2\n".encode())
    done = import_folder(desk)
    assert sorted(line.split(":")[0] for line in done) == [
        "notes.csv",
        "products.xlsx",
        "purchases.csv",
        "经销商.csv",
    ]
    return done


def sheet_bytes(
    lines: list[list], code: str = "HF-09", company: str = "合肥顺达商贸", date: str = "2026-10-10"
) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["调退货明细表"])
    sheet.append(["经销商名称", company, "经销商代码", code, "填表日期", date])
    sheet.append(HEADER)
    for line in lines:
        sheet.append(line)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def mail_with(data: bytes, sender: str = DEALER, subject: str = "调退货明细表") -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = (
        sender,
        "complaints@desk.localhost",
        subject,
    )
    message.set_content("附件是本月的调退货明细表，请审核。")
    message.add_attachment(
        data, maintype="application", subtype="octet-stream", filename="调退货明细表.xlsx"
    )
    return bytes(message)


def send(desk, data: bytes, name: str = "sheet.eml"):
    return process(desk, Incoming("imap:test", name, name, data))


def decisions(desk, case_no: str) -> list[tuple[int, str, str]]:
    with desk.store.transaction() as session:
        case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
        request = session.scalars(
            select(ReturnRequest).where(ReturnRequest.case_id == case.id)
        ).one()
        return [
            (line.line_no, line.decision, returns.reason_text(line.decision_reason, "zh-Hans"))
            for line in request.lines
        ]


def slips(desk) -> list[email.message.EmailMessage]:
    with desk.store.transaction() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.purpose == "return_slip")
            .order_by(OutboxMessage.id)
        ).all()
        return [email.message_from_bytes(row.raw, policy=policy.default) for row in rows]


def slip_document(message) -> docx.Document:  # noqa: ANN001
    (attachment,) = [
        part for part in message.iter_attachments() if part.get_filename().endswith(".docx")
    ]
    return docx.Document(io.BytesIO(attachment.get_content()))


def test_master_data_files_are_recognised_by_their_headers(desk, master):
    assert any("notes.csv: rejected" in line for line in master)
    root = desk.config.path(desk.config.master_data.folder)
    (reason,) = (root / "rejected").glob("*.reason.txt")
    assert "no header row" in reason.read_text(encoding="utf-8")
    with desk.store.transaction() as session:
        dealer = session.scalars(select(Party).where(Party.kind == "dealer")).one()
        assert (dealer.code, dealer.name, dealer.email) == ("HF-09", "合肥顺达商贸", DEALER)
        assert dealer.attributes["ratio_limit"] == 0.05 and dealer.attributes["window_days"] == 90
        assert (
            session.scalars(select(Product).where(Product.part_no == "P-2")).one().unit_price == 200
        )
        assert sorted(session.scalars(select(Purchase.period))) == ["2026-09", "2026-10"]


@pytest.mark.slow  # LibreOffice (the slip as PDF)
def test_each_policy_branch_and_the_slip(desk, master):
    at(desk, "2026-10-12T10:00")
    lines = [
        [
            "SO-1",
            "P-1",
            "机油",
            "4L",
            20,
            "桶",
            100,
            2000,
            "2026-09-01",
            "不适销",
        ],  # within window and ratio (2 %)
        [
            "SO-2",
            "P-2",
            "机油",
            "4L",
            10,
            "桶",
            200,
            2000,
            "2026-05-01",
            "滞销",
        ],  # past the 90-day window
        [
            "SO-3",
            "P-6",
            "机油",
            "4L",
            4,
            "桶",
            1000,
            4000,
            "2026-09-20",
            "不适销",
        ],  # 2 % + 4 % > 5 %
        [
            "SO-4",
            "P-3",
            "机油",
            "4L",
            5,
            "桶",
            50,
            250,
            "2026-09-25",
            "质量问题",
        ],  # waits for inspection
        [
            "SO-5",
            "P-4",
            "机油",
            "4L",
            3,
            "桶",
            80,
            240,
            "2026-10-08",
            "运输破损",
        ],  # reported within 7 days
        [
            "SO-6",
            "P-4",
            "机油",
            "4L",
            2,
            "桶",
            80,
            160,
            "2026-09-01",
            "运输破损",
        ],  # reported too late
        ["SO-7", "P-5", "机油", "4L", 1, "桶", 10, 10, "2026-09-01", "其他"],  # for staff
    ]
    outcome = send(desk, mail_with(sheet_bytes(lines)))
    found = {number: decision for number, decision, _ in decisions(desk, outcome.case_no)}
    assert found == {
        1: "accepted",
        2: "refused",
        3: "refused",
        4: "pending",
        5: "accepted",
        6: "refused",
        7: "held",
    }
    reasons = {number: reason for number, _, reason in decisions(desk, outcome.case_no)}
    assert "90" in reasons[2] and "6.0%" in reasons[3] and "7 天" in reasons[6]

    (message,) = slips(desk)
    assert message["To"] == DEALER and outcome.case_no in message["Subject"]
    document = slip_document(message)
    text = "\n".join(p.text for p in document.paragraphs)
    slip_no = message["Subject"].split()[-1]
    assert slip_no.startswith("TH-2610-")
    info = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    assert info[0][1] == slip_no and info[1][1] == "合肥顺达商贸" and info[1][3] == "HF-09"
    table = [[cell.text for cell in row.cells] for row in document.tables[1].rows]
    assert [row[9] for row in table[1:8]] == [
        "同意",
        "不同意",
        "不同意",
        "待鉴定",
        "同意",
        "不同意",
        "待审核",
    ]
    assert (
        table[-1][5] == "23" and table[-1][8] == "2,240.00"
    )  # accepted: 20 + 3 pieces, 2000 + 240
    assert "售后服务中心" in text
    with desk.store.transaction() as session:
        case = session.scalars(select(Case).where(Case.case_no == outcome.case_no)).one()
        assert next(d for d in case.deadlines if d["step"] == "return_slip").get("done")
        assert round(exchange_ratio(session, "HF-09", "2026-10"), 4) == round(2240 / 100000, 4)


@pytest.mark.slow  # LibreOffice (the slip as PDF)
def test_checks_refuse_or_hold_before_the_policy(desk, master):
    at(desk, "2026-10-12T10:00")
    first = send(
        desk,
        mail_with(
            sheet_bytes([["SO-9", "P-1", "机油", "4L", 1, "桶", 100, 100, "2026-10-01", "不适销"]])
        ),
        "a.eml",
    )
    assert decisions(desk, first.case_no)[0][1] == "accepted"
    lines = [
        [
            "SO-9",
            "P-1",
            "机油",
            "4L",
            1,
            "桶",
            100,
            100,
            "2026-10-01",
            "不适销",
        ],  # the same order line again
        ["SO-10", "X-404", "机油", "4L", 1, "桶", 100, 100, "2026-10-01", "不适销"],  # unknown part
        ["SO-11", "P-1", "机油", "4L", 0, "桶", 100, 0, "2026-10-01", "不适销"],  # zero quantity
        ["SO-12", "P-1", "机油", "4L", 3, "桶", 100, 900, "2026-10-01", "不适销"],  # 3 × 100 ≠ 900
        [
            "SO-13",
            "P-1",
            "机油",
            "4L",
            3,
            "桶",
            90,
            270,
            "2026-10-01",
            "不适销",
        ],  # not the list price
    ]
    second = send(desk, mail_with(sheet_bytes(lines, date="2026-10-11")), "b.eml")
    found = decisions(desk, second.case_no)
    assert [decision for _, decision, _ in found] == ["refused", "held", "refused", "held", "held"]
    assert first.case_no in found[0][2] or "TH-" in found[0][2]


def test_sheet_from_an_unknown_dealer_or_a_stranger_is_held_not_decided(desk, master):
    at(desk, "2026-10-12T10:00")
    unknown = send(
        desk,
        mail_with(
            sheet_bytes(
                [["SO-1", "P-1", "机油", "4L", 1, "桶", 100, 100, "2026-10-01", "不适销"]],
                code="ZZ-00",
                company="不认识的公司",
            )
        ),
        "u.eml",
    )
    stranger = send(
        desk,
        mail_with(
            sheet_bytes([["SO-2", "P-1", "机油", "4L", 1, "桶", 100, 100, "2026-10-01", "不适销"]]),
            sender="someone@else.example.test",
        ),
        "s.eml",
    )
    assert {d for _, d, _ in decisions(desk, unknown.case_no)} == {"held"}
    assert {d for _, d, _ in decisions(desk, stranger.case_no)} == {"held"}
    assert "unknown dealer" in unknown.reason and "not an address of dealer" in stranger.reason
    assert slips(desk) == []


@pytest.mark.slow  # LibreOffice (the slip as PDF)
def test_inspection_verdict_decides_the_waiting_line_and_a_new_slip_follows(desk, master):
    at(desk, "2026-10-12T10:00")
    lines = [
        ["SO-4", "P-3", "机油", "4L", 5, "桶", 50, 250, "2026-09-25", "质量问题"],
        ["SO-8", "P-2", "机油", "4L", 2, "桶", 200, 400, "2026-09-25", "质量问题"],
    ]
    outcome = send(desk, mail_with(sheet_bytes(lines)))
    assert [d for _, d, _ in decisions(desk, outcome.case_no)] == ["pending", "pending"]

    def verdict(part: str, marks: tuple[str, str]) -> bytes:
        document = docx.Document()
        document.add_paragraph("售后服务三包材料退换鉴定单")
        table = document.add_table(rows=4, cols=2)
        for row, (label, value) in zip(
            table.rows,
            [
                ("鉴定单号", f"JD-{part}"),
                ("料号", part),
                ("鉴定结论", f"{marks[0]}属质量问题  {marks[1]}非质量问题（人为因素）"),
                ("责任判定", "□自制件  ■外购件"),
            ],
            strict=True,
        ):
            row.cells[0].text, row.cells[1].text = label, value
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()

    at(desk, "2026-10-14T09:00")
    process(
        desk,
        Incoming(
            "folder:quality", "v1", f"鉴定单-{outcome.case_no}-P-3.docx", verdict("P-3", ("■", "□"))
        ),
    )
    process(
        desk,
        Incoming(
            "folder:quality", "v2", f"鉴定单-{outcome.case_no}-P-2.docx", verdict("P-2", ("□", "■"))
        ),
    )
    found = decisions(desk, outcome.case_no)
    assert [d for _, d, _ in found] == ["accepted", "refused"]
    assert "JD-P-2" in found[1][2] and "非质量问题" in found[1][2]
    first, second, third = slips(desk)
    assert [row.cells[9].text for row in slip_document(second).tables[1].rows[1:-1]] == ["同意"]
    assert [row.cells[9].text for row in slip_document(third).tables[1].rows[1:-1]] == ["不同意"]


@pytest.mark.slow  # LibreOffice (the slip as PDF)
def test_management_overrides_a_line_by_mail_and_the_dealer_gets_a_slip(desk, master):
    at(desk, "2026-10-12T10:00")
    outcome = send(
        desk,
        mail_with(
            sheet_bytes(
                [
                    ["SO-7", "P-5", "机油", "4L", 1, "桶", 10, 10, "2026-09-01", "其他"],
                    ["SO-8", "P-5", "机油", "4L", 1, "桶", 10, 10, "2026-09-01", "其他"],
                ]
            )
        ),
    )
    command = EmailMessage()
    command["From"], command["To"] = "service.director@desk.localhost", "complaints@desk.localhost"
    command["Subject"] = f"Re: [{outcome.case_no}] 新退换货申请"
    command.set_content(
        "#line 1 accept 老客户特批\n#line 2 refuse 不符合退货政策\n#line 9 accept x"
    )
    result = send(desk, bytes(command), "cmd.eml")
    assert "退货申请没有第 9 行" in result.reason  # said back in the desk's language
    assert [(d, r) for _, d, r in decisions(desk, outcome.case_no)] == [
        ("accepted", "老客户特批"),
        ("refused", "不符合退货政策"),
    ]
    assert len(slips(desk)) == 2
    assert [row.cells[9].text for row in slip_document(slips(desk)[-1]).tables[1].rows[1:-1]] == [
        "同意",
        "不同意",
    ]


@pytest.mark.slow  # LibreOffice (the slip as PDF)
def test_dealer_text_is_escaped_in_the_slip(desk, master):
    at(desk, "2026-10-12T10:00")
    hostile = '</w:t><w:t>INJECTED & "quoted" <b>'
    send(
        desk,
        mail_with(
            sheet_bytes([["SO-1", "P-1", hostile, "4L", 1, "桶", 100, 100, "2026-10-01", "不适销"]])
        ),
    )
    table = slip_document(slips(desk)[0]).tables[1]
    assert table.rows[1].cells[3].text == hostile


@pytest.mark.slow  # LibreOffice (the slip as PDF)
def test_a_sheet_quoting_a_complaint_case_joins_that_case(desk, master):
    at(desk, "2026-10-12T10:00")
    complaint = EmailMessage()
    complaint["From"], complaint["To"], complaint["Subject"] = (
        DEALER,
        "complaints@desk.localhost",
        "投诉：机油质量",
    )
    complaint.set_content(
        "投诉人：顺达\n联系电话：13900001111\n产品名称：机油\n投诉内容：机油浑浊，要求退货。"
    )
    case_no = send(desk, bytes(complaint), "c.eml").case_no
    lines = [["SO-1", "P-3", "机油", "4L", 5, "桶", 50, 250, "2026-09-25", "质量问题"]]
    outcome = send(
        desk, mail_with(sheet_bytes(lines), subject=f"Re: [{case_no}] 退货明细"), "s.eml"
    )
    assert outcome.case_no == case_no
    with desk.store.transaction() as session:
        assert len(session.scalars(select(Case)).all()) == 1
        case = session.scalars(select(Case)).one()
        assert any(d["step"] == "return_slip" and d.get("done") for d in case.deadlines)
