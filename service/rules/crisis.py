"""Crisis language in free text: what makes a report's answer carry crisis resources.

A text is read into three kinds of phrase (`read_text` gives a `CrisisReading`; every phrase is
reported in normalised words, so a flag says exactly what fired):

- **strong** (`STRONG`): explicit suicide words and their misspellings ("suicidal", "sucidal",
  "suicdal", "suicidarme"), killing or hurting oneself ("kill myself", "killmyself", "kms" after
  "to/gonna/i…" but never "5 kms", "unalive", "sewer slide", "off myself"), wishes to die ("want to
  die", "better off dead", "no reason to live"), plans and means (pills taken or saved up, overdose,
  rope, noose, jumping from heights or in front of trains, guns, crashing the car, wrists), farewells
  ("goodbye note", "tonight is the night", "this is my last post", "I've made my peace") and
  self-harm (cutting, burning oneself, relapsing), in English and Spanish ("quiero morir",
  "matarme", "no quiero vivir", "quitarme la vida", "acabar con mi vida"). The rules engine makes
  these the critical `suicidal-ideation` finding.
- **concern** (`CONCERN`): weaker, passive or hopeless language ("can't go on", "no point living",
  "I'm a burden", "want to disappear", "tired of living", "don't want to be here anymore", "hope I
  don't wake up", "I'd rather not wake up", "I have no one", "worthless", "desaparecer para
  siempre"…), the kinds common in posts of people in crisis and rare elsewhere. A concern phrase
  right after a negation in the same sentence ("not hopeless", "I don't feel like a burden") is
  dropped.
- **negated**: a strong phrase under a clean, local negation in the same sentence ("I'm not
  suicidal", "I would never kill myself", "not going to hurt myself", "I don't want to die", "no
  quiero morir"). It is never dropped: the engine makes it (with concern phrases) the high
  `crisis-language` finding. A negation is clean only when nothing earlier in its clause doubts or
  negates it again ("I'm not sure I don't want to kill myself", "why not kill myself") and nothing
  after it undoes it ("not suicidal yet"); otherwise the phrase counts as strong. Any other
  un-negated strong phrase in the text still counts ("not suicidal anymore, but I want to die").

Normalising: Unicode compatibility forms made plain (NFKD: full-width letters, "…"), accents and
zero-width characters dropped, case folded, apostrophes
removed ("don't" and "dont" are one word), every other character that is not a letter or digit a
space, so punctuation, hyphens and line breaks do not matter; a word hyphenated at a line break is
joined ("self-\nharm"), and a capital right after two lower-case letters starts a new word (a title
run into its text: "wanna dieI could"). Sentence breaks (. ! ? ; and line breaks) are remembered only
to keep negations local: phrases still match across them ("kill.  myself").

Not matched, on purpose: figures of speech that do not name the self ("this headache is killing
me", "killing it at work", "dead tired", "my legs went dead", "dying to sleep", "I could die for a
coffee", "scared to death", "I'd rather die than miss her wedding", "take my life back"), accidents
("cut myself shaving", "burned myself on the kettle", "hurt myself falling"), distances ("walked 5
kms") and the film "Suicide Squad". Everyday hyperbole that does name the self still matches ("I
ate so much I want to die"): a false alarm costs a nurse a minute, a miss can cost a life.

A second signal, a classifier's score (`service.rules.crisis_model`), may open the high
`crisis-language` finding where no phrase fired; it never makes a report critical.

Measured on real text by `bench/crisis_language.py` (figures in bench/README.md) and held to a floor
by tests/rules/test_crisis_figures.py. Matching is two regular-expression scans (strong and negated
in one, concern in the other), keyed by the first letters of each word, well under a millisecond for
a 2,000-character note.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

# --- normalising ---------------------------------------------------------------------------------

_APOSTROPHES = re.compile("['\u2019\u2018\u02bc\u0060\u00b4\u2032\uff07]")
_BREAKS = ".!?;\n"
_ASCII = bytes(  # lower-case letters and digits; a sentence break becomes a line break, the rest a space
    ord(ch.lower()) if ch.isascii() and ch.isalnum() else ord("\n") if ch in _BREAKS else ord(" ")
    for ch in map(chr, range(256))
)
_HYPHEN_LINEBREAK = re.compile(r"-[ \t]*\r?\n\s*")
_CAMEL = re.compile(r"([A-Z])(?<=[a-z][a-z][A-Z])")  # "wanna dieI could": a title run into its text
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_BREAK = re.compile(r"[.!?;]")
_NOT_WORD = re.compile(r"[^\w\n]+")


class _Plain(dict[int, str]):
    """A translation table for characters outside ASCII, filled as they are met (at most _PLAIN_SIZE kept)."""

    def __missing__(self, codepoint: int) -> str:
        category = unicodedata.category(chr(codepoint))
        plain = "" if category in ("Mn", "Cf") else chr(codepoint) if category[0] in "LN" else " "
        if len(self) < _PLAIN_SIZE:
            self[codepoint] = plain
        return plain


_PLAIN = _Plain()  # accents and zero-width characters dropped, letters and digits kept, the rest a space
_PLAIN_SIZE = 20_000


def _plain(match: re.Match[str]) -> str:
    return match.group().translate(_PLAIN)


def _prepare(text: str) -> str:
    """Lower-case words, one space between them and two where a sentence broke (see the module doc)."""
    text = _CAMEL.sub(r" \1", _HYPHEN_LINEBREAK.sub("", text))  # "self-\nharm" -> "selfharm"
    if not text.isascii():  # full-width letters and "…" made plain (NFKD), then accents dropped
        text = _NON_ASCII.sub(_plain, unicodedata.normalize("NFKD", _APOSTROPHES.sub("", text))).casefold()
    if text.isascii():  # the common case
        text = text.encode("ascii").translate(_ASCII, b"'`").decode("ascii")
    else:  # letters of other scripts
        text = _NOT_WORD.sub(" ", _BREAK.sub("\n", text)).replace("_", " ")
    return "  ".join(words for words in (" ".join(line.split()) for line in text.split("\n")) if words)


def normalise(text: str) -> str:
    """Text reduced to lower-case words separated by single spaces (see the module doc)."""
    return " ".join(_prepare(text).split())


# --- the phrases ---------------------------------------------------------------------------------
# Each is a regular expression over normalised words, written with one space between words (a space
# also matches a sentence break); it must start with a word or a group of words, not an optional part.

_MYSELF = r"(?:my ?(?:self|slef|sefl)|meself)"
_KILL = r"(?:kill|kil|kills|killed|kiled|killing|kiling|unalive|unalived|unaliving)"
_SUICIDE = r"su(?:i|e|ie)?(?:c|s|ss|sc|cc)i?d(?:e|es|ed|al|ial|ally|ality|le|io|ios|a|as|arme|arse|ar)"
_SO = r"(?:(?:just|really|fucking|fkn|so|literally|actually|honestly|simply|seriously|truly) )*"  # intensifiers
_WANT = (
    r"(?:want|wants|wanted|wanting|need|needs|ready|deserve|deserves|plan|planning|about|trying|try|tried|urge|urges)"
)
_ACCIDENT = (  # "hurt myself" and the like, by accident: not self-harm
    r"(?! (?:falling|lifting|slipping|tripping|playing|running|cooking|shaving|at the|at work|by accident|accidentally"
    r"|while|when i (?:fell|slipped|tripped)|on (?:the|a|my)|making|chopping|doing))"
)
_HEIGHT = r"(?:bridge|building|roof|rooftop|cliff|balcony|tower|overpass|ledge|window|floor|story|storey|railing)"
_NOT_WITH = r"(?! (?:with|off|at|between|up|was|is))"  # "end it with him" ends a relationship

STRONG: dict[str, tuple[str, ...]] = {
    "suicide named": (
        rf"{_SUICIDE}(?! squad)",
        r"sewer ?slide",
        rf"{_KILL} ?{_MYSELF}",
        r"unaliv(?:e|es|ed|ing)",
        rf"(?:off|offing|offed|end|ending) {_MYSELF}",
        r"(?:end|ends|ended|ending) (?:my|this) (?:own )?(?:life|existence|suffering)",
        r"(?:end|ends|ended|ending) it all",
        r"(?:to|i|ill|gonna|wanna|about|before i|of|just|finally|will|would|should|could|might|fucking)"
        rf" end (?:it all|it|things){_NOT_WITH}",
        rf"ending (?:it|things){_NOT_WITH}",
        r"(?:take|takes|taking|took|taken) my (?:own )?life(?! back)",
        r"(?:i|to|gonna|wanna|will|might|should|could|just|literally|ima|imma|finna|lets|and) kms",
        r"i (?:should|wanna|want to|need to|might|will|am going to|gonna|could) kys",
        r"(?:have|had|ive|already|i|previously|once) attempted(?! to)",
        r"(?:tried|try|trying|going|want|wanted|planning|plan|wanna|about|ready) to attempt",
        r"(?:thinking of|thinking about|considering|planning on|plan on) attempting",
        r"survived (?:an |my |a )?attempt",
        r"(?:my|last|failed|previous|another|next|second|third|first|suicide) attempts?(?! (?:at|to|of))",
    ),
    "wish to die": (
        r"better off dead",
        r"(?:rather|rather just|want to|wanna|wish i could) be dead",
        r"(?:better|happier) (?:off )?without me",
        r"no reasons? (?:to|for) (?:live|living|go on|going on|keep going|keep living|stay alive|be alive|not do it)",
        r"nothing (?:left )?to live for",
        r"(?:dont|do not|dont really) have (?:anything|anyone|much) (?:left )?to live for",
        rf"{_KILL} (?:\w+ ){{1,4}}(?:and|then) (?:then )?{_MYSELF}",
        r"(?:bleed|bleeding|jump|jumping|starve|starving|drink|drinking|drown|drowning) (?:myself )?to death",
        r"(?:dont|do not|didnt|did not|doesnt|does not|no longer|not) (?:really |even |actually )?(?:wants? to|wanna)"
        r" (?:live|be alive|keep living|go on living|stay alive)",
        r"(?:dont|do not|no longer) deserve to (?:live|be alive)",
        rf"(?:{_WANT} to|wanna) {_SO}die",
        r"(?:rather|better to|better off to) (?:just )?die than (?:to )?"
        r"(?:live|living|keep|go on|deal|face|continue|be alive|wake up|be)",
        r"how (?:long|painful) (?:it takes|does it take|would it take|will it take|it would take|is it) to die",
        r"(?:i|me) (?:should|must|need to|deserve to) die",
        r"(?:hope|pray|praying|wish|wishing) (?:that )?i (?:die|would die|could die|was dead|were dead|just die)",
        r"wish(?:ed|es|ing)? (?:that )?i (?:was|were|had been) (?:dead|never born)",
        r"wish(?:ed|es|ing)? (?:that )?i (?:wasnt|werent|was not|were not) alive",
        r"wish(?:ed|es|ing)? i could (?:just )?die",
        r"let me die",
        r"(?:cant|cannot) i (?:just )?die",
        r"(?:painless|easiest|easy|quickest|quick|fastest|best|surest|good) (?:way|ways|method|methods) (?:to"
        r"|of) (?:die|dying)",
        r"(?:painless|easiest|quickest|fastest|surest) (?:way|ways|method|methods) to go<END>",
        r"(?:ways?|places?|methods?) to (?:\w+ )?(?:die|kill myself|end it|jump)",
        r"(?:will|would|could) (?:that|this|it) kill me|enough to kill me",
        r"(?:leave|leaving|get out of|exit|check out of) this (?:world|earth|life)",
        r"(?:quiero|quisiera|queria|deseo|ganas de) morir(?:me)?",
        r"me (?:quiero|quisiera|voy a) (?:morir|matar)",
        r"matarme",
        r"no (?:quiero|tengo ganas de) (?:seguir )?vivir(?:endo)?",
        r"(?:quitarme|quitar mi) la vida",
        r"(?:acabar|terminar) con (?:mi vida|todo)",
        r"(?:estarian|estaran) mejor sin mi",
        r"mejor muert[oa]",
    ),
    "plan or means": (
        r"(?:took|take|taken|taking|swallow|swallowed|swallowing|downed|popped)"
        r" (?:all|a bunch|a handful|a lot|a whole bottle|the whole bottle|an entire bottle|handfuls|[5-9]|[1-9]\d+)"
        r"(?: \w+){0,2} (?:of )?(?:my |the |those |these )?(?:pills|meds|medications?|tablets|painkillers)"
        r"(?! (?:for the day|today|this morning|as (?:prescribed|usual)|on time|with (?:breakfast|food|dinner)"
        r"|a day|every day|each day|per day|daily|in the morning|at night|at bedtime))",
        r"(?:save|saved|saving|stockpile|stockpiled|stockpiling|hoard|hoarded|hoarding) (?:up )?(?:my |some |enough "
        r"|all )?"
        r"(?:pills|meds|tablets)",
        r"enough (?:pills|meds|tablets)",
        r"enough (?:\w+ ){0,2}to kill (?:me|myself|an elephant|a horse)",
        r"(?:pills|meds|tablets) (?:saved|stockpiled|hoarded|stashed)(?: up)?",
        r"(?:a handful|handfuls|a bunch|a whole bottle|a bottle|bottles|the bottle|an entire bottle) of (?:\w+ )?"
        r"(?:pills|meds|tablets|painkillers|sleeping pills)",
        r"overdos(?:e|es|ed|ing)",
        r"(?:an|to|gonna|going to|will|i|and|might) od(?:ed|d)?(?: on)?",
        r"lethal dose",
        r"fatal (?:dose|amount)|(?:took|taken|take|taking|swallowed) (?:a )?monster dose",
        r"how (?:much|many) (?:\w+ ){1,3}(?:would it take|does it take|do i need|to take) to (?:die|kill|od|overdose"
        r"|end)",
        r"sobredosis",
        rf"(?:hang|hanging|hanged|hung) {_MYSELF}",
        r"noose",
        r"rope (?:around|round) my neck",
        r"(?:bought|buy|buying|got|have|tie|tied|tying) (?:a|the|my|some) (?:rope|noose)",
        r"(?:figured out|tie|tied|tying|learned) (?:the|a) knot",
        r"(?:drink|drinking|drank|swallow|swallowed|take|taking|took) (?:some |the )?(?:poison|bleach|antifreeze)",
        r"rope (?:ready|tied)",
        r"exit bag",
        r"ahorcarme",
        rf"(?:jump|jumping|jumped|leap|leaping|leaped)(?: \w+){{0,4}} {_HEIGHT}",
        r"(?:jump|jumping) to my death",
        r"(?:jump|jumping|step|stepping|throw myself|lie|lay|laying|walk|walking) (?:in front of|under|on) (?:a|the)"
        r" (?:\w+ )?(?:train|tracks|bus|truck|traffic|subway|car)",
        rf"(?:throw|throwing|threw) {_MYSELF} (?:off|in front of|under|out)",
        r"tirarme (?:de|por|al|a)",
        r"gun (?:to|in|against) my (?:head|mouth|temple)",
        r"bullet (?:in|through|into) my (?:head|brain|skull|mouth)",
        rf"(?:shoot|shooting|shot) {_MYSELF}",
        r"(?:blow|blowing|blew) (?:my|out my) (?:brains|head)(?: out| off)?",
        r"pull(?:ed|ing)? the (?:fucking )?trigger",
        r"wish i had a gun",
        r"eat a bullet",
        r"crash my car",
        r"(?:crash|crashing|drive|drove|driving) (?:my car )?(?:into|off) (?:a|the|oncoming)"
        r" (?:wall|tree|bridge|cliff|truck|river|lake|pole|traffic|semi)",
        r"(?:slit|slitting|slice|slicing|cut|cutting|slash|slashing|open|opening)(?: down| open| across)? (?:my"
        r"|both) wrists?",
        rf"(?:drown|drowning|poison|poisoning|gas|gassing|starve|starving) {_MYSELF}",
        r"carbon monoxide",
        r"(?:slit|slitting|slash|slashing|cutting|cut) (?:open )?(?:the |your )?wrists",
        r"(?:use|using|buy|bought|get|getting|with) helium(?! balloons?)|helium (?:tank|hood|bag|method)",
    ),
    "farewell": (
        r"(?:goodbye|good bye|farewell|suicide) (?:letter|note)s?",
        r"(?:the|my|a) (?:note|letter) (?:is )?(?:written|ready)",
        r"(?:this is|its) (?:my )?(?:last|final) (?:post|message|goodbye)(?! (?:infusion|session|treatment|op))",
        r"(?:my|a) (?:final|last) goodbye",
        r"tonight is the night",
        r"made (?:my )?peace(?: with (?:it|everything|death|dying|my decision|the world|this|god))?(?:<END>| i )",
        r"(?:goodbye|good bye) (?:cruel )?(?:everyone|world|forever|reddit|all)",
        r"this is goodbye",
        r"(?:wont|will not) be (?:here|around|alive) (?:tomorrow|much longer|for long|anymore|by)",
        r"by the time (?:you|anyone|someone) (?:reads?|sees?|finds?) this",
        r"my last (?:day|night|week) (?:alive|on earth)",
        r"(?:giving|gave|give) away (?:all )?my (?:stuff|things|belongings|possessions)",
    ),
    "self-harm": (
        rf"(?:hurt|hurts|hurting|harm|harms|harmed|harming) {_MYSELF}{_ACCIDENT}",
        r"self ?(?:harm|injur)(?:s|ed|ing|y|e)?",
        rf"(?:cut|cuts|cutting|burn|burns|burned|burnt|burning) {_MYSELF}{_ACCIDENT}",
        r"(?:started|start|stop|stopped|quit|relapsed|relapse|urge to|urges to|been|keep|kept|tried|try"
        r"|trying) cutting",
        r"(?:just|ill|i will|gonna|want to|urge to|wanna) cut(?:<END>| again| instead| deeper)",
        r"(?:relapsed|relapse|relapsing) (?:on |into |with )?(?:self ?harm|cutting|sh)",
        r"razor ?blades?",
        r"(?:slashes|slits|cuts|scars) (?:on|across) my (?:left |right )?wrists?",
        r"(?:cut|cutting|carve|carving|slice|slicing) (?:into )?my (?:arms?|thighs?|legs?|skin|stomach|wrists?)",
        r"hacerme dano",
        r"cortarme(?! (?:el|las|los|la) (?:pelo|cabello|unas|flequillo|barba))",
    ),
}

_CANT = r"(?:cant|cannot|can not|couldnt)"
CONCERN: dict[str, tuple[str, ...]] = {
    "cannot go on": (
        rf"{_CANT} (?:go on|keep going|continue|keep living|live like this|bear (?:it|this|life)|stand being alive)",
        rf"{_CANT} (?:do|take|handle|bear|stand|cope|deal|live|go|keep|keep doing|make it|hold|fight|pretend|function"
        r"|survive|go through|hold on)"
        r"(?: with)?(?: (?:it|this|life|living|the pain|the suffering|this pain|everything|it all|myself|on))?"
        r" (?:anymore|any more|any longer|much longer|no more)",
        rf"{_CANT} take (?:it|this)(?:<END>| anymore)|{_CANT} take (?:much|any) more",
        rf"{_CANT} (?:do this|keep doing this)(?:<END>| anymore)",
        rf"{_CANT} (?:take |stand |handle |keep )?(?:live|living) like this",
        rf"(?:it|life) {_CANT} be borne",
        r"how (?:much )?longer (?:i can|can i) (?:keep|go on|do this|hold on|take)",
        r"(?:wont|will not|dont think ill) (?:last|make it) (?:much longer|another|past|to|through|until|more than)",
        r"reasons? to (?:live|keep going|stay alive|keep living)",
        r"(?:keeping|keeps|keep) me (?:alive|going|here)",
        r"(?:nothing|not) (?:is )?worth living for",
        r"(?:go|push|follow|get|going|pushing|following) through with it",
        r"(?:dont|do not|no longer) care (?:anymore|about anything|about living|if i (?:live|die))",
        r"(?:cant|cannot|hard to|harder to|how to|how do i) live with myself",
        r"(?:no|any|the) (?:strength|will|energy|reason|motivation) (?:left )?to (?:keep going|go on|live|fight"
        r"|continue|keep living)",
        r"(?:im|i am|i) (?:just )?(?:giving up|give up)(?:<END>| on (?:life|everything|living|myself))",
        r"(?:give|giving|given|gave) up on (?:life|everything|living|myself)",
        r"no point (?:in )?(?:living|life|going on|trying|anymore|of living|being alive|existing|to (?:life|living))",
        r"(?:no|see no) (?:purpose|reason) (?:to|in|of|for) (?:living|life|being alive|existing)",
        r"whats the point(?:<END>| (?:of |in )?(?:living|life|going on|anything|trying|being alive|it all|anymore"
        r"|of me))",
        r"why (?:even )?bother (?:with )?(?:living|life|trying|going on)",
        r"(?:life|my life) (?:is|seems|feels) (?:so )?(?:meaningless|pointless|a living hell|hell)",
        r"(?:dont|do not|cant|cannot|couldnt|no longer|never) (?:even |really )?(?:see|find) (?:a |any |the )?point"
        r" (?:in|to|of) (?:anything|living|life|going on|it all|trying|continuing|going forward)",
        r"(?:see|find) no point",
        r"life (?:is|isnt|feels) (?:pointless|meaningless|not worth|worthless)",
        r"(?:not|isnt) worth living",
        r"life (?:isnt|is not|aint) worth",
        r"is (?:it|this) (?:even |really )?worth (?:it|living)(?:<END>| anymore)",
        r"is life (?:even |really )?worth (?:it|living)",
        r"(?:im|i am) (?:so |just |fucking )?done(?:<END>| with (?:life|everything|it all|living|trying|being alive"
        r"|myself))",
        r"(?:its|it is) (?:all )?over(?:<END>| for me)",
        r"(?:ive|i have|i ve) had enough(?:<END>| of (?:life|living|everything|this life|it all))",
        r"(?:dont|do not|dont really) (?:want to|wanna) (?:fight|try|keep trying|keep fighting|go on|continue|feel"
        r"|think|be awake)"
        r" (?:anymore|any more|no more)",
        r"rock bottom",
        r"(?:make it|survive) (?:through )?the night",
        r"no (?:puedo|aguanto) mas(?:<END>| con (?:la vida|esto|todo))",
        r"no tiene sentido (?:vivir|seguir|la vida|nada)",
        r"no vale la pena (?:vivir|seguir)",
    ),
    "burden": (
        r"(?:im|i am|be|being|such|feel like|just|only|what) a (?:huge |big |massive |financial )?burden",
        r"burden (?:to|on|for) (?:everyone|my|others|the people|people|them|him|her|you)",
        r"waste of (?:space|air|oxygen|a life)",
        r"soy una carga",
    ),
    "wish to vanish": (
        r"disappear forever",
        r"(?:want|wanted|wanna|wish i could|just) (?:to )?(?:disappear|vanish)(?: forever)?(?! (?:into|under|in))",
        rf"(?:want|wanna|need|going|ready|have) to {_SO}end (?:this|everything|all of it|it now|my pain|this pain)",
        r"(?:end|erase) (?:my|this) pain",
        r"the point (?:of|in) (?:living|life|going on|being alive|anything|existing)(?! is)",
        r"(?:no|any|a) reasons? (?:for|of) living",
        r"tired of (?:living|life|being alive|existing|everything|it all|fighting|being me|trying|pretending|struggling"
        r"|suffering)",
        r"(?:dont|do not|cant|cannot) remember (?:what|how) (?:it feels like to be |it is like to be |it felt to be )?"
        r"(?:happy|happiness|joy) (?:feels|is|felt)",
        r"(?:sick|weary) (?:of|from) (?:living|life|being alive|existing)",
        r"(?:dont|do not|never) (?:want to|wanna) (?:exist|wake up(?! (?:early|at|before|so|too|for)))",
        r"(?:dont|do not|didnt) (?:want to|wanna) be (?:here|around)(?:<END>| anymore| any more| any longer)",
        r"wish i (?:didnt|did not) exist",
        r"(?:want|wanna) (?:to )?(?:not exist|stop existing|cease to exist)",
        r"(?:stop|cease) existing|not exist anymore",
        r"(?:hope|hopefully|wish|wishing|pray|want) (?:that )?(?:i |to )?(?:dont|do not|never|wouldnt|would not|not"
        r"|wont) wake up",
        r"(?:sleep|go to sleep) and (?:never|not) wake up",
        r"never wake up again",
        r"(?:rather|prefer to|prefer) (?:just )?(?:not|never) wake up(?! (?:early|at|before|so|too|for))",
        r"(?:want|wanna|wish i could|idea of) (?:to )?(?:sleep|sleeping) forever",
        r"die in my sleep",
        r"(?:if|when|after|once|before) (?:im|i am|i was|i m) (?:just |finally )?(?:gone|dead)",
        r"(?:if|when|after|once|before) i (?:die|kill myself)",
        r"(?:dont|do not) belong (?:in this world|anywhere|on this earth)",
        r"(?:dont|do not) have a future|no future|see no future",
        r"need (?:someone|somebody|anyone) to talk to",
        r"quiero desaparecer|desaparecer para siempre",
        r"cansad[oa] de vivir",
        r"no quiero (?:estar aqui|despertar|seguir)",
    ),
    "hopeless": (
        r"hopeless(?! (?:at|about|with|when))",
        r"(?:no|no more|lost|lost all|losing|losing all|without) hope",
        r"lost (?:all )?faith and hope",
        r"(?:want|wants) (?:it|everything|this|the pain|this pain|my pain|my life|the suffering|it all) to (?:end"
        r"|stop|be over)",
        r"(?:end|stop) the pain",
        r"hate my life|hate myself(?! for)|hate being alive",
        r"self ?(?:hatred|hate|loathing|destructive|destruction)",
        r"punish myself",
        r"worthless",
        r"(?:no ?one|nobody) (?:would )?(?:cares?|miss me|notice)",
        r"(?:wont|wouldnt|would not) be missed",
        r"dead inside|empty inside",
        r"(?:no|only|any) way out",
        r"(?:looking for|find|need|want) (?:a|any|the) way out",
        r"done with (?:life|everything|it all)",
        r"(?:feel|feeling) like dying",
        r"sin esperanza",
    ),
    "death and means": (
        rf"(?:{_KILL}|shoot|shot|hang|hanged|hung|offed) (?:yourself|themselves|himself|herself|ourselves)",
        r"(?:its|it is|it will|this will|its all) (?:gonna |going to )?(?:all )?(?:finally )?end soon",
        r"(?:lost|no|losing) (?:all )?interest in (?:being|living|life)",
        r"(?:does|do|would|will) hanging",
        r"(?:the|my) rope broke",
        r"(?:dont|do not|cant|cannot) see (?:a|any) future",
        r"work up the (?:nerve|courage|guts)",
        r"i have (?:a|the) (?:note|blade|rope|noose)",
        r"follow through(?:<END>| again| with it| with my plan| tonight)",
        r"(?:not a single person|no one|nobody|noone) who (?:cares|would miss me|misses me)",
        r"(?:ready|about|going) to give up",
        r"this is (?:my |the )?last resort",
        r"(?:reason|reasons) (?:to not|not to) do it",
        r"(?:for me|better for me|best for me|time for me) to die",
        r"if i (?:stay alive|keep living|live any longer)",
        r"(?:why was i (?:even |ever )?born|regret being born|shouldnt have been born|should never have been born)",
        rf"{_CANT} make it(?:<END>| anymore| through (?:the|this|another))",
        r"(?:do|doing|did) the inevitable",
        r"until i (?:dont|never|do not|wont) wake up",
        r"(?:rather|better to) (?:just )?die(?:<END>)",
        r"(?:live or die|die or not|to die or (?:not|live))",
        r"i (?:will|shall|am going to|m going to) (?:finally |just )?die",
        r"selfish to (?:die|kill|end)",
        r"death (?:seems|is|would be|sounds|looks|feels) (?:so |like |the )?(?:peaceful|only|better|easier"
        r"|comforting|a relief"
        r"|appealing|nice|welcome|inviting)",
        r"(?:ill|i will|gonna|going to|might as well|i should|supposed to|already) (?:already "
        r"|just )?be dead(?! tired)",
        r"(?:beg|begging|pray|praying|wish|wishing|long|longing|welcome|waiting|ready) for death",
        r"end (?:our|their|his|her) lives",
        r"(?:it|this|everything) (?:to |will |would |can )?(?:all )?(?:finally )?end(?:<END>| soon| now)",
        r"end of my rope(?! with)",
        r"(?:shouldnt|should not|not supposed to|never meant to) (?:be alive|be here|live|exist)",
        r"(?:lost|losing|no|dont have|dont have any|without) (?:the |my |any )?(?:will|willpower|desire"
        r"|motivation) to live",
        r"being alive (?:is|feels) (?:hell|torture|pain|painful|unbearable|exhausting|too much|pointless)",
        r"too far gone",
        r"(?:plan|planning|planned|plannign) (?:on|to) (?:be|being|beign) gone",
        r"fuck (?:living|being alive|this life|life)",
        r"(?:took|take|taken|end|ended|ending) (?:his|her|their) (?:own )?life",
        r"(?:please|someone|somebody|just) kill me",
        r"(?:thinking (?:about|of)|want to|wanna|going to|gonna|ready to|about to) jump(?:ing)?"
        r"(?! (?:in|into|on|at|rope|back|ahead|start|the gun|to|up))",
        r"(?:do it|go through with it|follow through)(?: with it)? (?:tonight|this time)",
        r"(?:go through with it|follow through)(?: with it)? (?:today|tomorrow|soon|this weekend)",
        r"go through with it",
        r"easy way out|(?:take|taking) the easy way",
        r"(?:cant stand|hate|tired of|sick of) being alive",
        r"being dead (?:is|would|will|sounds|seems)",
        r"(?:i|me) should be dead",
        r"(?:final|last) (?:note|letter)s?|final words",
        r"(?:thinking|think|thought|thoughts|obsessed|obsessing) (?:about|of) (?:death|dying|my death)",
        r"my (?:own )?death",
        r"(?:want to|wanna|need to|hoping to|ready to) say (?:goodbye|good bye)(?:<END>| to (?:everyone|you all"
        r"|the world|this world))",
        r"(?:chance|urge|urges) to jump",
        r"(?:buy|bought|get|buying|getting) (?:a|my|the) (?:gun|shotgun|pistol|rifle)",
        r"(?:feel|feeling|felt|am|im) (?:so |very |completely |really |extremely |incredibly |just )?(?:alone|lonely"
        r"|isolated"
        r"|useless|trapped|broken|helpless|miserable|desperate)",
        r"(?:i have|ive got|i got|i have literally) no (?:friends|family|purpose|future|reason)",
        r"(?:i have|ive got|i got|i have literally) no one(?:<END>| to talk to| left| who| in my life| anymore)",
        r"(?:no one|nobody|noone) to (?:talk to|turn to)",
        r"(?:im|i am|i m) (?:such |just |a |an |huge |total |complete )*(?:failure|disappointment|loser|waste"
        r"|piece of shit"
        r"|screw up|fuck up|fuckup|worthless|useless|pathetic)(?! at)",
        r"(?:intrusive|dark|suicidal|morbid) thoughts",
        rf"{_CANT} escape",
        rf"{_CANT} deal with (?:it|this|life|myself|everything)",
        r"the only (?:reason|thing) (?:im|i am|keeping me|that keeps me|i havent|that stops me|stopping me)",
        r"why am i (?:still )?(?:here|alive)",
        r"(?:im|i am|i m) (?:going|gonna) (?:to )?do it<END>",
        r"why (?:do|should) i (?:even )?(?:exist|live|keep going|bother)",
        r"(?:life|living) (?:is|gets|has become|feels) (?:to be )?(?:just )?too much",
        r"get it over with",
        r"(?:enough to|would) get the job done",
        r"(?:i think|i guess) this is it<END>",
        r"(?:dont|do not) (?:want to|wanna) (?:keep going|go on|keep living|keep on going)",
        r"waiting to die",
        r"why (?:not|dont i|shouldnt i|cant i) (?:just )?die",
        r"(?:is|be) the only way<END>",
        r"(?:the|a) razor (?:in|to|against|on) my",
        r"my (?:corpse|funeral|obituary)",
        rf"{_CANT} handle (?:it|this|life|anything)(?:<END>| anymore)",
        r"(?:on|over) the edge(?! of (?:my|the|your) seat)",
        r"(?:leave|leaving) the world(?! (?:a |better))",
        r"(?:cross|crossing|see whats on|go to|pass) (?:over )?(?:to )?the other side",
        r"(?:want|need) (?:it|this|everything|life) (?:all )?over with",
        r"breaking point",
        r"(?:guts|courage|nerve|balls) to (?:do it|go through|end|kill|finally|follow through)",
        r"(?:thinking of|thinking about|going to|gonna|want to|plan to|about to) (?:take|taking|swallow|swallowing)"
        r" (?:some |the |all |a bunch of |all of )?(?:my )?(?:pills|meds)",
        r"the blade",
    ),
}

# A strong phrase under a clean local negation ("not suicidal", "would never kill myself").
_NEGATOR = r"(?:not|never|no|dont|do not|didnt|did not|wont|will not|wouldnt|would not|no longer|nunca|jamas)"
_NEG_FILLER = (
    r"(?:(?:really|actually|at all|even|ever|currently|feeling|feel|having|have|had|any|thinking|planning|going to"
    r"|gonna|want to|wanna|wanting to|trying to|been|be|thought about|thoughts of|thoughts about|about|of|quiero|voy a"
    r"|pienso|pienso en|tengo|soy|estoy|me) )*"
)
_NEG_CORES = (
    rf"{_SUICIDE}(?! squad)",
    rf"{_KILL} ?{_MYSELF}",
    rf"(?:hurt|harm) {_MYSELF}",
    r"self ?harm(?:ing)?",
    r"(?:end|take) my (?:own )?life",
    r"(?:wants? to|wanna|wanting to) die",
    r"morir(?:me)?|matarme|hacerme dano",
)
_NEGATED = rf"{_NEGATOR} {_NEG_FILLER}(?P<core>{'|'.join(_NEG_CORES)})"
# A concern phrase under a negation is dropped ("not hopeless", "I don't feel like a burden").
_CONCERN_NEGATOR = (
    r"(?:not|never|dont|do not|didnt|did not|wont|wouldnt|no longer|isnt|arent|wasnt)"
    r" (?:(?:feel|feeling|really|at all|so|as|that|even|like|im|i am|think|think im) )*"
)


# --- compiling -----------------------------------------------------------------------------------
# One scan a tier: the text is searched for a space (fast), and at each word start only the phrases
# that can begin with its first letter are tried.

_SPACE = re.compile(r" (?![?*+{])")  # a space between words, not one made optional


def _spaced(source: str) -> str:
    """A phrase's spaces made to match a sentence break too; <END> matches one or the end of the text."""
    return _SPACE.sub(" {1,2}", source.replace(" ?", " {0,2}")).replace("<END>", "(?= {2}|$)")


