"""Crisis language: strong phrases, concern phrases, clean negations, and the figures of speech that must not match."""

from __future__ import annotations

import re

import pytest

from service.rules import CrisisReading, crisis_phrases, read_text
from service.rules import crisis as c
from service.rules.crisis import normalise

# Strong: the text reads as suicidal ideation, a plan, a farewell or self-harm (critical).
STRONG = [
    ("I want to kill myself", "kill myself"),
    ("does cutting wrists work", "cutting wrists"),
    ("how should I use helium", "use helium"),
    ("I have now taken 20 ibuprofen pills", "taken 20 ibuprofen pills"),
    ("KILLING MYSELF tonight", "killing myself"),
    ("thought about killing my self", "killing my self"),
    ("I nearly killed myself last year", "killed myself"),
    ("i want to killmyself", "killmyself"),
    ("gonna kilmyself", "kilmyself"),
    ("I'm going to end my life", "end my life"),
    ("ending my life seems easier", "ending my life"),
    ("I could end my own life", "end my own life"),
    ("I just want to end it all.", "to end it all"),
    ("Thought about suicide again", "suicide"),
    ("feeling SUICIDAL", "suicidal"),
    ("been sucidal for weeks", "sucidal"),
    ("so suicidial today", "suicidial"),
    ("im suicdal", "suicdal"),
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
    ("SelfHarming again", "self harming"),  # a capital inside starts a word
    ("they'd be better off without me", "better off without me"),
    ("nothing left to live for", "nothing left to live for"),
    ("want to\nend my\n   life", "end my life"),  # split over lines
    ("kill.  myself", "kill myself"),  # punctuation and repeated spaces
    ("self-\nharm", "selfharm"),  # hyphenated at a line break
    ("su\u00adicidal", "suicidal"),  # a soft hyphen inside
    ("Suic\u00eddal", "suicidal"),  # an accent
    ("\uff53\uff55\uff49\uff43\uff49\uff44\uff45", "suicide"),  # full-width letters
    ("I wanna dieI could not sleep", "wanna die"),  # a title run into its text
    ("thinking of unaliving myself", "unaliving myself"),
    # slang
    ("I want to kms", "to kms"),
    ("gonna kms tbh", "gonna kms"),
    ("i should kys", "i should kys"),
    ("thinking about sewer slide", "sewer slide"),
    ("i might off myself", "off myself"),
    # plans and means
    ("I have pills saved up", "pills saved up"),
    ("i've been saving up my pills", "saving up my pills"),
    ("took all my pills an hour ago", "took all my pills"),
    ("Took 20 500mg NyQuil pills", "took 20 500mg nyquil pills"),
    ("I'm going to overdose", "overdose"),
    ("gonna OD on my meds", "gonna od on"),
    ("bought a rope today", "bought a rope"),
    ("the noose is ready", "noose"),
    ("I want to hang myself", "hang myself"),
    ("I'll jump off the bridge", "jump off the bridge"),
    ("thinking of jumping in front of a train", "jumping in front of a train"),
    ("sat with a gun to my head", "gun to my head"),
    ("I want to crash my car", "crash my car"),
    ("I'll drive into a tree", "drive into a tree"),
    ("slit my wrists", "slit my wrists"),
    ("24 slashes on my wrist", "slashes on my wrist"),
    ("I just took a monster dose of an opioid. Goodbye", "took a monster dose"),
    # farewells
    ("I wrote a goodbye letter", "goodbye letter"),
    ("left a goodbye note for my mom", "goodbye note"),
    ("tonight is the night", "tonight is the night"),
    ("This is my last post.", "this is my last post"),
    ("I've made my peace.", "made my peace"),
    # self-harm
    ("I started cutting again", "started cutting"),
    ("cut myself last night", "cut myself"),
    ("I keep burning myself with a lighter", "burning myself"),
    ("relapsed on self harm", "relapsed on self harm"),
    # Spanish
    ("quiero morir", "quiero morir"),
    ("Me quiero morir", "me quiero morir"),
    ("pienso en matarme", "matarme"),
    ("quiero suicidarme", "suicidarme"),
    ("ya no quiero vivir", "no quiero vivir"),
    ("voy a quitarme la vida", "quitarme la vida"),
    ("quiero acabar con mi vida", "acabar con mi vida"),
]

