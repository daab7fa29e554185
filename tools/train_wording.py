"""Learn the wording model (processor/rules/wording.py) from the labelled corpus: `make wording`.

Each complaint of the training sets (tests/corpus/freetext: dev, own, unseen, train, holdout, fresh; and the text
samples of ../shared/samples, the desk's own examples) is built as the mail the desk would
receive, or read as the file it is, parsed, and reduced to the text the model reads (the engine's
document_text with the signature kept, normalised and masked). scikit-learn learns one logistic regression per fact on
its TF-IDF character 1–3-grams; the vocabulary, idf and coefficients are written as JSON, with
the sha256 of every training file, so a test can tell when the corpus changed and the model
was not learned again. The set `blind` is never trained on: it is what the model is scored on
(make accuracy); `holdout` and `fresh` were scored before they were learned from (README).

    python tools/train_wording.py [--out processor/data/wording_model.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from parsers import parse_document  # noqa: E402
from parsers.meaning import prepare  # noqa: E402
from processor.rules.engine import document_text  # noqa: E402
from processor.rules.wording import BUILTIN_MODEL, grams, pack  # noqa: E402
from tests.accuracy import CORPUS, build_message, is_ocr  # noqa: E402
from tests.conftest import SAMPLES  # noqa: E402

TRAINING_SETS = ("dev", "own", "unseen", "train", "holdout", "fresh")  # never `blind`
FACTS = ("category", "level", "business_line")
VOCABULARY = 6000  # the most frequent n-grams kept (6,000 against all 11,000 changed nothing measured)
REGULARISATION = 3.0  # scikit-learn's C


def training_files(corpus: Path = CORPUS, samples: Path = SAMPLES) -> list[Path]:
    """The corpus' training sets, and the desk's labelled samples where they are (their text
    documents: a fax's OCR is too slow to read here and says nothing new about wording)."""
    files = sorted(path for name in TRAINING_SETS for path in corpus.glob(f"{name}-*.toml"))
    return files + sorted(path for path in samples.glob("*.expected.json") if _text_complaint(path))


def _text_complaint(answer: Path) -> bool:
    expected = json.loads(answer.read_text(encoding="utf-8"))
    return expected["kind"] == "complaint" and not is_ocr(expected, answer.parent / expected["file"])


def fingerprint(files: list[Path]) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in files}


def complaints(files: list[Path]) -> list[tuple[str, dict]]:
    """(the text the lexicon reads, the labels) of each complaint."""
    found = []
    for path in files:
        if path.suffix == ".json":  # a sample: its document and its answer
            expected = json.loads(path.read_text(encoding="utf-8"))
            document = path.parent / expected["file"]
            found.append((judged_text(document.read_bytes(), document.name), expected))
            continue
        for mail in tomllib.loads(path.read_text(encoding="utf-8"))["mail"]:
            if mail["expected"]["kind"] == "complaint":
                found.append((judged_text(build_message(mail), f"{mail['id']}.eml"), mail["expected"]))
    return found


def judged_text(data: bytes, name: str) -> str:
    return prepare(document_text(parse_document(data, name), signature=True))


def train(files: list[Path]) -> dict:
    examples = complaints(files)
    model, _, _ = fit([text for text, _ in examples], {fact: [labels[fact] for _, labels in examples] for fact in FACTS})
    return {"about": "tools/train_wording.py: TF-IDF character 1-3-grams, one logistic regression per fact",
            "examples": len(examples), "trained_on": fingerprint(files), **model}


def fit(texts: list[str], labels: dict[str, list[str]]):  # noqa: ANN201 - with scikit-learn's objects
    """The model as JSON (idf, and per fact classes, intercepts, coefficients), with the
    fitted vectorizer and regressions (tests compare the plain-Python reading with them)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer=grams, sublinear_tf=True, min_df=2, max_features=VOCABULARY)
    matrix = vectorizer.fit_transform(texts)
    vocabulary = vectorizer.get_feature_names_out()
    facts, fitted = {}, {}
    for fact, values in labels.items():
        model = LogisticRegression(C=REGULARISATION, max_iter=5000, class_weight="balanced").fit(matrix, values)
        coef, intercept = model.coef_, model.intercept_
        if len(model.classes_) == 2:
            coef, intercept = _binary(coef), _binary(intercept[None, :])[:, 0]
        facts[fact] = {"classes": list(model.classes_), "intercept": [float(value) for value in intercept],
                       "coef": pack([float(value) for value in coef.T.ravel()])}  # row-major: one row per n-gram
        fitted[fact] = model
    return {"grams": "\n".join(vocabulary), "idf": pack([float(v) for v in vectorizer.idf_]), "facts": facts}, \
        vectorizer, fitted


def _binary(coef):  # noqa: ANN001, ANN202 - numpy arrays
    """Two classes: scikit-learn keeps one row (for the second class); as two softmax rows,
    each half of it with opposite signs gives the same probabilities."""
    import numpy as np

    return np.vstack([-coef / 2, coef / 2])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=BUILTIN_MODEL)
    args = parser.parse_args()
    model = train(training_files())
    args.out.write_text(json.dumps(model, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{args.out}: {model['examples']} complaints, {model['grams'].count(chr(10)) + 1} n-grams")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
