"""Crisis words: what must match (safety first) and the figures of speech that must not."""

from __future__ import annotations

import pytest

from service.rules import crisis_phrases
from service.rules.crisis import normalise

MUST_MATCH = [
    ("I want to kill myself", "kill myself"),
    ("KILLING MYSELF tonight", "killing myself"),
    ("thought about killing my self", "killing my self"),
    ("I nearly killed myself last year", "killed myself"),
    ("I'm going to end my life", "end my life"),
    ("ending my life seems easier", "ending my life"),
    ("I could end my own life", "end my own life"),
    ("I just want to end it all.", "end it all"),
    ("Thought about suicide again", "suicide"),
    ("feeling SUICIDAL", "suicidal"),
    ("Everyone would be better off dead... I mean me", "better off dead"),
    ("there's no reason to live", "no reason to live"),
    ("I don\u2019t want to live anymore", "dont want to live"),
    ("i dont want to live", "dont want to live"),
    ("I do not want to live like this", "do not want to live"),
    ("I don't really want to be alive", "dont really want to be alive"),
    ("i want to die", "want to die"),
    ("I wanna die", "wanna die"),
    ("I wish I was dead", "wish i was dead"),
    ("Sometimes I wish I were dead", "wish i were dead"),
    ("I might take my own life", "take my own life"),
    ("I want to hurt myself", "hurt myself"),
    ("urge to self harm", "self harm"),
    ("self-harm urges", "self harm"),
    ("SelfHarming again", "selfharming"),
    ("they'd be better off without me", "better off without me"),
    ("nothing left to live for", "nothing left to live for"),
    ("want to\nend my\n   life", "end my life"),  # split over lines
    ("kill.  myself", "kill myself"),  # punctuation and repeated spaces
    ("self-\nharm", "selfharm"),  # hyphenated at a line break
    ("su\u00adicidal", "suicidal"),  # a soft hyphen inside
    ("Suic\u00eddal", "suicidal"),  # an accent
    ("\uff53\uff55\uff49\uff43\uff49\uff44\uff45", "suicide"),  # full-width letters
    ("I'm not suicidal, just tired", "suicidal"),  # negation is not understood, on purpose
    ("watched Suicide Squad", "suicide"),  # safety first: any 'suicide' counts
    ("thinking of unaliving myself", "unaliving myself"),
]

MUST_NOT_MATCH = [
    "Killing it at work this week!",
    "this headache is killing me",
    "my feet are killing me",
    "I'm a die-hard fan",
    "dead tired after the session",
    "I could kill for a coffee",
    "killed the spider myself",
    "my phone died",
    "scared to death of needles",
    "I want to live my best life",
    "I do want to live",
    "dying to see my kids",
    "the deadline ended my weekend",
    "nearing the end of my lifelong project",
    "I want to take my life back",
    "killer headache",
    "I hurt my back",
    "my self-esteem is low",
    "self harmony through yoga",
    "dead battery again",
    "bored to death",
    "the end of it all was fine",
    "I want to diet",
    "I'd rather die than miss her wedding",
    "ran 5 kms today",
    "",
    None,
]


# Safety first: these match although the patient may be fine (see service/rules/crisis.py).
ACCEPTED_FALSE_POSITIVES = [
    ("I'm not suicidal", "suicidal"),
    ("I would never kill myself", "kill myself"),
    ("I don't want to die", "want to die"),
    ("I hurt myself falling off my bike", "hurt myself"),
    ("I don't want to live in Denver", "dont want to live"),
    ("called the suicide prevention line for my friend", "suicide"),
]


@pytest.mark.parametrize(("text", "phrase"), MUST_MATCH + ACCEPTED_FALSE_POSITIVES)
def test_crisis_phrases_match(text, phrase):
    assert crisis_phrases(text) == [phrase]


@pytest.mark.parametrize("text", MUST_NOT_MATCH)
def test_everyday_phrases_do_not_match(text):
    assert crisis_phrases(text) == []


def test_there_are_enough_cases():
    assert len(MUST_MATCH) >= 15
    assert len(MUST_NOT_MATCH) >= 15


def test_several_phrases_each_once_in_order():
    text = "I want to die. Suicide is on my mind; I want to die, I want to KILL MYSELF"
    assert crisis_phrases(text) == ["want to die", "suicide", "kill myself"]


def test_normalise():
    assert normalise("  Don\u2019t   WANT\tto\nlive!!  ") == "dont want to live"
    assert normalise("self-harm") == "self harm"
    assert normalise("\u00c9nd my life") == "end my life"