# Concern: passive or hopeless language (high, crisis resources, never a page).
CONCERN = [
    ("why not just die now instead of living like this", "why not just die"),
    ("I can't go on like this", "cant go on"),
    ("there's no point living", "no point living"),
    ("I'm a burden to everyone", "im a burden"),
    ("I just want to disappear", "want to disappear"),
    ("I want to disappear forever", "want to disappear forever"),
    ("so tired of living", "tired of living"),
    ("i dont want to be here anymore", "dont want to be here anymore"),
    ("I hope I don't wake up tomorrow", "hope i dont wake up"),
    ("I'd rather not wake up", "rather not wake up"),
    ("I see no purpose to living like this", "see no purpose to living"),
    ("I can't do this anymore", "cant do this anymore"),
    ("everything feels hopeless", "hopeless"),
    ("i feel worthless", "worthless"),
    ("nobody would miss me", "nobody would miss me"),
    ("ya no puedo más", "no puedo mas"),
    ("estoy cansada de vivir", "cansada de vivir"),
    ("quiero desaparecer", "quiero desaparecer"),
]

# Negated: a strong phrase under a clean local negation (high, crisis resources, never a page).
NEGATED = [
    ("I'm not suicidal", "not suicidal"),
    ("I'm not suicidal, just tired", "not suicidal"),
    ("No. I am not suicidal.", "not suicidal"),
    ("I would never kill myself", "never kill myself"),
    ("I'm not going to hurt myself", "not going to hurt myself"),
    ("I don't want to die", "dont want to die"),
    ("no suicidal thoughts this week", "no suicidal"),
    ("never been suicidal", "never been suicidal"),
    ("not thinking about suicide", "not thinking about suicide"),
    ("no quiero morir", "no quiero morir"),
]

# Not a clean negation, or a strong phrase besides it: these stay strong.
STAYS_STRONG = [
    ("I'm not sure I don't want to kill myself", "kill myself"),
    ("not suicidal anymore... but I want to die", "want to die"),
    ("I'm not suicidal yet", "suicidal"),
    ("why not kill myself", "kill myself"),
    ("I tried not to kill myself", "kill myself"),
    ("I did not. Suicidal thoughts every day", "suicidal"),
    ("I don't know if I want to kill myself", "kill myself"),
    ("I'd never say I'm not suicidal", "suicidal"),
]

MUST_NOT_MATCH = [
    "got helium balloons for her birthday",
    "taken 2 tylenol for the headache",
    "Killing it at work this week!",
    "this headache is killing me",
    "my feet are killing me",
    "I'm a die-hard fan",
    "dead tired after the session",
    "I could kill for a coffee",
    "I could die for a coffee",
    "I'm dying to sleep",
    "my legs went dead",
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
    "I hurt myself falling off my bike",
    "cut myself shaving",
    "burned myself on the kettle",
    "my self-esteem is low",
    "self harmony through yoga",
    "dead battery again",
    "bored to death",
    "the end of it all was fine",
    "I want to diet",
    "I'd rather die than miss her wedding",
    "ran 5 kms today",
    "walked 5 kms",
    "10 kms on the bike",
    "suicide squad was on tv",
    "felt like I was floating outside my body",
    "the nausea is the worst",
    "I'm not hopeless at all",
    "I don't feel like a burden anymore",
    "took all my pills for the day with breakfast",
    "took 2 sleeping pills last night",
    "I take 8 pills a day",
    "I don't want to wake up early tomorrow",
    "I'd rather not wake up early tomorrow",
    "I took a huge dose of vitamin C, no cold this winter",
    "I'm a failure at napping lol",
    "I want to disappear under a blanket",
    "me muero de sueño",
    "este dolor de cabeza me está matando",
    "me corté el pelo",
    "caminé 5 kms",
    "",
    None,
]

# Safety first: these match although the patient may be fine (a nurse dismisses them in a minute).
ACCEPTED_FALSE_POSITIVES = [
    ("I don't want to live in Denver", "dont want to live"),
    ("called the suicide prevention line for my friend", "suicide"),
    ("I ate so much I want to die lol", "want to die"),
]


