"""BASELINE, 2026-12-03: service/rules/crisis.py as it was before the two-tier matcher (commit 38e85b0).

Kept unchanged below this note, so that bench/crisis_language.py measures the before figures in
the same run as the after figures. Nothing in the service imports it; do not edit it.

The old module's docstring, as it was:

Crisis words in free text: the phrases that make a report touch suicidal ideation.

Matching is safety-first: a false positive costs a nurse a minute, a false negative can cost
a life. So:
- the text is normalised (Unicode NFKC, accents and zero-width characters dropped, case folded,
  apostrophes removed so "don't" (straight or curly apostrophe) and "dont" are one word, everything else that is not a
  letter or digit becomes one space, so punctuation, hyphens, repeated spaces and line breaks
  do not matter);
- phrases match on whole words with simple inflections ("kill/kills/killed/killing myself",
  "end/ending my life", "self harm/self-harm/selfharm/self-harming");
- negation and context are NOT understood, on purpose: "I'm not suicidal", "I would never kill
  myself", "I don't want to die", "I hurt myself falling off my bike" and "I don't want to live
  in Denver" all match, and any "suicide"/"suicidal" matches, even "Suicide Squad" or "suicide
  prevention" (accepted false positives; a nurse dismisses them in a minute);
- figures of speech that do not name the self are NOT matched: "this headache is killing me",
  "killing it at work", "I could kill for a coffee", "dead tired", "die-hard fan",
  "scared to death", "I'd rather die than…", recovery talk like "take my life back". ("killing
  me" is everyday hyperbole; a patient in crisis about themself writes "myself", "my life",
  "want to die" — and the app asks about suicidal thoughts explicitly anyway.) Slang such as
  "kms" is not matched either: too short to tell from "5 kms".
"""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = dict.fromkeys(map(ord, "'\u2019\u2018\u02bc\u0060\u00b4\u2032\uff07"), None)

_MYSELF = r"(?:my ?self|meself)"
_PHRASES: tuple[str, ...] = (
    rf"(?:kill|kills|killed|killing|unalive|unaliving) {_MYSELF}",
    rf"(?:hurt|hurts|hurting|harm|harms|harmed|harming) {_MYSELF}",
    r"self ?harm(?:s|ed|ing)?",
    r"(?:end|ends|ended|ending) (?:my (?:own )?life|it all)",
    r"(?:take|takes|taking|took) my (?:own )?life(?! back)",  # not "take my life back"
    r"suicid(?:e|es|al|ally)",
    r"better off dead",
    r"better off without me",
    r"no reasons? to (?:live|go on)",
    r"nothing (?:left )?to live for",
    r"(?:dont|do not|didnt|did not|doesnt|does not|no longer|not) (?:really |even )?(?:wants? to|wanna)"
    r" (?:live|be alive)",
    r"(?:want to|wants to|wanted to|wanting to|wanna) die",
    r"wish(?:ed|es|ing)? (?:that )?i (?:was|were|had been) (?:dead|never born)",
    r"wish(?:ed|es|ing)? (?:that )?i (?:wasnt|werent|was not|were not) alive",
)
_CRISIS = re.compile(r"\b(?:" + "|".join(_PHRASES) + r")\b")
_HYPHEN_LINEBREAK = re.compile(r"-[ \t]*\r?\n\s*")
_NOT_WORD = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """Text reduced to lower-case words separated by single spaces (see the module doc)."""
    text = _HYPHEN_LINEBREAK.sub("", text)  # "self-\nharm" -> "selfharm"
    if text.isascii():  # the common case: no accents, no zero-width characters to strip
        text = text.lower().translate(_APOSTROPHES)
        return _NOT_WORD.sub(" ", text).strip()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Mn", "Cf"))
    text = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    return _NOT_WORD.sub(" ", text).strip()


def crisis_phrases(text: str | None) -> list[str]:
    """The crisis phrases found in a text, normalised, each once, in order of appearance; [] when none."""
    if not text:
        return []
    found: list[str] = []
    for match in _CRISIS.finditer(normalise(text)):
        if match.group(0) not in found:
            found.append(match.group(0))
    return found