def _top_level(source: str) -> list[str]:
    """A source's alternatives at its top level (outside groups and character classes)."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(source):
        ch = source[i]
        if ch == "\\":
            i += 1
        elif ch == "[":
            i = source.index("]", i + 1)
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(source[start:i])
            start = i + 1
        i += 1
    return [*parts, source[start:]]


def _closing(source: str) -> int:
    """Where the group opening a source closes."""
    depth = 0
    for i, ch in enumerate(source):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0:
            return i
    raise ValueError(f"unbalanced phrase: {source}")


_OPTIONAL = ("?", "*", "{")


def _lettered(source: str) -> list[str]:
    """A source as alternatives that each start with a letter (groups that open it multiplied out)."""
    alternatives: list[str] = []
    for alternative in _top_level(source):
        if alternative.startswith("(?:"):
            end = _closing(alternative)
            if alternative[end + 1 : end + 2] in _OPTIONAL:
                raise ValueError(f"a phrase starts with an optional part: {source}")
            alternatives += [inner + alternative[end + 1 :] for inner in _lettered(alternative[3:end])]
        elif alternative[:1].isalnum() and alternative[1:2] not in _OPTIONAL:
            alternatives.append(alternative)
        else:
            raise ValueError(f"a phrase must start with a word: {source}")
    return alternatives


def _keyed(alternatives: list[str], depth: int) -> str:
    """Alternatives as one expression, grouped by their leading letters (up to `depth` of them).

    Grouping only reorders alternatives that start with different letters, which never match at the
    same place, so the first alternative that matches is the same as in the plain alternation; an
    alternative that does not start with a letter is kept in its place between groups.
    """
    if depth == 0:
        return "|".join(alternatives)
    parts: list[str] = []
    groups: dict[str, list[str]] = {}

    def flush() -> None:
        parts.extend(f"{letter}(?:{_keyed(group, depth - 1)})" for letter, group in groups.items())
        groups.clear()

    for alternative in alternatives:
        try:
            lettered = _lettered(alternative)
        except ValueError:  # starts with a space, a look-ahead or nothing
            flush()
            parts.append(alternative)
            continue
        for item in lettered:
            groups.setdefault(item[0], []).append(item[1:])
    flush()
    return "|".join(parts)


def _scanner(sources: Iterable[str]) -> re.Pattern[str]:
    """One pattern for all sources, tried in their order at each word start.

    Python's engine skips an alternative that starts with a literal character cheaply, so the
    phrases are grouped by their first letters: at a word start only the phrases that can begin
    with that word's first letters are tried.
    """
    alternatives = [item for source in sources for item in _lettered(_spaced(source))]
    return re.compile(rf" (?P<body>{_keyed(alternatives, _KEY_DEPTH)})\b")


_KEY_DEPTH = 3
_STRONG_SCAN = _scanner([_NEGATED.replace("(?P<core>", "(?:"), *(p for ps in STRONG.values() for p in ps)])
_NEGATED_BODY = re.compile(_spaced(_NEGATED))
_CONCERN_SCAN = _scanner(p for ps in CONCERN.values() for p in ps)
_NEGATED_BEFORE = re.compile(f"(?:^| ){_CONCERN_NEGATOR}$")  # in the same sentence, right before

_DOUBT = re.compile(
    r"\b(?:not|never|dont|didnt|doesnt|isnt|wasnt|cant|cannot|wont|wouldnt|couldnt|shouldnt|why|how|whether|if|or"
    r"|unsure|idk|pretend|pretending|supposed|wish)\b"
)
_DOUBT_WORDS = 4
_CLAUSE_START = re.compile(r" {2}| (?:but|and|though|although|because|so) ")
_UNDONE = re.compile(r" {1,2}(?:yet|until)\b")


# --- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrisisReading:
    """What crisis language a text holds: strong phrases, weaker concern phrases, negated strong phrases."""

    phrases: tuple[str, ...] = ()
    concerns: tuple[str, ...] = ()
    negated: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.phrases or self.concerns or self.negated)

    def __add__(self, other: CrisisReading) -> CrisisReading:
        return CrisisReading(
            _unique(self.phrases + other.phrases),
            _unique(self.concerns + other.concerns),
            _unique(self.negated + other.negated),
        )


def _unique(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _words(text: str) -> str:
    return " ".join(text.split())


def _clean_negation(text: str, match: re.Match[str]) -> bool:
    """A negation counts only within one sentence, when nothing before it in its clause doubts or negates it
    ("not sure I don't want to…", "why not…") and nothing after it undoes it ("not suicidal yet")."""
    if "  " in match.group("body"):
        return False
    before = text[max(0, match.start() - 80) : match.start()]
    clause = _CLAUSE_START.split(before)[-1]
    if _DOUBT.search(" ".join(clause.split()[-_DOUBT_WORDS:])):
        return False
    return not _UNDONE.match(text, match.end())


def read_text(text: str | None) -> CrisisReading:
    """The crisis language of a text (each phrase once, in order of appearance, normalised words)."""
    if not text:
        return CrisisReading()
    prepared = " " + _prepare(text)
    phrases: list[str] = []
    negated: list[str] = []
    read: list[tuple[int, int]] = []  # where strong and negated phrases stand: not read again as concern
    for match in _STRONG_SCAN.finditer(prepared):
        read.append(match.span("body"))
        body = match.group("body")
        negation = _NEGATED_BODY.fullmatch(body)
        if negation is None:
            phrases.append(_words(body))
        elif _clean_negation(prepared, match):
            negated.append(_words(body))
        else:
            phrases.append(_words(negation.group("core")))
    concerns = [
        _words(m.group("body"))
        for m in _CONCERN_SCAN.finditer(prepared)
        if not _NEGATED_BEFORE.search(prepared, max(0, m.start() - 40), m.start() + 1)
        and not any(start < m.end() and m.start("body") < end for start, end in read)
    ]
    return CrisisReading(_unique(tuple(phrases)), _unique(tuple(concerns)), _unique(tuple(negated)))


def crisis_phrases(text: str | None) -> list[str]:
    """The strong crisis phrases of a text, normalised, each once, in order of appearance; [] when none."""
    return list(read_text(text).phrases)