@pytest.mark.parametrize(("text", "phrase"), STRONG + STAYS_STRONG + ACCEPTED_FALSE_POSITIVES)
def test_strong_phrases(text, phrase):
    assert phrase in read_text(text).phrases
    assert crisis_phrases(text) == list(read_text(text).phrases)


@pytest.mark.parametrize(("text", "phrase"), STRONG + ACCEPTED_FALSE_POSITIVES)
def test_a_single_strong_phrase_is_all_that_is_read(text, phrase):
    assert read_text(text) == CrisisReading(phrases=(phrase,))


@pytest.mark.parametrize(("text", "phrase"), CONCERN)
def test_concern_phrases(text, phrase):
    reading = read_text(text)
    assert reading.phrases == () and reading.negated == ()
    assert phrase in reading.concerns


@pytest.mark.parametrize(("text", "phrase"), NEGATED)
def test_a_clean_negation_is_read_as_negated_not_strong(text, phrase):
    reading = read_text(text)
    assert reading.phrases == ()
    assert reading.negated == (phrase,)


@pytest.mark.parametrize("text", MUST_NOT_MATCH)
def test_everyday_phrases_do_not_match(text):
    assert read_text(text) == CrisisReading()
    assert not read_text(text)
    assert crisis_phrases(text) == []


def test_there_are_enough_cases():
    assert len(STRONG) >= 60
    assert len(CONCERN) >= 15
    assert len(NEGATED) >= 8
    assert len(MUST_NOT_MATCH) >= 40


def test_several_phrases_each_once_in_order():
    text = "I want to die. Suicide is on my mind; I want to die, I want to KILL MYSELF"
    assert crisis_phrases(text) == ["want to die", "suicide", "kill myself"]


def test_readings_add_up_each_phrase_once():
    a = read_text("I'm not suicidal but I can't go on")
    b = read_text("i can't go on. I want to die")
    assert a + b == CrisisReading(phrases=("want to die",), concerns=("cant go on",), negated=("not suicidal",))


def test_normalise():
    assert normalise("  Don\u2019t   WANT\tto\nlive!!  ") == "dont want to live"
    assert normalise("self-harm") == "self harm"
    assert normalise("\u00c9nd my life") == "end my life"
    assert normalise("wanna dieI could") == "wanna die i could"


def test_sentence_breaks_are_kept_as_two_spaces_inside():
    assert c._prepare("Not. Suicidal") == "not  suicidal"
    assert c._prepare("tired, so tired") == "tired so tired"


# --- the compiled scanners are the plain alternation of the phrases, only faster ----------------


def _plain(sources) -> re.Pattern[str]:
    return re.compile(rf" (?P<body>{'|'.join(c._spaced(s) for s in sources)})\b")


def _bodies(pattern: re.Pattern[str], text: str) -> list[str]:
    return [m.group("body") for m in pattern.finditer(" " + c._prepare(text))]


def _all_cases() -> list[str]:
    texts = [t for t, _ in STRONG + CONCERN + NEGATED + STAYS_STRONG + ACCEPTED_FALSE_POSITIVES]
    return texts + [t for t in MUST_NOT_MATCH if t] + list(_benign_notes())


def _benign_notes():
    from tests.rules.test_crisis_figures import benign_notes

    return benign_notes()


def test_the_strong_scanner_finds_what_the_plain_alternation_finds():
    plain = _plain([c._NEGATED.replace("(?P<core>", "(?:"), *(p for ps in c.STRONG.values() for p in ps)])
    for text in _all_cases():
        assert _bodies(c._STRONG_SCAN, text) == _bodies(plain, text), text


def test_the_concern_scanner_finds_what_the_plain_alternation_finds():
    plain = _plain(p for ps in c.CONCERN.values() for p in ps)
    for text in _all_cases():
        assert _bodies(c._CONCERN_SCAN, text) == _bodies(plain, text), text


@pytest.mark.parametrize("source", ["(?:a )?b", "?x", " x", "a|(?:b)?c"])
def test_a_phrase_must_start_with_a_word(source):
    with pytest.raises(ValueError, match="phrase"):
        c._scanner([source])
