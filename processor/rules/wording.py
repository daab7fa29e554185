"""The second reader: a linear model of how complaints are worded, beside the lexicon.

The lexicon (parsers/meaning.py, the rule file's signals) knows the words a rule writer thought
of; customers find others. Scored on mails by writers nobody tuned on, the lexicon alone was
right on the category of 57 % and the level of 76 %; a model learned from the labelled corpus
(tests/corpus/freetext: character 1–3-grams of the same normalised, masked text the lexicon
reads, TF-IDF weighted, one logistic regression per fact) reads the wording as a whole and is
wrong in other places. Each fact is decided by both: the model's probabilities, with the
lexicon's answer given a bonus (`[wording] trust`) unless the lexicon itself was unsure. Where
the two disagree, the fact is marked uncertain, so the owner is asked to confirm it.

The model is data (processor/data/wording_model.json, written by tools/train_wording.py from
the corpus); reading it needs no numpy or scikit-learn: a text's n-grams are counted, weighted
and multiplied by the stored coefficients in plain Python.
"""

from __future__ import annotations

import base64
import json
import math
from array import array
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

BUILTIN_MODEL = Path(__file__).parent.parent / "data" / "wording_model.json"
GRAM_SIZES = (1, 2, 3)
FULL_TEXT = 60  # distinct known n-grams of a text the model reads fully: about two lines of Chinese


def grams(prepared: str) -> list[str]:
    """Character 1–3-grams of each whitespace-separated run, padded with a space at both ends
    (so a Latin word's edges count, and a Chinese run's n-grams never span two clauses)."""
    found: list[str] = []
    for token in prepared.split():
        padded = f" {token} "
        for size in GRAM_SIZES:
            found.extend(padded[start : start + size] for start in range(len(padded) - size + 1))
    return found


@dataclass(frozen=True)
class FactModel:
    """One fact's classes, intercepts, and per n-gram coefficients (a row of one per class)."""

    classes: tuple[str, ...]
    intercept: tuple[float, ...]
    coef: (
        array  # float32, row-major: n-gram i's row is coef[i * len(classes):(i + 1) * len(classes)]
    )


@dataclass(frozen=True)
class WordingModel:
    index: dict[str, int]  # n-gram → its row
    idf: array
    facts: dict[str, FactModel]
    trained_on: dict[str, str]  # corpus file → sha256, checked by tests/test_wording.py

    @classmethod
    def from_json(cls, data: dict) -> WordingModel:
        """The stored form: the n-grams as one newline-joined string, the numbers as base64
        float32 arrays (a JSON list of floats takes ten times as long to read at start-up)."""
        facts = {
            name: FactModel(tuple(fact["classes"]), tuple(fact["intercept"]), unpack(fact["coef"]))
            for name, fact in data["facts"].items()
        }
        index = {gram: row for row, gram in enumerate(data["grams"].split("\n"))}
        return cls(index, unpack(data["idf"]), facts, data["trained_on"])

    def weights(self, prepared: str) -> dict[int, float]:
        """The text's TF-IDF vector as scikit-learn builds it (sublinear tf, L2 norm), by row."""
        counts = Counter(self.index[gram] for gram in grams(prepared) if gram in self.index)
        vector = {row: (1 + math.log(count)) * self.idf[row] for row, count in counts.items()}
        norm = math.sqrt(sum(value * value for value in vector.values())) or 1.0
        return {row: value / norm for row, value in vector.items()}

    def confidence(self, weights: dict[int, float]) -> float:
        """How much the model has to read, from 0 to 1: the text's known n-grams against those
        of a few lines (a one-line complaint gives it little; the lexicon's answer then weighs
        more)."""
        return max(min(len(weights) / FULL_TEXT, 1.0), 0.05)

    def probabilities(self, fact: str, weights: dict[int, float]) -> dict[str, float]:
        """Multinomial logistic regression: softmax of intercept + coefficients · weights."""
        model = self.facts[fact]
        width = len(model.classes)
        scores = list(model.intercept)
        for row, weight in weights.items():
            for column, value in enumerate(model.coef[row * width : (row + 1) * width]):
                scores[column] += value * weight
        top = max(scores)
        exps = [math.exp(score - top) for score in scores]
        total = sum(exps)
        return {name: value / total for name, value in zip(model.classes, exps, strict=True)}


def pack(values: list[float]) -> str:
    return base64.b64encode(array("f", values).tobytes()).decode("ascii")


def unpack(text: str) -> array:
    values = array("f")
    values.frombytes(base64.b64decode(text))
    return values


@lru_cache(maxsize=4)
def load_model(path: Path = BUILTIN_MODEL) -> WordingModel | None:
    """The model at `path`, read once per process; None when there is none (the lexicon alone)."""
    try:
        return WordingModel.from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None


@dataclass(frozen=True)
class Reading:
    """What the two readers make of one fact together."""

    value: str
    probability: float  # the model's, for the value chosen
    lexicon: str
    agree: bool

    def explain(self) -> str:
        if self.agree:
            return f"the wording model agrees ({self.probability:.0%})"
        return f"the wording model reads {self.value} ({self.probability:.0%}), the lexicon {self.lexicon}"


def read_fact(
    model: WordingModel, fact: str, weights: dict[int, float], lexicon: str, bonus: float
) -> Reading:
    """The model's probabilities with `bonus` added to the lexicon's answer; the highest wins."""
    probabilities = model.probabilities(fact, weights)
    votes = dict(probabilities)
    if lexicon in votes:
        votes[lexicon] += bonus
    value = max(votes, key=votes.__getitem__)
    return Reading(value, probabilities[value], lexicon, value == lexicon)
