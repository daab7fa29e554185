"""Hostile input through the whole worker: the bad samples and worse ones made here — zip and
XML entity bombs, encrypted and malformed files, a huge attachment and very many, path
traversal in names, nesting, a 500-page PDF, formula and HTML injection. Each is quarantined
with a reason or made harmless, the worker goes on, and its memory stays under 1 GB."""

from __future__ import annotations

import email
import io
import json
import os
import resource
import subprocess
import sys
import zipfile
from email import policy
from email.message import EmailMessage
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pypdfium2 as pdfium
import pytest
from sqlalchemy import select

from outputs.reasons import reason_text
from processor.config import load_config
from processor.desk import Desk
from processor.store.models import Document, OutboxMessage
from tests.conftest import ROOT, sample, settle
from tests.test_parser_quirks import _form_docx

pytestmark = pytest.mark.slow  # the whole worker, as a process, on bombs and a 30 MB mail

COMPLAINT = (
    "投诉人：王喆\n联系电话：13800138000\n产品名称：热水器\n投诉内容：热水器漏水，要求换货。\n"
)


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<a>" + b"0" * (300 * 1024 * 1024) + b"</a>")
    return out.getvalue()


def entity_bomb() -> bytes:
    entities = "".join(
        f'<!ENTITY e{i} "{"&e" + str(i - 1) + ";" * 10 if i else "lol"}">' for i in range(10)
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0"?><!DOCTYPE lolz [{entities}]><workbook>&e9;</workbook>',
        )
    return out.getvalue()


def encrypted_docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        info = zipfile.ZipInfo("word/document.xml")
        info.flag_bits |= 0x1
        archive.writestr(info, b"garbage")
    return out.getvalue()


def long_pdf(pages: int) -> bytes:
    document = pdfium.PdfDocument.new()
    for _ in range(pages):
        document.new_page(595, 842)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def mail(
    subject: str,
    body: str,
    attachments: list[tuple[str, bytes]] = (),
    sender: str = "evil@example.test",
) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = (
        sender,
        "complaints@desk.localhost",
        subject,
    )
    message.set_content(body)
    for name, data in attachments:
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return bytes(message)


CPU_BUDGET = (
    60  # CPU seconds for the whole hostile batch; each process is stopped (SIGXCPU) at twice that
)

# Runs a command and says what it and every process under it cost, the worker's reading
# processes included: they are children of multiprocessing's fork server, which the worker
# never waits for, so they are reaped here (a child subreaper) and counted in RUSAGE_CHILDREN.
ACCOUNTED = """
import ctypes, json, os, resource, subprocess, sys
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)
while True:  # orphans of the worker, once it ended, are reparented here: wait for every one
    try:
        os.wait()
    except ChildProcessError:
        break
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"exit": code, "cpu_seconds": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024}))
"""


def cpu_capped() -> None:
    """In the accounting process before it starts, inherited by every process under it: the
    kernel stops any of them past 2 × CPU_BUDGET CPU seconds, so a runaway parse ends the
    test instead of hanging it."""
    resource.setrlimit(resource.RLIMIT_CPU, (2 * CPU_BUDGET, 2 * CPU_BUDGET + 5))


def nested(levels: int) -> bytes:
    inner = EmailMessage()
    inner["From"], inner["Subject"] = "a@example.test", "投诉"
    inner.set_content(COMPLAINT)
    message = inner
    for _ in range(levels):
        outer = MIMEMultipart()
        outer["From"], outer["Subject"] = "fwd@example.test", "Fwd"
        outer.attach(MIMEText("转发", "plain", "utf-8"))
        outer.attach(MIMEMessage(message))
        message = outer
    return message.as_bytes()


