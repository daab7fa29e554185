"""The plan (processor/actions `plan`) and the handler table it runs through (registry.py)."""

from __future__ import annotations

from parsers.model import ParsedDocument
from processor.actions import Action, plan, registry
from processor.rules.engine import Decision, Role
from vocabulary import ActionType

OWN = {"desk@example.test"}


def complaint(kind: str = "complaint", **meta) -> ParsedDocument:
    return ParsedDocument(
        file="m.eml", format="eml", kind=kind, meta={"sender": "li@example.test", **meta}
    )


def routed(**changes) -> Decision:
    return Decision(
        category="product_quality",
        level="major",
        owner="GM",
        owner_email="gm@example.test",
        inform=[Role(name="QA", email="qa@example.test")],
        **changes,
    )


def test_every_action_type_has_its_handler_in_the_table():
    assert set(registry.HANDLERS) == set(ActionType)


def test_a_new_case_is_planned_step_by_step_in_the_order_they_are_done():
    actions = plan(
        complaint(),
        routed(escalate=True, escalate_to=Role(name="GM", email="gm@example.test")),
        OWN,
    )
    assert [(a.type, a.to) for a in actions] == [
        ("open_case", None),
        ("acknowledge", "li@example.test"),
        ("notify_owner", "gm@example.test"),
        ("inform", "qa@example.test"),
        ("escalate", "gm@example.test"),
    ]


def test_a_return_sheet_naming_a_case_tries_that_case_first_and_gets_its_slip_before_the_owner_hears():
    sheet = complaint("return_sheet")
    sheet.case_ref = "CS-2611-0007"
    assert [a.type for a in plan(sheet, routed(), OWN)] == [
        "return_on_case",
        "open_case",
        "acknowledge",
        "return_slip",
        "notify_owner",
        "inform",
        "link_case",
    ]


def test_robots_and_verdicts_get_their_own_steps():
    assert [a.type for a in plan(complaint("bounce"), Decision(), OWN)] == [
        "record",
        "record_bounce",
    ]
    assert [
        a.type for a in plan(complaint("inspection"), Decision(), OWN, staff_to="ops@example.test")
    ] == ["apply_inspection", "file_for_staff"]


def test_a_handler_may_settle_the_document_or_replace_the_rest_of_the_plan(monkeypatch):
    done = []

    def note(step, action):  # noqa: ANN001, ANN202
        done.append(action.detail["n"])

    def settle(step, action):  # noqa: ANN001, ANN202
        done.append("settled")
        return []

    def replace(step, action):  # noqa: ANN001, ANN202
        done.append("replaced")
        return [Action(ActionType.INFORM, None, {"n": "instead"})]

    monkeypatch.setitem(registry.HANDLERS, ActionType.INFORM, note)
    monkeypatch.setitem(registry.HANDLERS, ActionType.RETURN_ON_CASE, settle)
    monkeypatch.setitem(registry.HANDLERS, ActionType.RECORD_ON_CASE, replace)
    registry.act(
        None,
        [
            Action(ActionType.INFORM, None, {"n": 1}),
            Action(ActionType.RETURN_ON_CASE),
            Action(ActionType.INFORM, None, {"n": 2}),
        ],
    )
    assert done == [1, "settled"]
    done.clear()
    registry.act(
        None, [Action(ActionType.RECORD_ON_CASE), Action(ActionType.INFORM, None, {"n": 2})]
    )
    assert done == ["replaced", "instead"]
