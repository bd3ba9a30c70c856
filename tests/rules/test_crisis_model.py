"""The crisis-language classifier's pure-Python scorer: it gives scikit-learn's scores, without scikit-learn.

bench/train_crisis_model.py wrote tests/data/crisis_model_parity.json with the exported model: ~50
texts and the probability scikit-learn gave each. The scorer must match them to 1e-9, in a process
that has not imported scikit-learn, numpy or scipy.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from service.rules.crisis_model import MODEL_PATH, NOTE_LENGTH, crisis_model, crisis_score, model_from

ROOT = Path(__file__).resolve().parents[2]
PARITY = ROOT / "tests" / "data" / "crisis_model_parity.json"


def parity_texts() -> list[dict]:
    return json.loads(PARITY.read_text(encoding="utf-8"))["texts"]


def test_the_parity_file_holds_enough_texts_of_both_outcomes():
    texts = parity_texts()
    model = crisis_model()
    assert len(texts) >= 50
    assert any(model.fires(t["score"]) for t in texts) and any(not model.fires(t["score"]) for t in texts)


def test_pure_scores_match_scikit_learn_to_1e_9_without_it():
    script = textwrap.dedent(
        f"""
        import json, sys
        from service.rules.crisis_model import crisis_model
        model = crisis_model()
        texts = json.load(open({str(PARITY)!r}, encoding="utf-8"))["texts"]
        worst = max(abs(model.score(t["text"]) - t["score"]) for t in texts)
        heavy = sorted(m for m in ("sklearn", "numpy", "scipy") if m in sys.modules)
        print(json.dumps({{"worst": worst, "heavy": heavy}}))
        """
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    result = json.loads(run.stdout)
    assert result["heavy"] == []
    assert result["worst"] <= 1e-9


@pytest.mark.parametrize("case", range(0, 51, 5))
def test_single_scores_match(case):
    texts = parity_texts()
    if case >= len(texts):
        case = len(texts) - 1
    assert crisis_model().score(texts[case]["text"]) == pytest.approx(texts[case]["score"], abs=1e-9)


def test_empty_and_wordless_notes_score_nothing():
    model = crisis_model()
    assert model.score(None) == model.score("") == model.score(" ... !!") == 0.0
    assert crisis_score([None, "", "   "]) == 0.0


def test_the_score_reads_a_note_s_first_2000_characters():
    model = crisis_model()
    text = "walked 5 kms today. " * 100
    assert model.score(text + " so depressed i want to sleep forever") == model.score(text[:NOTE_LENGTH])


def test_the_highest_score_of_a_report_s_notes_counts():
    model = crisis_model()
    notes = ["walked 5 kms today, felt good", "so depressed, crying every night, i just want to not feel anything"]
    assert crisis_score(notes) == max(model.score(n) for n in notes)


def test_the_exported_model_stays_small_and_well_formed():
    assert MODEL_PATH.stat().st_size < 1_000_000
    model = crisis_model()
    assert 0.5 <= model.threshold < 1
    assert [b.analyzer for b in model.blocks] == ["word", "char_wb"]
    assert all(b.coef.keys() <= b.idf.keys() for b in model.blocks)


def test_a_model_of_another_format_is_refused():
    with pytest.raises(ValueError, match="format"):
        model_from({"format": 99})
