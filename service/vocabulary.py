"""The built-in symptom vocabulary and severity scale: data, kept in this one module.

Each entry maps a patient-facing label to its NCI CTCAE v5 term and the window (hours
after an infusion) within which the effect normally resolves. The app reads this list from
GET /api/v1/symptoms and never hard-codes it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Symptom:
    code: str
    label: str
    category: str
    ctcae_term: str
    expected_window_hours: int
    needs_description: bool = False


SYMPTOMS: tuple[Symptom, ...] = (
    Symptom("nausea", "Nausea (feeling sick to your stomach)", "gastrointestinal", "Nausea", 24),
    Symptom("vomiting", "Vomiting (throwing up)", "gastrointestinal", "Vomiting", 24),
    Symptom("dizziness", "Dizziness or lightheadedness", "neurological", "Dizziness", 24),
    Symptom("headache", "Headache", "neurological", "Headache", 24),
    Symptom("drowsiness", "Drowsiness or sleepiness", "neurological", "Somnolence", 24),
    Symptom(
        "dissociation", "Feeling detached or unreal (dissociation)", "perceptual", "Depersonalization/derealization", 6
    ),
    Symptom("hallucinations", "Seeing or hearing things that are not there", "perceptual", "Hallucinations", 6),
    Symptom("euphoria", "Feeling unusually high or euphoric", "mood", "Euphoria", 6),
    Symptom("confusion", "Confusion", "cognitive", "Confusion", 12),
    Symptom("blurred_vision", "Blurred or distorted vision", "vision", "Blurred vision", 12),
    Symptom("vivid_dreams", "Vivid or unusual dreams", "sleep", "Abnormal dreams", 48),
    Symptom("anxiety", "Anxiety or nervousness", "mood", "Anxiety", 24),
    Symptom("low_mood", "Low mood or sadness", "mood", "Depression", 72),
    Symptom("suicidal_thoughts", "Thoughts of harming yourself or ending your life", "mood", "Suicidal ideation", 0),
    Symptom("racing_heart", "Racing or pounding heart", "cardiovascular", "Palpitations", 6),
    Symptom("high_blood_pressure", "High blood pressure reading", "cardiovascular", "Hypertension", 6),
    Symptom("memory_problems", "Memory problems", "cognitive", "Memory impairment", 72),
    Symptom("brain_fog", "Trouble concentrating (brain fog)", "cognitive", "Concentration impairment", 48),
    Symptom("bladder_pain", "Bladder pain or painful urination", "urinary", "Cystitis noninfective", 24),
    Symptom("craving", "Craving ketamine or other drugs", "behavioural", "Substance craving", 0),
    Symptom("other", "Something else (please describe)", "other", "Other, specify", 24, needs_description=True),
)

BY_CODE: dict[str, Symptom] = {s.code: s for s in SYMPTOMS}
CODES: tuple[str, ...] = tuple(BY_CODE)

# PRO-CTCAE severity scale.
SEVERITY_SCALE: tuple[tuple[int, str], ...] = (
    (0, "None"),
    (1, "Mild"),
    (2, "Moderate"),
    (3, "Severe"),
    (4, "Very severe"),
)
MAX_SEVERITY = 4


def symptom(code: str) -> Symptom:
    """The vocabulary entry for a code (KeyError for an unknown one)."""
    return BY_CODE[code]


# --- CTCAE terms for adverse events -----------------------------------------------------------------------------
# The terms a clinician picks when recording an adverse event: every CTCAE term the symptom vocabulary maps to,
# plus the CTCAE v5 terms a ketamine clinic also meets (psychiatric, cardiovascular, urinary, respiratory, injury).
# Anything else is recorded as OTHER_TERM with the clinician's own words.
OTHER_TERM = "Other, specify"

_MORE_CTCAE_TERMS: tuple[str, ...] = (
    "Agitation",
    "Delirium",
    "Insomnia",
    "Psychosis",
    "Restlessness",
    "Suicide attempt",
    "Dysarthria",
    "Presyncope",
    "Syncope",
    "Tremor",
    "Paresthesia",
    "Diplopia",
    "Dry mouth",
    "Sinus tachycardia",
    "Sinus bradycardia",
    "Chest pain - cardiac",
    "Hypotension",
    "Urinary frequency",
    "Urinary urgency",
    "Urinary incontinence",
    "Urinary retention",
    "Urinary tract pain",
    "Hematuria",
    "Dyspnea",
    "Hypoxia",
    "Respiratory failure",
    "Fatigue",
    "Malaise",
    "Injection site reaction",
    "Allergic reaction",
    "Anaphylaxis",
    "Fall",
    "Death NOS",
)


def _ctcae_terms() -> tuple[str, ...]:
    terms: list[str] = []
    for term in (*(s.ctcae_term for s in SYMPTOMS if s.ctcae_term != OTHER_TERM), *_MORE_CTCAE_TERMS):
        if term not in terms:
            terms.append(term)
    return (*sorted(terms, key=str.casefold), OTHER_TERM)


CTCAE_TERMS: tuple[str, ...] = _ctcae_terms()
# Which symptom codes each term covers (so a report's symptom suggests its term).
SYMPTOMS_BY_TERM: dict[str, tuple[str, ...]] = {
    term: tuple(s.code for s in SYMPTOMS if s.ctcae_term == term) for term in CTCAE_TERMS
}
