"""Train the crisis-language classifier offline and export it for the pure-Python scorer.

    pip install -r bench/requirements-train.txt   # scikit-learn, numpy, scipy: training only, never at run time
    python -m bench.train_crisis_model [--folds 5] [--no-write]

What it does, deterministically:

1. Reads the development set (shared/data/crisis-language/reddit_dev.csv, each post cut to a note's
   2,000 characters) and splits it by a hash of each text (`bench.crisis_language.held_out`): a third
   is held out and never seen by training or tuning, two thirds train.
2. On the training part, 5-fold stratified cross-validation (fixed seed) of the pipeline: the phrase
   matcher's normaliser as preprocessor, TF-IDF (sublinear tf, smooth idf, l2) over word 1-2-grams
   (min_df 2) and over character 2-5-grams inside word boundaries (min_df 3), side by side, then
   logistic regression (liblinear, C 16). Texts the phrase rules miss weigh 3 in training: the model
   is the second signal, it matters where the rules are silent. bench/data/patient_notes_training.txt
   adds patient-like notes (depression, treatment, hope) as negatives: the dev set's negatives are
   teenagers' chatter; they train only, and are never in the figures.
3. The threshold: the one, on the out-of-fold scores, that gives rules-OR-model the highest
   sensitivity with false positives on `non-suicide` posts ≤ 0.05 and on the benign post-infusion
   notes (tests/data/benign_notes.txt) ≤ 0.02.
4. Fits the pipeline on the whole training part, drops coefficients below --prune in size, rounds
   the rest to 6 significant digits (and writes both back into the scikit-learn model, so the
   figures and the parity scores are those of the exported model), prints held-out figures for
   rules alone, model alone and combined, and writes
   - service/rules/crisis_model.json.gz: the model for service/rules/crisis_model.py;
   - tests/data/crisis_model_parity.json: ~50 texts with scikit-learn's score for each, which
     tests/rules/test_crisis_model.py checks the pure-Python scores against (to 1e-9).

Figures are also written to bench/results/crisis_model_training.json.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np
import scipy
import sklearn
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from bench.crisis_language import held_out, load_benign, load_dev_rows
from service.rules import read_text
from service.rules.crisis import normalise
from service.rules.crisis_model import FORMAT, MODEL_PATH, model_from

ROOT = Path(__file__).resolve().parent.parent
PARITY_PATH = ROOT / "tests" / "data" / "crisis_model_parity.json"
PATIENT_NOTES = ROOT / "bench" / "data" / "patient_notes_training.txt"  # extra negatives, training only
RESULTS = ROOT / "bench" / "results" / "crisis_model_training.json"

WORD_RANGE = (1, 2)
CHAR_RANGE = (2, 5)
WORD_MIN_DF = 2
CHAR_MIN_DF = 3
C = 16.0
MISSED_WEIGHT = 3.0  # texts the phrase rules miss weigh this much in training
MAX_FALSE_POSITIVES = 0.05
MAX_BENIGN_FALSE_POSITIVES = 0.02
SEED = 0
PARITY_TEXTS = 50


def vectorizers() -> list[TfidfVectorizer]:
    common = {"preprocessor": normalise, "lowercase": False, "sublinear_tf": True, "smooth_idf": True, "norm": "l2"}
    return [
        TfidfVectorizer(
            analyzer="word",
            tokenizer=str.split,
            token_pattern=None,
            ngram_range=WORD_RANGE,
            min_df=WORD_MIN_DF,
            **common,
        ),
        TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_RANGE, min_df=CHAR_MIN_DF, **common),
    ]


class Pipeline:
    """The vectorizers side by side, then logistic regression."""

    def __init__(self) -> None:
        self.blocks = vectorizers()
        self.lr = LogisticRegression(C=C, solver="liblinear", max_iter=5000)

    def fit(self, texts: list[str], labels: np.ndarray, weights: np.ndarray) -> Pipeline:
        matrices = [v.fit_transform(texts) for v in self.blocks]
        self.df = [np.bincount(m.tocsr().indices, minlength=m.shape[1]) for m in matrices]  # documents per term
        self.lr.fit(hstack(matrices).tocsr(), labels, sample_weight=weights)
        return self

    def score(self, texts: list[str]) -> np.ndarray:
        x = hstack([v.transform(texts) for v in self.blocks]).tocsr()
        return self.lr.predict_proba(x)[:, 1]


def figures(caught: np.ndarray, labels: np.ndarray, benign: np.ndarray | None = None) -> dict[str, float]:
    out = {
        "sensitivity": float(caught[labels == 1].mean()),
        "false_positives": float(caught[labels == 0].mean()),
        "caught": int(caught[labels == 1].sum()),
        "false_alarms": int(caught[labels == 0].sum()),
    }
    if benign is not None:
        out["benign_false_positives"] = float(benign.mean())
    return out


def line(name: str, f: dict[str, float]) -> str:
    benign = f" benign FP {f['benign_false_positives']:.3f}" if "benign_false_positives" in f else ""
    return (
        f"  {name:10} sensitivity {f['sensitivity']:.3f} ({f['caught']})"
        f"  FP {f['false_positives']:.3f} ({f['false_alarms']}){benign}"
    )


def choose_threshold(
    oof: np.ndarray, rules: np.ndarray, labels: np.ndarray, benign_scores: np.ndarray, benign_rules: np.ndarray
) -> float:
    """The threshold of highest combined sensitivity within the false-positive limits (out-of-fold)."""
    best: tuple[float, float] | None = None
    for threshold in np.round(np.arange(0.50, 0.9951, 0.005), 3):
        combined = rules | (oof >= threshold)
        f = figures(combined, labels)
        benign = (benign_rules | (benign_scores >= threshold)).mean()
        if f["false_positives"] <= MAX_FALSE_POSITIVES and benign <= MAX_BENIGN_FALSE_POSITIVES:
            if best is None or f["sensitivity"] > best[1]:
                best = (float(threshold), f["sensitivity"])
    if best is None:
        raise SystemExit("no threshold keeps the false positives within the limits")
    return best[0]


def export(pipe: Pipeline, n_documents: int, threshold: float, prune: float) -> dict:
    """The fitted pipeline as the pure scorer reads it; prunes and rounds the coefficients in place."""
    coef = pipe.lr.coef_[0]
    coef[np.abs(coef) < prune] = 0.0
    coef[:] = [float(f"{c:.6g}") for c in coef]
    pipe.lr.intercept_[:] = [float(f"{pipe.lr.intercept_[0]:.9g}")]
    blocks, offset = [], 0
    for v, df in zip(pipe.blocks, pipe.df, strict=True):
        vocabulary = sorted(v.vocabulary_.items(), key=lambda item: item[1])
        # scikit-learn's smooth idf from the document frequencies the scorer reads
        if not np.allclose(np.log((n_documents + 1) / (df + 1)) + 1, v.idf_, rtol=0, atol=1e-12):
            raise SystemExit("document frequencies do not reproduce the idf")
        by_df: dict[int, list[str]] = defaultdict(list)
        terms, weights = [], []
        for term, index in vocabulary:
            by_df[int(df[index])].append(term)
            weight = coef[offset + index]
            if weight != 0.0:
                terms.append(term)
                weights.append(float(weight))
        for term in (t for t, _ in vocabulary):
            if "\t" in term:
                raise SystemExit(f"a term holds a tab: {term!r}")
        blocks.append(
            {
                "analyzer": v.analyzer,
                "ngram_range": list(v.ngram_range),
                "n_documents": n_documents,
                "df": {str(k): "\t".join(ts) for k, ts in sorted(by_df.items())},
                "coef_terms": "\t".join(terms),
                "coef": weights,
            }
        )
        offset += len(vocabulary)
    return {
        "format": FORMAT,
        "version": date.today().isoformat(),
        "trained_on": "two thirds of shared/data/crisis-language/reddit_dev.csv (hash split), text[:2000]",
        "preprocessor": "service.rules.crisis.normalise",
        "sublinear_tf": True,
        "smooth_idf": True,
        "norm": "l2",
        "threshold": threshold,
        "intercept": float(pipe.lr.intercept_[0]),
        "blocks": blocks,
        "trained_with": {"scikit-learn": sklearn.__version__, "numpy": np.__version__, "scipy": scipy.__version__},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--prune", type=float, default=0.05, help="coefficients smaller than this are dropped")
    parser.add_argument("--no-write", action="store_true", help="print the figures, write nothing")
    args = parser.parse_args()

    rows = load_dev_rows()
    benign_notes = load_benign()
    benign_rules = np.array([bool(read_text(t)) for t in benign_notes])
    patient_notes = [
        line.strip()
        for line in PATIENT_NOTES.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    if set(patient_notes) & set(benign_notes):
        raise SystemExit("a training note is also a benign note of the measurement set")
    train = [(t, y) for t, y in rows if not held_out(t)]
    test = [(t, y) for t, y in rows if held_out(t)]
    dev_train = len(train)
    train += [(t, 0) for t in patient_notes]
    texts = [t for t, _ in train]
    labels = np.array([y for _, y in train], dtype=int)
    rules = np.array([bool(read_text(t)) for t in texts])
    weights = np.where(rules, 1.0, MISSED_WEIGHT)
    print(
        f"train {dev_train} dev texts + {len(patient_notes)} patient-like negatives, held out {len(test)}"
        f" (a hash of each text), benign notes {len(benign_notes)}"
    )

    oof = np.zeros(len(texts))
    benign_scores = np.zeros(len(benign_notes))
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=SEED)
    for fit_idx, score_idx in folds.split(texts, labels):
        pipe = Pipeline().fit([texts[i] for i in fit_idx], labels[fit_idx], weights[fit_idx])
        oof[score_idx] = pipe.score([texts[i] for i in score_idx])
        benign_scores += pipe.score(benign_notes) / args.folds
    dev = slice(0, dev_train)  # figures on the dev set's texts (the patient-like notes only train)
    oof, rules, labels = oof[dev], rules[dev], labels[dev]
    threshold = choose_threshold(oof, rules, labels, benign_scores, benign_rules)
    model_oof = oof >= threshold
    cv = {
        "rules": figures(rules, labels, benign_rules),
        "model": figures(model_oof, labels, benign_scores >= threshold),
        "combined": figures(rules | model_oof, labels, benign_rules | (benign_scores >= threshold)),
    }
    print(f"\n{args.folds}-fold cross-validated on the training part (threshold {threshold}):")
    for name, f in cv.items():
        print(line(name, f))

    all_labels = np.array([y for _, y in train], dtype=int)
    pipe = Pipeline().fit(texts, all_labels, weights)
    n_features = pipe.lr.coef_.shape[1]
    model = export(pipe, len(texts), threshold, args.prune)
    kept = int(np.count_nonzero(pipe.lr.coef_[0]))
    print(f"\nfinal model: {n_features} features, {kept} coefficients kept (|c| >= {args.prune})")

    test_texts = [t for t, _ in test]
    test_labels = np.array([y for _, y in test], dtype=int)
    test_rules = np.array([bool(read_text(t)) for t in test_texts])
    test_model = pipe.score(test_texts) >= threshold
    benign_model = pipe.score(benign_notes) >= threshold
    held = {
        "rules": figures(test_rules, test_labels, benign_rules),
        "model": figures(test_model, test_labels, benign_model),
        "combined": figures(test_rules | test_model, test_labels, benign_rules | benign_model),
    }
    print(f"\nheld-out third ({len(test)} texts), the exported model:")
    for name, f in held.items():
        print(line(name, f))

    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"threshold": threshold, "cross_validated": cv, "held_out": held}, indent=2))
    if args.no_write:
        return

    payload = json.dumps(model, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    with MODEL_PATH.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as f:
        f.write(payload)
    print(f"\nwrote {MODEL_PATH.relative_to(ROOT)} ({MODEL_PATH.stat().st_size / 1024:.0f} KiB)")

    rng = random.Random(SEED)
    sample = [t for t, _ in rng.sample(test, PARITY_TEXTS - 10)] + rng.sample(benign_notes, 10)
    sample.append("I dont want to be here anymore, everyone would be better off")
    scores = pipe.score(sample)
    PARITY_PATH.write_text(
        json.dumps(
            {
                "about": "texts and the score scikit-learn gave each with the exported crisis model"
                " (bench/train_crisis_model.py); tests/rules/test_crisis_model.py checks the pure scorer",
                "texts": [{"text": t, "score": float(s)} for t, s in zip(sample, scores, strict=True)],
            },
            ensure_ascii=False,
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {PARITY_PATH.relative_to(ROOT)} ({len(sample)} texts)")

    pure = model_from(model)
    worst = max(abs(pure.score(t) - s) for t, s in zip(sample, scores, strict=True))
    print(f"pure-Python scorer against scikit-learn on them: largest difference {worst:.2e}")


if __name__ == "__main__":
    main()
