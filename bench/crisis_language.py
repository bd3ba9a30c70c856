"""Crisis language on real text: sensitivity and false positives, before and after, and the time per note.

    python -m bench.crisis_language [--sample 25] [--seed 1]

Reads the development set shared/data/crisis-language/reddit_dev.csv (next to the repository; posts
labelled `suicide`, from r/SuicideWatch, and `non-suicide`, from r/teenagers; evaluation data, never
shipped) and the benign post-infusion notes tests/data/benign_notes.txt. Each text is cut to its
first 2,000 characters, as a report note is, and read twice in the same run:

- BEFORE: bench/crisis_baseline.py, service/rules/crisis.py as of 2026-12-03 (one tier: any
  phrase made the report suicidal-ideation, critical);
- AFTER: service/rules/crisis.read_text. "strong" counts the texts that would be the critical
  suicidal-ideation finding; "strong+concern" the texts whose answer would carry crisis resources
  (suicidal-ideation, or the high crisis-language finding: concern phrases or a negated mention).

Sensitivity is the share of `suicide` posts caught; a false positive is a `non-suicide` post or a
benign note caught. The time per text is the best of --repeats readings of each text, in process,
one core; the figures are their mean, median and maximum, and the same for the texts of 1,900 to
2,000 characters. Results are also written to bench/results/crisis_language.json.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bench import crisis_baseline
from service.rules import read_text
from service.rules.crisis_model import crisis_model

ROOT = Path(__file__).resolve().parent.parent
DEV_SET = ROOT.parent / "shared" / "data" / "crisis-language" / "reddit_dev.csv"
BENIGN = ROOT / "tests" / "data" / "benign_notes.txt"
NOTE_LENGTH = 2000
LONG = 1900  # "a full note": texts of at least this many characters


def held_out(text: str) -> bool:
    """Whether a (cut) text is in the held-out third: a hash of the text, so the split never changes."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") % 3 == 0


def load_dev_rows() -> list[tuple[str, int]]:
    """The development set as (text cut to a note's length, 1 for `suicide` else 0), in file order."""
    with DEV_SET.open(encoding="utf-8", newline="") as f:
        return [(row["text"][:NOTE_LENGTH], int(row["label"] == "suicide")) for row in csv.DictReader(f)]


def load_benign() -> list[str]:
    """The benign post-infusion notes, one a line (lines starting with # are comments)."""
    lines = BENIGN.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def load() -> dict[str, list[str]]:
    """The three sets of texts, each cut to a note's length."""
    sets: dict[str, list[str]] = {"suicide": [], "non-suicide": []}
    for text, label in load_dev_rows():
        sets["suicide" if label else "non-suicide"].append(text)
    sets["benign notes"] = load_benign()
    return sets


def tiers_after(text: str) -> tuple[bool, bool]:
    """(strong, strong or concern or negated) for the new matcher."""
    reading = read_text(text)
    return bool(reading.phrases), bool(reading)


def tiers_before(text: str) -> tuple[bool, bool]:
    """The baseline had one tier: any phrase was critical."""
    caught = bool(crisis_baseline.crisis_phrases(text))
    return caught, caught


def rates(tiers: Callable[[str], tuple[bool, bool]], texts: list[str]) -> tuple[float, float, int, int]:
    marks = [tiers(t) for t in texts]
    strong = sum(s for s, _ in marks)
    anything = sum(a for _, a in marks)
    return strong / len(texts), anything / len(texts), strong, anything


def timings(read: Callable[[str], object], texts: list[str], repeats: int) -> list[float]:
    """Microseconds per text: the best of `repeats` readings of each."""
    best = []
    for text in texts:
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            read(text)
            runs.append(time.perf_counter() - start)
        best.append(min(runs) * 1e6)
    return best


