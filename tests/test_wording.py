"""The second reader (processor/rules/wording.py): the committed model is the one the corpus
gives, its plain-Python reading is scikit-learn's, and the engine weighs it against the lexicon
as the rule file's [wording] says — disagreement asks staff to confirm."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from parsers.meaning import prepare
from parsers.model import ParsedDocument
from processor.errors import ConfigError
from processor.rules.engine import BUILTIN_RULES, decide, load_rules, working_calendar
from processor.rules.wording import BUILTIN_MODEL, FULL_TEXT, WordingModel, grams, load_model, pack
from tests.conftest import SAMPLES
from tools.train_wording import fingerprint, fit, training_files

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_the_committed_model_was_learned_from_the_corpus_as_it_is():
    """A corpus file changed or added without `make wording` leaves the model behind."""
    committed = json.loads(BUILTIN_MODEL.read_text(encoding="utf-8"))["trained_on"]
    now = fingerprint(training_files())
    if not SAMPLES.is_dir():  # without the samples, the corpus' part of the fingerprint
        committed = {name: digest for name, digest in committed.items() if name.endswith(".toml")}
    assert committed == now, (
        "the corpus changed: run `make wording` and commit processor/data/wording_model.json"
    )


def test_grams_are_padded_runs_of_one_to_three_characters():
    assert grams("刹车 ok") == [
        " ",
        "刹",
        "车",
        " ",
        " 刹",
        "刹车",
        "车 ",
        " 刹车",
        "刹车 ",
        " ",
        "o",
        "k",
        " ",
        " o",
        "ok",
        "k ",
        " ok",
        "ok ",
    ]


TEXTS = [
    "刹车失灵差点出事",
    "刹车又失灵了",
    "销售态度恶劣不理人",
    "销售顾问态度差",
    "发票一直没开",
    "发票开错了",
    "the brakes failed again",
    "rude salesman ignored us",
    "invoice still missing",
    "空调不制冷",
    "空调又不制冷了",
    "态度差还挂电话",
]
LABELS = {
    "category": [
        "product_quality",
        "product_quality",
        "service",
        "service",
        "other",
        "other",
        "product_quality",
        "service",
        "other",
        "product_quality",
        "product_quality",
        "service",
    ],
    "business_line": [
        "after_sales",
        "after_sales",
        "sales",
        "sales",
        "sales",
        "sales",
        "after_sales",
        "sales",
        "sales",
        "after_sales",
        "after_sales",
        "after_sales",
    ],
}


@pytest.mark.parametrize(
    "fact", ["category", "business_line"]
)  # three classes, and two (a binary regression)
def test_the_plain_python_reading_is_scikit_learns(fact):
    exported, vectorizer, fitted = fit([prepare(text) for text in TEXTS], LABELS)
    model = WordingModel.from_json({**exported, "trained_on": {}})
    unseen = [
        prepare(text) for text in ("刹车失灵", "态度恶劣", "发票呢", "no invoice yet", "空调坏了")
    ]
    expected = fitted[fact].predict_proba(vectorizer.transform(unseen))
    for text, row in zip(unseen, expected, strict=True):
        got = model.probabilities(fact, model.weights(text))
        assert [got[name] for name in fitted[fact].classes_] == pytest.approx(list(row), abs=1e-3)


# ── the engine: a model of known coefficients, so the expectations are written out here
# a product fault, weakly, in a mail long enough for the model to read it fully
WEAK_FAULT = "空调不制冷，我想退。上个星期三下午在家里打开的时候就发现了，后来每天都是这样，一家老小都热得睡不好觉。"


def write_model(
    path: Path,
    known: list[str],
    fact: str,
    classes: list[str],
    intercept: list[float],
    coef: list[float],
) -> None:
    """A model file of one fact: the n-grams `known` (idf 1), `coef` row by row."""
    facts = {fact: {"classes": classes, "intercept": intercept, "coef": pack(coef)}}
    model = {
        "grams": "\n".join(known),
        "idf": pack([1.0] * len(known)),
        "trained_on": {},
        "facts": facts,
    }
    path.write_text(json.dumps(model), encoding="utf-8")


def toy_model(path: Path, known_text: str = WEAK_FAULT) -> None:
    """Knows each n-gram of `known_text` (idf 1); `退` alone reads as `other`, strongly."""
    known = ["退", *sorted(set(grams(prepare(known_text))) - {"退"})]
    coef = [40.0, 0.0, 0.0] + [0.0, 0.0, 0.0] * (len(known) - 1)
    write_model(path, known, "category", ["other", "product_quality", "service"], [0, 0, 0], coef)


def rules_file(tmp_path: Path, wording: str):
    """The built-in rule file with its [wording] table replaced, loaded."""
    text = BUILTIN_RULES.read_text(encoding="utf-8")
    (tmp_path / "rules.toml").write_text(
        text[: text.index("[wording]")] + wording, encoding="utf-8"
    )
    return load_rules(tmp_path / "rules.toml")


def rules_with(tmp_path: Path, wording: str, known_text: str = WEAK_FAULT):
    toy_model(tmp_path / "toy.json", known_text)
    return rules_file(tmp_path, wording)


def judged(rules, text: str):
    doc = ParsedDocument(file="m.eml", format="eml", kind="complaint", title="")
    doc.text = text
    return decide(doc, rules, working_calendar(rules, time(8, 30), time(17, 30)), MONDAY)


def test_a_confident_model_outweighs_weak_lexicon_evidence_and_asks_to_confirm(tmp_path):
    lexicon_only = judged(rules_with(tmp_path, "[wording]\nenabled = false\n"), WEAK_FAULT)
    assert lexicon_only.category == "product_quality" and "category" not in lexicon_only.uncertain
    both = judged(
        rules_with(tmp_path, '[wording]\nmodel = "toy.json"\ntrust = { category = 0.1 }\n'),
        WEAK_FAULT,
    )
    assert both.category == "other" and "category" in both.uncertain
    assert len(set(grams(prepare(WEAK_FAULT)))) >= FULL_TEXT  # read fully: trust weighs as written
    why = next(fired["why"] for fired in both.fired if fired["rule"] == "category = other")
    assert re.fullmatch(r"the wording model reads other \(\d+%\), the lexicon product_quality", why)


def test_a_text_the_model_knows_little_of_is_the_lexicons(tmp_path):
    rules = rules_with(
        tmp_path, '[wording]\nmodel = "toy.json"\ntrust = { category = 0.1 }\n', known_text=""
    )
    decision = judged(
        rules, WEAK_FAULT
    )  # one known n-gram (`退`): the lexicon's answer weighs 20 × trust
    assert decision.category == "product_quality" and "category" not in decision.uncertain


def test_trusted_lexicon_evidence_stands_against_the_model(tmp_path):
    decision = judged(
        rules_with(tmp_path, '[wording]\nmodel = "toy.json"\ntrust = { category = 1.0 }\n'),
        WEAK_FAULT,
    )
    assert decision.category == "product_quality" and "category" not in decision.uncertain


def test_a_fact_without_trust_is_the_lexicons_alone(tmp_path):
    decision = judged(rules_with(tmp_path, '[wording]\nmodel = "toy.json"\n'), WEAK_FAULT)
    assert decision.category == "product_quality"
    assert not any("wording model" in fired["why"] for fired in decision.fired)


def test_a_rule_file_with_an_unknown_fact_in_wording_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="wording"):
        rules_with(tmp_path, "[wording]\ntrust = { colour = 0.1 }\n")


def test_a_desk_without_the_model_file_judges_by_the_lexicon(tmp_path):
    copy = tmp_path / "data"
    copy.mkdir()
    shutil.copy(BUILTIN_RULES, copy / "rules.toml")
    assert load_model(tmp_path / "absent.json") is None
    rules = load_rules(copy / "rules.toml")
    assert rules.wording.trust  # the built-in file trusts the model on its facts…
    text = (
        (copy / "rules.toml")
        .read_text(encoding="utf-8")
        .replace("[wording]", '[wording]\nmodel = "absent.json"')
    )
    (copy / "rules.toml").write_text(text, encoding="utf-8")
    decision = judged(
        load_rules(copy / "rules.toml"), WEAK_FAULT
    )  # … and without its file, judges as before
    assert decision.category == "product_quality"


SCALDED = "孩子洗澡的时候热水器出水突然变得滚烫，手臂烫伤起了好几个水泡，我们晚上带他去看了急诊，现在还在换药。"


def grievance_model(path: Path, known_text: str) -> None:
    """Knows every n-gram of `known_text` and reads every text as a grievance, all but surely."""
    known = sorted(set(grams(prepare(known_text))))
    write_model(path, known, "level", ["grievance", "major"], [10, 0], [0.0, 0.0] * len(known))


@pytest.mark.parametrize(
    "binding, level", [("[]", "grievance"), ('["level.major/injury"]', "major")]
)
def test_a_binding_injury_is_never_read_away_by_the_model(tmp_path, binding, level):
    grievance_model(tmp_path / "toy.json", SCALDED)
    wording = f'[wording]\nmodel = "toy.json"\ntrust = {{ level = 0.2 }}\nbinding = {binding}\n'
    decision = judged(rules_file(tmp_path, wording), SCALDED)
    assert decision.level == level, decision.fired


def test_a_binding_family_that_does_not_exist_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="binding"):
        rules_with(
            tmp_path, '[wording]\ntrust = { level = 0.2 }\nbinding = ["level.major/injurys"]\n'
        )


def test_the_shipped_desk_keeps_a_burn_a_major_complaint():
    rules = load_rules()
    decision = judged(
        rules,
        "My son touched the oven door and got a burn on his palm; the door gets much hotter "
        "than it should. Please send someone to look at it this week.",
    )
    assert decision.level == "major"
    assert any(
        fired["why"] == "a binding trigger: the wording model is not asked"
        for fired in decision.fired
    )
