"""No display text in Python code: words a person reads live in the templates and catalogs
(templates/locale), named by canonical ids.

- No Chinese literal anywhere in processor/, parsers/ or outputs/, except input-side vocabulary
  (what parsers and commands recognise), listed here with why.
- No literal text, in any language, reaches a mail: what code passes to the functions that
  compose mails (subject, greeting, intro, rows, closing, …) is catalog ids and data. A literal
  there is allowed only when it is an id (`staff.row.customer`, `outside.`) or has no words
  (`—`, `, `), or is a MIME type or a file suffix."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("processor", "parsers", "outputs")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
INPUT_SIDE = {  # file → why its Chinese literals are vocabulary read, never text written
    **{
        str(p.relative_to(ROOT)): "parsers read forms, mails and OCR in Chinese"
        for p in (ROOT / "parsers").rglob("*.py")
    },
    "processor/master_data.py": "master-data sheets' quarters (第一季度)",
    "processor/rules/holiday_schedules.py": "the State Council notice's title, searched for",
    "processor/config.py": "the desk's default name in the config file",
    "outputs/compose.py": "a staff reply's own greeting (您好), recognised",
}
INPUT_NAMES = {"STATUS_WORDS", "LINE_WORDS"}  # staff commands' words (processor/staff.py)
# the functions that compose what a person reads (outputs/compose.py, outputs/report_mail.py)
MAIL_BUILDERS = {
    "staff_note",
    "notice",
    "owner_notice",
    "acknowledgement",
    "customer_mail",
    "return_slip",
    "new_message",
    "report_message",
    "tell_operator",
}
NOT_TEXT = {
    "purpose",
    "msgid",
    "to",
    "cc",
    "in_reply_to",
    "references",
    "case_no",
    "slip_no",
    "kind",
}
WORD = re.compile(r"[A-Za-z]{2,}|[\u3400-\u4dbf\u4e00-\u9fff]")
ID = re.compile(r"^[a-z_][a-z0-9_]*(?:\.[a-z0-9_]*)*$")  # a catalog id, or the stem of one
TECHNICAL = re.compile(r"^(?:[a-z]+/[\w.+-]+|\.\w+)$")  # a MIME type, a file suffix


def chinese_literals(tree: ast.AST) -> list[str]:
    skipped = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            skipped.add(id(body[0].value))  # docstrings
        if isinstance(node, ast.Assign) and any(
            getattr(t, "id", None) in INPUT_NAMES for t in node.targets
        ):
            skipped.update(id(inner) for inner in ast.walk(node.value))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skipped
        and CJK.search(node.value)
    ]


def texts_given_to_mails(tree: ast.AST) -> list[str]:
    """Literals with words in what code hands to a mail builder (ids and data are fine)."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
        if name not in MAIL_BUILDERS:
            continue
        given = [*node.args, *(k.value for k in node.keywords if k.arg not in NOT_TEXT)]
        for value in given:
            for inner in ast.walk(value):
                if (
                    isinstance(inner, ast.Constant)
                    and isinstance(inner.value, str)
                    and WORD.search(inner.value)
                    and not ID.match(inner.value)
                    and not TECHNICAL.match(inner.value)
                ):
                    found.append(inner.value)
    return found


def python_files():
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield str(path.relative_to(ROOT)), ast.parse(path.read_text(encoding="utf-8"))


def test_no_chinese_display_strings_in_code():
    found = {
        name: literals
        for name, tree in python_files()
        if name not in INPUT_SIDE and (literals := chinese_literals(tree))
    }
    assert not found, f"Chinese display text in code (put it in templates/locale): {found}"


def test_no_literal_text_reaches_a_mail():
    found = {name: texts for name, tree in python_files() if (texts := texts_given_to_mails(tree))}
    assert not found, f"text worded in code for a mail (use a catalog id): {found}"


def test_the_checks_find_display_text():
    """The two checks on code that words a mail itself, as the staff mails did before."""
    worded = ast.parse(
        'compose.staff_note(sender, to=a, subject=f"[{no}] 逾期：{step} / overdue", greeting=name,\n'
        '    intro=gettext(language, "staff.overdue.intro"), rows=[("Customer", who or "—")], purpose="overdue",\n'
        "    language=language)\n"
        'tell_operator(desk, session, "open problems", found)\n'
    )
    assert chinese_literals(worded) == ["] 逾期："]
    assert texts_given_to_mails(worded) == ["] 逾期：", " / overdue", "Customer", "open problems"]
    clean = ast.parse(
        'compose.staff_note(sender, to=a, subject=gettext(language, "staff.overdue.subject_one"),\n'
        '    rows=[(gettext(language, "staff.row.customer"), who or "—")], purpose=f"overdue.{now}")\n'
    )
    assert chinese_literals(clean) == [] and texts_given_to_mails(clean) == []
