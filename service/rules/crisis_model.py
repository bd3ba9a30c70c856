"""A second signal for crisis language: a linear text classifier's score, in pure Python.

The phrases of `service.rules.crisis` are the explainable path: they say which words fired, and only
they can make a report critical. This model catches notes that read like crisis language without
any listed phrase (despair, emptiness, wishing to feel nothing, said in words no list holds); where it
alone fires, the rules engine opens the high `crisis-language` finding ("the note reads like crisis
language", with the score), so the patient still gets the crisis resources at once, but nobody is
paged on its word alone.

The model is trained offline by bench/train_crisis_model.py (scikit-learn: TF-IDF over word 1-2-grams
and character 2-5-grams inside word boundaries, then logistic regression) and exported next to this
module as crisis_model.json.gz: per block of features its analyzer, n-gram range, the training-set
size and each term's document frequency (for the idf), the coefficients of the terms that carry one,
and the intercept and threshold. This module reproduces scikit-learn's scoring exactly (checked
against scores scikit-learn wrote, tests/rules/test_crisis_model.py) without importing it:

- the text is cut to a note's 2,000 characters and normalised as the phrase matcher does
  (`crisis.normalise`: lower-case words, one space between them) — the training used the same function
  as its preprocessor;
- "word" n-grams are runs of 1-2 whitespace-separated words joined by a space; "char_wb" n-grams are
  the character n-grams of each word padded with one space either side (a word shorter than n gives
  itself, padded, once);
- each block's vector is sublinear tf (1 + ln count) times idf (ln((1 + n) / (1 + df)) + 1, smooth),
  over the terms of its vocabulary, l2-normalised on its own; the score is the logistic of the
  intercept plus each block's dot product with its coefficients.

Pure: standard library only (gzip, json, math), read once on first use.
"""

from __future__ import annotations

import gzip
import json
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from service.rules.crisis import normalise

MODEL_PATH = Path(__file__).with_name("crisis_model.json.gz")
NOTE_LENGTH = 2000  # what a report's note holds, and what the model was trained on
FORMAT = 1


@dataclass(frozen=True)
class _Block:
    """One TF-IDF block of features: how its terms are made, and each term's idf and coefficient."""

    analyzer: str  # "word" or "char_wb"
    min_n: int
    max_n: int
    idf: dict[str, float]
    coef: dict[str, float]

    def terms(self, words: list[str]) -> Iterable[str]:
        if self.analyzer == "word":
            return _word_ngrams(words, self.min_n, self.max_n)
        return _char_wb_ngrams(words, self.min_n, self.max_n)

    def dot(self, words: list[str]) -> float:
        """The block's l2-normalised sublinear TF-IDF vector of the words, dotted with its coefficients."""
        idf, coef = self.idf, self.coef
        counts = Counter(t for t in self.terms(words) if t in idf)
        squares = product = 0.0
        for term, count in counts.items():
            value = (math.log(count) + 1.0) * idf[term]
            squares += value * value
            weight = coef.get(term)
            if weight is not None:
                product += value * weight
        return product / math.sqrt(squares) if squares else 0.0


def _word_ngrams(words: list[str], min_n: int, max_n: int) -> list[str]:
    grams: list[str] = []
    for n in range(min_n, min(max_n, len(words)) + 1):
        grams += [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)] if n > 1 else words
    return grams


def _char_wb_ngrams(words: list[str], min_n: int, max_n: int) -> list[str]:
    grams: list[str] = []
    for word in words:
        padded = f" {word} "
        size = len(padded)
        for n in range(min_n, max_n + 1):
            if size <= n:  # a short word gives itself, padded, once (and no longer n-grams)
                grams.append(padded)
                break
            grams += [padded[i : i + n] for i in range(size - n + 1)]
    return grams


@dataclass(frozen=True)
class CrisisModel:
    """The exported classifier: blocks of features, an intercept, and the threshold it fires at."""

    version: str
    threshold: float
    intercept: float
    blocks: tuple[_Block, ...]

    def score(self, text: str | None) -> float:
        """The probability the classifier gives that a text is crisis language (0.0 for an empty text)."""
        if not text:
            return 0.0
        words = normalise(text[:NOTE_LENGTH]).split()
        if not words:
            return 0.0
        decision = self.intercept + sum(block.dot(words) for block in self.blocks)
        return 1.0 / (1.0 + math.exp(-decision)) if decision > -700 else 0.0

    def fires(self, score: float) -> bool:
        return score >= self.threshold


def model_from(data: dict) -> CrisisModel:
    """A model from its exported form (see bench/train_crisis_model.py)."""
    if data.get("format") != FORMAT:
        raise ValueError(f"crisis model format {data.get('format')!r}, expected {FORMAT}")
    blocks = []
    for b in data["blocks"]:
        smooth_n = b["n_documents"] + 1
        idf = {
            term: math.log(smooth_n / (int(df) + 1)) + 1.0
            for df, terms in b["df"].items()
            for term in terms.split("\t")
        }
        coef = dict(zip(b["coef_terms"].split("\t"), b["coef"], strict=True)) if b["coef"] else {}
        if not coef.keys() <= idf.keys():
            raise ValueError("crisis model: a coefficient for a term outside the vocabulary")
        blocks.append(_Block(b["analyzer"], b["ngram_range"][0], b["ngram_range"][1], idf, coef))
    return CrisisModel(data["version"], float(data["threshold"]), float(data["intercept"]), tuple(blocks))


@cache
def crisis_model() -> CrisisModel:
    """The exported model next to this module, read once."""
    with gzip.open(MODEL_PATH, "rt", encoding="utf-8") as f:
        return model_from(json.load(f))


def crisis_score(texts: Iterable[str | None]) -> float:
    """The highest score of the texts (a report's note and its symptoms' notes); 0.0 when none has words."""
    model = crisis_model()
    return max((model.score(t) for t in texts if t), default=0.0)