def summary(us: list[float]) -> dict[str, float]:
    return {"mean_us": statistics.fmean(us), "median_us": statistics.median(us), "max_us": max(us)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=25, help="missed suicide posts to print")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3, help="readings of each text for the timing")
    args = parser.parse_args()

    sets = load()
    print(f"texts: {', '.join(f'{name} {len(texts)}' for name, texts in sets.items())} (first {NOTE_LENGTH} chars)\n")
    print(f"{'':34} {'BEFORE (2026-12-03)':>20} {'AFTER strong':>14} {'AFTER strong+concern':>22}")
    figures: dict[str, dict] = {}
    for name, texts in sets.items():
        _, before, _, n_before = rates(tiers_before, texts)
        strong, anything, n_strong, n_any = rates(tiers_after, texts)
        label = "sensitivity" if name == "suicide" else "false positives"
        print(
            f"{label + ' on ' + name:34} {before:>11.3f} ({n_before:>5})"
            f" {strong:>6.3f} ({n_strong:>5}) {anything:>13.3f} ({n_any:>5})"
        )
        figures[name] = {"n": len(texts), "before": before, "after_strong": strong, "after_any": anything}

    readings = [read_text(t) for t in sets["suicide"]]
    only_concern = sum(1 for r in readings if not r.phrases and r.concerns)
    only_negated = sum(1 for r in readings if not r.phrases and not r.concerns and r.negated)
    print(
        f"\nsuicide posts caught without a strong phrase: {only_concern} by concern phrases,"
        f" {only_negated} by a negated mention alone"
    )

    all_texts = [t for texts in sets.values() for t in texts]
    long_texts = [t for t in all_texts if len(t) >= LONG]
    print(f"\ntime per text, best of {args.repeats} (microseconds): mean / median / max")
    timing: dict[str, dict] = {}
    for name, read in (("BEFORE", crisis_baseline.crisis_phrases), ("AFTER", read_text)):
        every, full = summary(timings(read, all_texts, args.repeats)), summary(timings(read, long_texts, args.repeats))
        timing[name] = {"all": every, "full_notes": full}
        print(
            f"  {name:6} all {len(all_texts)} texts: {every['mean_us']:.0f} / {every['median_us']:.0f} /"
            f" {every['max_us']:.0f};  {len(long_texts)} texts of {LONG}-{NOTE_LENGTH} chars:"
            f" {full['mean_us']:.0f} / {full['median_us']:.0f} / {full['max_us']:.0f}"
        )

    missed = [t for t, r in zip(sets["suicide"], readings, strict=True) if not r]
    print(f"\nmissed suicide posts: {len(missed)}; a sample of {min(args.sample, len(missed))} (first 160 chars):")
    for text in random.Random(args.seed).sample(missed, min(args.sample, len(missed))):
        print("  -", " ".join(text.split())[:160])

    flagged = [(note, read_text(note)) for note in sets["benign notes"]]
    flagged = [(note, r) for note, r in flagged if r]
    print(f"\nfalse positives on benign notes: {len(flagged)}")
    for note, r in flagged:
        print(f"  - {note!r}: strong {list(r.phrases)}, concern {list(r.concerns)}, negated {list(r.negated)}")

    phrases = Counter(
        p for t in sets["non-suicide"] for r in [read_text(t)] for p in {*r.phrases, *r.concerns, *r.negated}
    )
    print("\nphrases behind the false positives on non-suicide posts (posts each, most common 15):")
    print("  " + ", ".join(f"'{p}' {n}" for p, n in phrases.most_common(15)))

    second = second_signal(args.sample)

    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    report = {"figures": figures, "timing": timing, "second_signal": second}
    (out / "crisis_language.json").write_text(json.dumps(report, indent=2))


def caught_by(texts: list[str]) -> dict[str, list[bool]]:
    """For each text: caught by the phrase rules, by the classifier (its threshold), by either."""
    model = crisis_model()
    rules = [bool(read_text(t)) for t in texts]
    scored = [model.fires(model.score(t)) for t in texts]
    return {"rules": rules, "model": scored, "combined": [r or m for r, m in zip(rules, scored, strict=True)]}


def second_signal(sample: int) -> dict[str, dict]:
    """Rules, classifier and rules-OR-classifier on the full dev set and on its held-out third, with the misses.

    A text counts as caught when its answer carries crisis resources: any phrase of the rules, or the
    classifier's score at or above its threshold. The classifier was trained on the other two thirds of
    the dev set, so its full-dev figures include texts it was trained on: the held-out third is the
    honest measure.
    """
    model = crisis_model()
    rows = load_dev_rows()
    benign = load_benign()
    benign_caught = caught_by(benign)
    parts = {"full dev set": rows, "held-out third": [(t, y) for t, y in rows if held_out(t)]}
    print(f"\nsecond signal: the classifier (model {model.version}, threshold {model.threshold}), rules OR classifier")
    print(f"{'':16} {'':9} {'sensitivity':>18} {'FP non-suicide':>18} {'FP benign notes':>18}")
    result: dict[str, dict] = {}
    for part, items in parts.items():
        texts = [t for t, _ in items]
        labels = [y for _, y in items]
        caught = caught_by(texts)
        result[part] = {}
        for name, marks in caught.items():
            pos = [m for m, y in zip(marks, labels, strict=True) if y]
            neg = [m for m, y in zip(marks, labels, strict=True) if not y]
            ben = benign_caught[name]
            f = {
                "sensitivity": sum(pos) / len(pos),
                "false_positives": sum(neg) / len(neg),
                "benign_false_positives": sum(ben) / len(ben),
            }
            result[part][name] = f
            print(
                f"{part:16} {name:9} {f['sensitivity']:>11.3f} ({sum(pos):>4})"
                f" {f['false_positives']:>11.3f} ({sum(neg):>4}) {f['benign_false_positives']:>11.3f} ({sum(ben):>4})"
            )
        if part == "held-out third":
            missed = [t for t, y, c in zip(texts, labels, caught["combined"], strict=True) if y and not c]
            print(f"\nheld-out suicide posts missed by both: {len(missed)}; a sample (first 160 chars):")
            for text in random.Random(1).sample(missed, min(sample, len(missed))):
                print(f"  - [{model.score(text):.2f}]", " ".join(text.split())[:160])
            alarms = [
                t
                for t, y, c, r in zip(texts, labels, caught["model"], caught["rules"], strict=True)
                if not y and c and not r
            ]
            print(f"\nheld-out non-suicide posts only the classifier flags: {len(alarms)}")
            for text in alarms:
                print(f"  - [{model.score(text):.2f}]", " ".join(text.split())[:160])
    flagged = [n for n, m, r in zip(benign, benign_caught["model"], benign_caught["rules"], strict=True) if m and not r]
    print(f"\nbenign notes only the classifier flags: {len(flagged)}")
    for note in flagged:
        print(f"  - [{model.score(note):.2f}] {note!r}")
    return result


if __name__ == "__main__":
    main()