def test_hostile_files_and_mails_are_quarantined_or_made_harmless(desk_dir):
    config = desk_dir / "aftersales.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("max_seconds = 60", "max_seconds = 20"),
        encoding="utf-8",
    )
    incoming = desk_dir / "shared" / "incoming"
    files = {
        "046.pdf": sample("046-").read_bytes(),
        "047.xlsx": sample("047-").read_bytes(),
        "048.docx": sample("048-").read_bytes(),
        "bomb.docx": zip_bomb(),
        "entities.xlsx": entity_bomb(),
        "locked.docx": encrypted_docx(),
        "long.pdf": long_pdf(500),
        "random.bin": os.urandom(4096),
        "empty.docx": b"",
    }
    for name, data in files.items():
        (incoming / name).write_bytes(data)
    mails = {
        "huge": mail("投诉", COMPLAINT, [("big.xlsx", b"\0" * (30 * 1024 * 1024))]),
        "many": mail("投诉", COMPLAINT, [(f"f{i}.txt", b"x") for i in range(80)]),
        "traversal": mail("投诉", COMPLAINT, [("../../../../etc/cron.d/evil.docx", _form_docx())]),
        "nested": nested(12),
        "injection": mail(
            "投诉",
            COMPLAINT.replace("王喆", '<script>alert(1)</script>=cmd|"/C calc"!A0'),
            sender="victim@example.test",
        ),
    }
    for index, (name, data) in enumerate(mails.items()):
        (desk_dir / "inbox" / "new" / f"17640{index:05d}.M{index}.{name}").write_bytes(data)
    settle(*incoming.iterdir())

    command = [sys.executable, "-m", "processor", "--config", str(config), "run", "--once"]
    run = subprocess.run(
        [sys.executable, "-c", ACCOUNTED, *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        preexec_fn=cpu_capped,
        timeout=1800,
    )
    assert run.returncode == 0, run.stderr[
        -2000:
    ]  # -SIGXCPU: a process of the worker went past the cap
    usage = json.loads(run.stdout)
    assert usage["exit"] == 0, run.stderr[-2000:]
    # CPU time, not wall time: the machine's load does not stretch it. Each bomb is refused by
    # what it declares, before the work it asks for is done, so the whole batch costs little
    # more than starting the worker and reading the 30 MB mail (measured 2026-11-28: 9.9 CPU
    # seconds, the worker and its reading processes together; the largest process 452 MB).
    assert usage["cpu_seconds"] < CPU_BUDGET, (
        f"the hostile batch took {usage['cpu_seconds']:.0f} CPU seconds"
    )
    assert usage["peak_mb"] < 1024, f"peak memory {usage['peak_mb']:.0f} MB"

    quarantined = sorted(
        p.name
        for p in (desk_dir / "shared" / "quarantine").iterdir()
        if not p.name.endswith(".reason.txt")
    )
    assert quarantined == sorted(files)  # every hostile file, none lost, each with a reason
    for name in files:
        assert (
            (desk_dir / "shared" / "quarantine" / f"{name}.reason.txt")
            .read_text(encoding="utf-8")
            .strip()
        )
    assert list(incoming.iterdir()) == []

    with Desk.open(load_config(config)) as desk, desk.store.transaction() as session:
        documents = {row.filename: row for row in session.scalars(select(Document))}
        # the reasons as the catalog words them in English (they are stored as codes)
        reasons = {name: reason_text(row.reason, "en") for name, row in documents.items()}
        assert "unsafe" in reasons["bomb.docx"] and "unsafe" in reasons["entities.xlsx"]
        assert "encrypted" in reasons["046.pdf"] or "password" in reasons["046.pdf"]
        assert reasons["locked.docx"] and "500 pages" in reasons["long.pdf"]
        assert len(documents) == len(files) + len(mails)
        # attachments are never written to disk; a name that climbs out of a folder is read
        # under its last part only, and the mail is a case like any other
        traversal = next(row for name, row in documents.items() if ".traversal" in name)
        assert traversal.status == "processed" and traversal.case_id is not None
        assert [part["file"] for part in traversal.parsed["attachments"]] == ["evil.docx"]
        acknowledgement = next(
            row
            for row in session.scalars(select(OutboxMessage))
            if row.purpose == "acknowledgement" and "victim@example.test" in row.recipients
        )
    html = (
        email.message_from_bytes(acknowledgement.raw, policy=policy.default)
        .get_body(("html",))
        .get_content()
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
