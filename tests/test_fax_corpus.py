"""The fax generator (tests/faxes/make_faxes.py) and its scorer's amount rules, without OCR."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PIL import Image

from tests.faxes import make_faxes, score

pytestmark = pytest.mark.skipif(
    not make_faxes.NOTO.is_dir() or not make_faxes.DEJAVU.is_dir(),
    reason="fonts-noto-cjk and fonts-dejavu are needed to draw faxes",
)


def one_of_each(seed: int) -> list[make_faxes.Plan]:
    """A fine PDF, a standard PDF and a standard TIFF: one of each kind of document."""
    plans = make_faxes.plan(36, seed)
    wanted = [("complaint-", False, False), ("return-", True, False), ("feedback-", True, True)]
    return [
        next(
            p
            for p in plans
            if p.layout.startswith(prefix) and p.how.standard == standard and p.how.tiff == tiff
        )
        for prefix, standard, tiff in wanted
    ]


@pytest.mark.slow  # the fax corpus
def test_the_set_covers_kinds_layouts_tilts_resolutions_and_formats():
    plans = make_faxes.plan(36, 20)
    assert {p.layout for p in plans} == set(make_faxes.LAYOUTS)
    assert {p.how.tilt for p in plans} == set(make_faxes.TILTS)
    assert {p.how.standard for p in plans} == {True, False}
    assert {p.how.tiff for p in plans} == {True, False}
    for layout in make_faxes.LAYOUTS:  # each layout at more than one tilt and both resolutions
        mine = [p for p in plans if p.layout == layout]
        assert len({p.how.tilt for p in mine}) == len(mine) and {p.how.standard for p in mine} == {
            True,
            False,
        }


@pytest.mark.slow  # draws faxes
def test_same_seed_same_faxes_other_seed_other_faxes(tmp_path: Path):
    first, again, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for folder in (first, again, other):
        folder.mkdir()
    answers = [make_faxes.make_one(p, first) for p in one_of_each(20)]
    assert answers == [make_faxes.make_one(p, again) for p in one_of_each(20)]
    for answer in answers:
        assert (first / answer["file"]).read_bytes() == (again / answer["file"]).read_bytes()
    assert [a["fields"] for a in answers] != [
        make_faxes.make_one(p, other)["fields"] for p in one_of_each(21)
    ]


@pytest.mark.slow  # draws faxes
def test_answers_are_normalised_and_the_images_are_faxes(tmp_path: Path):
    for item in one_of_each(20):
        answer = make_faxes.make_one(item, tmp_path)
        stem = item.name.rsplit(".", 1)[0]
        assert (
            json.loads((tmp_path / f"{stem}.expected.json").read_text(encoding="utf-8")) == answer
        )
        fields = answer["fields"]
        assert answer["kind"] in ("complaint", "return_sheet", "feedback_form")
        for name, value in fields.items():
            if name.endswith("_date"):
                assert re.fullmatch(r"2026-\d\d-\d\d", value), (name, value)
            if name == "phone":
                assert re.fullmatch(r"\d{11,12}", value), value
        for line in answer.get("lines", []):
            assert line["amount"] == round(line["quantity"] * line["unit_price"], 2)
            assert re.fullmatch(r"SO26\d\d-\d{4}", line["order_no"]) and re.fullmatch(
                r"B26\d{4}", line["batch_no"]
            )
        if answer["kind"] == "return_sheet":
            assert 3 <= len(answer["lines"]) <= 8
        path = tmp_path / item.name
        if item.how.tiff:
            with Image.open(path) as image:
                assert image.mode == "1" and image.info["compression"] == "group4"
                assert image.size == (1728, 1145) and image.info["dpi"] == (204, 98)
        else:
            assert path.read_bytes().startswith(b"%PDF")


def test_amounts_right_unverified_missing_and_silently_wrong():
    expected = {
        "lines": [
            {"amount": 3256.0},
            {"amount": 1760.0},
            {"amount": 99.5},
            {"amount": 36081.0},
            {"amount": 19794.0},
        ]
    }
    actual = {
        "lines": [{"amount": 3256}, {"amount": 176.0}, {}, {"amount": 99.0}, {"amount": 1.0}],
        "unverified": ["lines[1].amount", "line 5 amount"],
    }
    assert score.amount_classes(expected, actual) == {
        "right": 1,
        "unverified": 2,
        "missing": 1,
        "silently wrong": 1,
    }
    assert score.amount_classes(expected, {}) == {"missing": 5}
    assert score.amount_classes(expected, {"lines": actual["lines"], "unverified": ["lines"]}) == {
        "right": 1,
        "unverified": 4,
    }


def test_classification_the_answer_leaves_out_is_not_scored():
    got = {"kind": "complaint", "level": "major", "category": "service", "fields": {}}
    assert score.scored_part({"kind": "complaint", "fields": {}}, got) == {
        "kind": "complaint",
        "fields": {},
    }
    assert score.scored_part({"kind": "complaint", "level": "complaint"}, got)["level"] == "major"
