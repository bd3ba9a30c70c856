"""What the patient is told after a report: one true sentence about who knows, and what to do now.

Texts come in every language a patient can choose (English and Spanish); the patient's ``language``
picks them. A clinic may override any advice text per language (settings ``advice``) and translate its
crisis resources (each resource's ``labels``). Nothing here goes on a lock screen: these texts are shown
inside the app, after the patient has sent the report.

Truth first: "alerted now" is said only when the report's own transaction wrote a page to a clinician
(``paged``); a critical report that joined an alert the team already has says so instead.
"""

from __future__ import annotations

from service.enums import Language

DEFAULT_LANGUAGE = Language.EN

# Rules whose findings count as a suicidal-ideation signal: the crisis resources and the safety screen follow.
CRISIS_RULES = frozenset({"suicidal-ideation", "crisis-language"})

_MESSAGES: dict[str, dict[str, str]] = {
    Language.EN: {
        "none": "Thank you. Your report was received and your care team can see it.",
        "low": "Thank you. A nurse will look at this within the next few days.",
        "medium": "Thank you. A nurse will review this today.",
        "high": "Thank you. A nurse will review this within a few hours.",
        "critical_paged": "Your care team has been alerted now and will contact you soon.",
        "critical_known": (
            "Your care team already has an urgent alert about you and is working on it; this report was added to it."
        ),
    },
    Language.ES: {
        "none": "Gracias. Recibimos su reporte y su equipo de atención puede verlo.",
        "low": "Gracias. Una enfermera lo revisará en los próximos días.",
        "medium": "Gracias. Una enfermera lo revisará hoy.",
        "high": "Gracias. Una enfermera lo revisará en las próximas horas.",
        "critical_paged": "Acabamos de avisar a su equipo de atención y se comunicarán con usted pronto.",
        "critical_known": (
            "Su equipo de atención ya tiene una alerta urgente sobre usted y está atendiéndola; "
            "este reporte se agregó a ella."
        ),
    },
}

# Rule-specific safety advice: what to do now, before anybody calls back.
ADVICE: dict[str, dict[str, str]] = {
    "suicidal-ideation": {
        Language.EN: (
            "If you might act on these thoughts, or you are not safe right now, call 911. "
            "You can call or text 988 at any time to talk to someone now."
        ),
        Language.ES: (
            "Si podría actuar según estos pensamientos, o no está a salvo en este momento, llame al 911. "
            "Puede llamar o enviar un mensaje de texto al 988 en cualquier momento para hablar con alguien ahora."
        ),
    },
    "crisis-language": {
        Language.EN: (
            "If you are thinking about ending your life or are not safe right now, call 911. "
            "You can call or text 988 at any time to talk to someone now."
        ),
        Language.ES: (
            "Si está pensando en quitarse la vida o no está a salvo en este momento, llame al 911. "
            "Puede llamar o enviar un mensaje de texto al 988 en cualquier momento para hablar con alguien ahora."
        ),
    },
    "hypertensive-crisis": {
        Language.EN: (
            "Your blood pressure is very high. Call 911 now if you have chest pain, a severe headache, confusion, "
            "weakness or numbness, trouble breathing, or trouble seeing. Otherwise sit and rest quietly, and "
            "measure again in 5 minutes."
        ),
        Language.ES: (
            "Su presión arterial está muy alta. Llame al 911 ahora si tiene dolor de pecho, un dolor de cabeza "
            "fuerte, confusión, debilidad o adormecimiento, dificultad para respirar o para ver. Si no, siéntese, "
            "descanse tranquilo y vuelva a medirla en 5 minutos."
        ),
    },
    "very-severe-symptom": {
        Language.EN: (
            "Call 911 or go to the nearest emergency department now if you have trouble breathing, chest pain, "
            "fainting, a seizure, confusion, or you feel you cannot stay safe. Do not drive yourself."
        ),
        Language.ES: (
            "Llame al 911 o vaya a la sala de emergencias más cercana ahora si tiene dificultad para respirar, "
            "dolor de pecho, desmayos, una convulsión, confusión, o siente que no puede mantenerse a salvo. "
            "No maneje usted mismo."
        ),
    },
    "persistent-perceptual": {
        Language.EN: (
            "These effects should have worn off by now. Do not drive, cycle or use machinery, and call the clinic "
            "today. Call 911 if you feel unsafe or confused about where you are."
        ),
        Language.ES: (
            "Estos efectos ya deberían haber pasado. No maneje, no use bicicleta ni maquinaria, y llame hoy a la "
            "clínica. Llame al 911 si se siente en peligro o confundido sobre dónde está."
        ),
    },
}
ADVICE_RULES: tuple[str, ...] = tuple(ADVICE)
ADVICE_MAX = 600  # characters of a clinic's own advice text


def language_of(value: str | None) -> Language:
    """A patient's language, English when unknown."""
    try:
        return Language(value) if value else DEFAULT_LANGUAGE
    except ValueError:
        return DEFAULT_LANGUAGE


def message(priority: str | None, *, paged: bool, language: str | None) -> str:
    """The calm, true sentence the phone shows first."""
    texts = _MESSAGES[language_of(language)]
    if priority == "critical":
        return texts["critical_paged" if paged else "critical_known"]
    return texts[priority or "none"]


def advice(rules: list[str] | tuple[str, ...] | None, *, language: str | None, overrides: dict | None) -> list[dict]:
    """The safety advice of the rules that fired, most urgent rule first (the order rules are given in);
    a clinic's own text for the language wins over ours. Both crisis rules give one text, not two."""
    lang = language_of(language)
    shown: list[dict] = []
    for rule in rules or ():
        if rule not in ADVICE or (rule in CRISIS_RULES and any(a["rule"] in CRISIS_RULES for a in shown)):
            continue
        own = ((overrides or {}).get(rule) or {}).get(lang)
        shown.append({"rule": rule, "text": own or ADVICE[rule][lang]})
    return shown


def crisis_resources(resources: list[dict], *, language: str | None) -> list[dict]:
    """The clinic's crisis resources with their labels in the patient's language (when the clinic gave one)."""
    lang = language_of(language)
    shown = []
    for resource in resources:
        item = {key: value for key, value in resource.items() if key != "labels" and value is not None}
        translated = (resource.get("labels") or {}).get(lang)
        if translated:
            item["label"] = translated
        shown.append(item)
    return shown
