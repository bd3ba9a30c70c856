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
    # For a "<SOC> - Other, specify" term: the specific words recorded with it (CTCAE v5 has no term of its own).
    ctcae_specify: str | None = None


SYMPTOMS: tuple[Symptom, ...] = (
    Symptom("nausea", "Nausea (feeling sick to your stomach)", "gastrointestinal", "Nausea", 24),
    Symptom("vomiting", "Vomiting (throwing up)", "gastrointestinal", "Vomiting", 24),
    Symptom("dizziness", "Dizziness or lightheadedness", "neurological", "Dizziness", 24),
    Symptom("headache", "Headache", "neurological", "Headache", 24),
    Symptom("drowsiness", "Drowsiness or sleepiness", "neurological", "Somnolence", 24),
    Symptom(
        "dissociation",
        "Feeling detached or unreal (dissociation)",
        "perceptual",
        "Psychiatric disorders - Other, specify",
        6,
        ctcae_specify="Dissociation (depersonalization/derealization)",
    ),
    Symptom("hallucinations", "Seeing or hearing things that are not there", "perceptual", "Hallucinations", 6),
    Symptom("euphoria", "Feeling unusually high or euphoric", "mood", "Euphoria", 6),
    Symptom("confusion", "Confusion", "cognitive", "Confusion", 12),
    Symptom("blurred_vision", "Blurred or distorted vision", "vision", "Blurred vision", 12),
    Symptom(
        "vivid_dreams",
        "Vivid or unusual dreams",
        "sleep",
        "Psychiatric disorders - Other, specify",
        48,
        ctcae_specify="Abnormal dreams",
    ),
    Symptom("anxiety", "Anxiety or nervousness", "mood", "Anxiety", 24),
    Symptom("low_mood", "Low mood or sadness", "mood", "Depression", 72),
    Symptom("suicidal_thoughts", "Thoughts of harming yourself or ending your life", "mood", "Suicidal ideation", 0),
    Symptom("racing_heart", "Racing or pounding heart", "cardiovascular", "Palpitations", 6),
    Symptom("high_blood_pressure", "High blood pressure reading", "cardiovascular", "Hypertension", 6),
    Symptom("memory_problems", "Memory problems", "cognitive", "Memory impairment", 72),
    Symptom("brain_fog", "Trouble concentrating (brain fog)", "cognitive", "Concentration impairment", 48),
    Symptom("bladder_pain", "Bladder pain or painful urination", "urinary", "Cystitis noninfective", 24),
    Symptom("urinary_frequency", "Needing to urinate more often than usual", "urinary", "Urinary frequency", 24),
    Symptom("urinary_urgency", "Sudden, urgent need to urinate", "urinary", "Urinary urgency", 24),
    Symptom(
        "craving",
        "Craving ketamine or other drugs",
        "behavioural",
        "Psychiatric disorders - Other, specify",
        0,
        ctcae_specify="Drug craving",
    ),
    Symptom(
        "other",
        "Something else (please describe)",
        "other",
        "General disorders and administration site conditions - Other, specify",
        24,
        needs_description=True,
    ),
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


# --- CTCAE v5.0 terms for adverse events -----------------------------------------------------------------------
# The terms a clinician picks when recording an adverse event, each with the MedDRA code CTCAE v5.0 lists for it
# (MedDRA v20.1 LLT) and its System Organ Class: every term the symptom vocabulary maps to, plus the CTCAE v5 terms
# a ketamine clinic also meets. An effect without a CTCAE term of its own is recorded with its SOC's
# "<SOC> - Other, specify" term (coded with the SOC) and the specific words in term_other.
OTHER_SUFFIX = " - Other, specify"


@dataclass(frozen=True)
class CtcaeTerm:
    term: str
    meddra_code: str
    soc: str

    @property
    def soc_code(self) -> str:
        return SOCS[self.soc]

    @property
    def needs_description(self) -> bool:
        return is_other(self.term)


# MedDRA System Organ Classes (the code of each is also its CTCAE "Other, specify" code).
SOCS: dict[str, str] = {
    "Cardiac disorders": "10007541",
    "Eye disorders": "10015919",
    "Gastrointestinal disorders": "10017947",
    "General disorders and administration site conditions": "10018065",
    "Immune system disorders": "10021428",
    "Injury, poisoning and procedural complications": "10022117",
    "Nervous system disorders": "10029205",
    "Psychiatric disorders": "10037175",
    "Renal and urinary disorders": "10038359",
    "Respiratory, thoracic and mediastinal disorders": "10038738",
    "Vascular disorders": "10047065",
}
_CARDIAC, _EYE, _GI, _GENERAL, _IMMUNE, _INJURY, _NERVOUS, _PSYCH, _RENAL, _RESP, _VASCULAR = SOCS

_TERMS: tuple[tuple[str, str, str], ...] = (
    ("Agitation", "10001497", _PSYCH),
    ("Allergic reaction", "10001718", _IMMUNE),
    ("Anaphylaxis", "10002218", _IMMUNE),
    ("Anxiety", "10002855", _PSYCH),
    ("Blurred vision", "10005886", _EYE),
    ("Chest pain - cardiac", "10008481", _CARDIAC),
    ("Concentration impairment", "10010250", _NERVOUS),
    ("Confusion", "10010300", _PSYCH),
    ("Cystitis noninfective", "10063057", _RENAL),
    ("Death NOS", "10011914", _GENERAL),
    ("Delirium", "10012218", _PSYCH),
    ("Depression", "10012378", _PSYCH),
    ("Dizziness", "10013573", _NERVOUS),
    ("Dry mouth", "10013781", _GI),
    ("Dysarthria", "10013887", _NERVOUS),
    ("Dyspnea", "10013963", _RESP),
    ("Euphoria", "10015533", _PSYCH),
    ("Fall", "10016173", _INJURY),
    ("Fatigue", "10016256", _GENERAL),
    ("Hallucinations", "10019077", _PSYCH),
    ("Headache", "10019211", _NERVOUS),
    ("Hematuria", "10019450", _RENAL),
    ("Hypertension", "10020772", _VASCULAR),
    ("Hypotension", "10021097", _VASCULAR),
    ("Hypoxia", "10021143", _RESP),
    ("Injection site reaction", "10022095", _GENERAL),
    ("Insomnia", "10022437", _PSYCH),
    ("Malaise", "10025482", _GENERAL),
    ("Memory impairment", "10027175", _NERVOUS),
    ("Nausea", "10028813", _GI),
    ("Palpitations", "10033557", _CARDIAC),
    ("Paresthesia", "10033987", _NERVOUS),
    ("Presyncope", "10036653", _NERVOUS),
    ("Psychosis", "10037234", _PSYCH),
    ("Respiratory failure", "10038695", _RESP),
    ("Restlessness", "10038743", _PSYCH),
    ("Sinus bradycardia", "10040741", _CARDIAC),
    ("Sinus tachycardia", "10040752", _CARDIAC),
    ("Somnolence", "10041349", _NERVOUS),
    ("Suicidal ideation", "10042458", _PSYCH),
    ("Suicide attempt", "10042464", _PSYCH),
    ("Syncope", "10042772", _NERVOUS),
    ("Tremor", "10044565", _NERVOUS),
    ("Urinary frequency", "10046539", _RENAL),
    ("Urinary incontinence", "10046543", _RENAL),
    ("Urinary retention", "10046555", _RENAL),
    ("Urinary tract pain", "10062225", _RENAL),
    ("Urinary urgency", "10046593", _RENAL),
    ("Vomiting", "10047700", _GI),
)


def is_other(term: str) -> bool:
    """Whether a term is one of the "<SOC> - Other, specify" terms (it needs the specific words in term_other)."""
    return term.endswith(OTHER_SUFFIX)


def other_term(soc: str) -> str:
    return f"{soc}{OTHER_SUFFIX}"


# The catch-all for an effect whose organ class nobody has named yet.
OTHER_TERM = other_term(_GENERAL)

TERMS: tuple[CtcaeTerm, ...] = (
    *sorted((CtcaeTerm(*row) for row in _TERMS), key=lambda t: t.term.casefold()),
    *(CtcaeTerm(other_term(soc), code, soc) for soc, code in SOCS.items()),
)
BY_TERM: dict[str, CtcaeTerm] = {t.term: t for t in TERMS}
CTCAE_TERMS: tuple[str, ...] = tuple(BY_TERM)
# Which symptom codes each term covers (so a report's symptom suggests its term).
SYMPTOMS_BY_TERM: dict[str, tuple[str, ...]] = {
    term: tuple(s.code for s in SYMPTOMS if s.ctcae_term == term) for term in CTCAE_TERMS
}
# Terms of the first CTCAE list Aftercare kept that are not CTCAE v5.0 terms: the term they are recorded with now,
# and the specific words (None: keep the clinician's own words).
RETIRED_TERMS: dict[str, tuple[str, str | None]] = {
    "Depersonalization/derealization": (other_term(_PSYCH), "Dissociation (depersonalization/derealization)"),
    "Abnormal dreams": (other_term(_PSYCH), "Abnormal dreams"),
    "Substance craving": (other_term(_PSYCH), "Drug craving"),
    "Diplopia": (other_term(_EYE), "Diplopia"),
    "Other, specify": (OTHER_TERM, None),
}


# --- Spanish words for the app --------------------------------------------------------------------------------
# The patient-facing labels of the symptom vocabulary and the severity scale in Spanish (GET /symptoms?language=es).
SYMPTOM_LABELS_ES: dict[str, str] = {
    "nausea": "Náuseas (malestar de estómago)",
    "vomiting": "Vómitos",
    "dizziness": "Mareo o sensación de desmayo",
    "headache": "Dolor de cabeza",
    "drowsiness": "Somnolencia o sueño",
    "dissociation": "Sentirse desconectado o irreal (disociación)",
    "hallucinations": "Ver u oír cosas que no están ahí",
    "euphoria": "Sentirse inusualmente eufórico",
    "confusion": "Confusión",
    "blurred_vision": "Visión borrosa o distorsionada",
    "vivid_dreams": "Sueños vívidos o extraños",
    "anxiety": "Ansiedad o nerviosismo",
    "low_mood": "Ánimo bajo o tristeza",
    "suicidal_thoughts": "Pensamientos de hacerse daño o de quitarse la vida",
    "racing_heart": "Corazón acelerado o palpitaciones",
    "high_blood_pressure": "Presión arterial alta",
    "memory_problems": "Problemas de memoria",
    "brain_fog": "Dificultad para concentrarse (mente nublada)",
    "bladder_pain": "Dolor de vejiga o al orinar",
    "urinary_frequency": "Necesidad de orinar más a menudo de lo habitual",
    "urinary_urgency": "Necesidad repentina y urgente de orinar",
    "craving": "Ansias de ketamina u otras drogas",
    "other": "Otra cosa (descríbala)",
}
SEVERITY_LABELS_ES: dict[int, str] = {0: "Nada", 1: "Leve", 2: "Moderado", 3: "Grave", 4: "Muy grave"}


def symptom_label(code: str, language: str | None) -> str:
    """A symptom's label in the patient's language (English when there is no translation)."""
    if language == "es" and code in SYMPTOM_LABELS_ES:
        return SYMPTOM_LABELS_ES[code]
    return BY_CODE[code].label


def severity_label(value: int, language: str | None) -> str:
    if language == "es" and value in SEVERITY_LABELS_ES:
        return SEVERITY_LABELS_ES[value]
    return dict(SEVERITY_SCALE)[value]
