"""Crisis language on real text: a floor under the figures bench/crisis_language.py prints.

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

from service.rules import read_text

ROOT = Path(__file__).resolve().parents[2]
DEV_SET = ROOT.parent / "shared" / "data" / "crisis-language" / "reddit_dev.csv"
BENIGN_NOTES = ROOT / "tests" / "data" / "benign_notes.txt"
NOTE_LENGTH = 2000

TARGET_SENSITIVITY = 0.90  # shared/data/crisis-language/README.md, the crisis loop's target
SENSITIVITY_FLOOR = 0.84  # what the matcher reaches today (0.848, bench/README.md): a guard against falling back
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


@pytest.mark.xfail(strict=True, reason="phrase matching reaches 0.848 on the dev set; see bench/README.md")
def test_sensitivity_reaches_the_target():
    assert _caught("suicide") >= TARGET_SENSITIVITY


def test_false_positives_on_the_dev_set():
    assert _caught("non-suicide") <= MAX_FALSE_POSITIVES


def test_false_positives_on_benign_post_infusion_notes():
    notes = benign_notes()
    assert len(notes) >= MIN_BENIGN_NOTES
    assert len(set(notes)) == len(notes)
    flagged = [note for note in notes if read_text(note)]
    assert len(flagged) / len(notes) <= MAX_BENIGN_FALSE_POSITIVES, flagged
