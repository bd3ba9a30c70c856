"""Crisis language on real text: a floor under the figures bench/crisis_language.py prints.

Two signals: the phrase rules (service/rules/crisis.py) and the classifier (service/rules/crisis_model.py,
trained by bench/train_crisis_model.py on two thirds of the dev set, split by a hash of each text).
"Combined" is rules OR classifier: either gives the answer crisis resources. The full-dev figures of
the classifier include texts it was trained on; the held-out third is the honest measure and has its
own floors.

The development set (shared/data/crisis-language/reddit_dev.csv, next to the repository) is
evaluation data, never shipped; the benign post-infusion notes are tests/data/benign_notes.txt.
A text counts as caught when its answer would carry crisis resources: any strong, concern or
negated phrase (the suicidal-ideation or crisis-language finding). Each post is read as the API
would see it in a note: its first 2,000 characters.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import pytest

from bench.crisis_language import held_out
from service.rules import read_text
from service.rules.crisis_model import crisis_model

ROOT = Path(__file__).resolve().parents[2]
DEV_SET = ROOT.parent / "shared" / "data" / "crisis-language" / "reddit_dev.csv"
BENIGN_NOTES = ROOT / "tests" / "data" / "benign_notes.txt"
NOTE_LENGTH = 2000

TARGET_SENSITIVITY = 0.90  # shared/data/crisis-language/README.md, the crisis loop's target
SENSITIVITY_FLOOR = 0.84  # what the matcher reaches today (0.851, bench/README.md): a guard against falling back
HELD_OUT_SENSITIVITY_FLOOR = 0.87  # rules OR classifier on the held-out third reach 0.889 (bench/README.md)
HELD_OUT_MODEL_MAX_FALSE_POSITIVES = 0.02  # the classifier alone on held-out non-suicide posts: 0.010
MAX_FALSE_POSITIVES = 0.05
MAX_BENIGN_FALSE_POSITIVES = 0.02
MIN_BENIGN_NOTES = 200


def benign_notes() -> list[str]:
    """The benign post-infusion notes, one a line (lines starting with # are comments)."""
    lines = BENIGN_NOTES.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@cache
def _dev_set() -> dict[str, list[str]]:
    if not DEV_SET.is_file():
        pytest.fail(
            f"the crisis-language development set is missing: expected {DEV_SET} "
            "(shared/data/crisis-language/reddit_dev.csv next to the repository)"
        )
    texts: dict[str, list[str]] = {"suicide": [], "non-suicide": []}
    with DEV_SET.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            texts[row["label"]].append(row["text"][:NOTE_LENGTH])
    return texts


@cache
def _caught(label: str) -> float:
    texts = _dev_set()[label]
    return sum(bool(read_text(t)) for t in texts) / len(texts)


def test_the_dev_set_is_there_with_both_labels():
    texts = _dev_set()
    assert len(texts["suicide"]) > 2000 and len(texts["non-suicide"]) > 2000


def test_sensitivity_does_not_fall_below_the_floor():
    assert _caught("suicide") >= SENSITIVITY_FLOOR


@cache
def _fires(text: str) -> bool:
    model = crisis_model()
    return model.fires(model.score(text))


def _combined(texts: list[str]) -> float:
    return sum(bool(read_text(t)) or _fires(t) for t in texts) / len(texts)


def _held_out(label: str) -> list[str]:
    return [t for t in _dev_set()[label] if held_out(t)]


def test_rules_or_classifier_reach_the_target_on_the_dev_set():
    """The issue's figures on the full dev set (the classifier saw two thirds of it in training)."""
    assert _combined(_dev_set()["suicide"]) >= TARGET_SENSITIVITY
    assert _combined(_dev_set()["non-suicide"]) <= MAX_FALSE_POSITIVES
    assert _combined(benign_notes()) <= MAX_BENIGN_FALSE_POSITIVES


def test_rules_or_classifier_on_the_held_out_third_stay_above_their_floors():
    suicide, other = _held_out("suicide"), _held_out("non-suicide")
    assert len(suicide) > 600 and len(other) > 600
    assert _combined(suicide) >= HELD_OUT_SENSITIVITY_FLOOR
    assert _combined(other) <= MAX_FALSE_POSITIVES
    assert sum(_fires(t) for t in other) / len(other) <= HELD_OUT_MODEL_MAX_FALSE_POSITIVES


@pytest.mark.xfail(strict=True, reason="rules OR classifier reach 0.889 on the held-out third; see bench/README.md")
def test_rules_or_classifier_reach_the_target_on_the_held_out_third():
    assert _combined(_held_out("suicide")) >= TARGET_SENSITIVITY


def test_false_positives_on_the_dev_set():
    assert _caught("non-suicide") <= MAX_FALSE_POSITIVES


def test_false_positives_on_benign_post_infusion_notes():
    notes = benign_notes()
    assert len(notes) >= MIN_BENIGN_NOTES
    assert len(set(notes)) == len(notes)
    flagged = [note for note in notes if read_text(note)]
    assert len(flagged) / len(notes) <= MAX_BENIGN_FALSE_POSITIVES, flagged
