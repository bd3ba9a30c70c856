"""The safety screen after a suicidal-ideation signal: the six questions of the C-SSRS screener, stored with
the report, and the risk they show.

The Columbia Suicide Severity Rating Scale screener (recent version: the past month) asks six questions;
questions 3 to 5 only when question 2 is yes, and question 6 with a follow-up (within the past 3 months?). Its
triage, as the screener's authors publish it:
- high: intent (4) or a plan with intent (5), or suicidal behaviour within the past 3 months (6, recent);
- moderate: a method thought of (3), or suicidal behaviour longer ago (6);
- low: a wish to be dead (1) or thoughts of killing oneself (2) only;
- none: no to every question.
High risk tells the patient to call 911 or 988 now, records the screen on the flag, raises the flag to
critical (back to open if it was acknowledged) and pages again.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.domain import advice, outbox, paging
from service.domain.triage import CRITICAL_URGENCY
from service.enums import FlagEventKind, FlagPriority, FlagStatus, Language, SafetyRisk
from service.errors import Conflict, ValidationFailed
from service.models import Flag, FlagEvent, FlagReport, Report, SafetyScreen

# The questions, in order: (answer key, English, Spanish). Asked of the past month, but for the follow-up.
QUESTIONS: tuple[tuple[str, str, str], ...] = (
    (
        "wish_dead",
        "In the past month, have you wished you were dead or wished you could go to sleep and not wake up?",
        "En el último mes, ¿ha deseado estar muerto(a) o poder dormirse y no despertar?",
    ),
    (
        "suicidal_thoughts",
        "In the past month, have you had any actual thoughts of killing yourself?",
        "En el último mes, ¿ha tenido realmente pensamientos de suicidarse?",
    ),
    (
        "method",
        "Have you been thinking about how you might do this?",
        "¿Ha pensado en cómo podría hacerlo?",
    ),
    (
        "intent",
        "Have you had these thoughts and had some intention of acting on them?",
        "¿Ha tenido estos pensamientos y alguna intención de llevarlos a cabo?",
    ),
    (
        "plan",
        "Have you started to work out or worked out the details of how to kill yourself? "
        "Do you intend to carry out this plan?",
        "¿Ha empezado a planear o ya planeó los detalles de cómo suicidarse? ¿Tiene intención de llevar a cabo "
        "este plan?",
    ),
    (
        "behavior",
        "Have you ever done anything, started to do anything, or prepared to do anything to end your life?",
        "¿Alguna vez ha hecho algo, empezado a hacer algo o se ha preparado para hacer algo para terminar con su vida?",
    ),
    (
        "behavior_recent",
        "Was this within the past 3 months?",
        "¿Fue en los últimos 3 meses?",
    ),
)
KEYS = tuple(key for key, _en, _es in QUESTIONS)
ONLY_IF_THOUGHTS = ("method", "intent", "plan")  # asked only when suicidal_thoughts is yes

_TOLD = {
    SafetyRisk.HIGH: {
        Language.EN: "Please call 911 or call or text 988 now, and stay with someone if you can. "
        "Your care team has been alerted again.",
        Language.ES: "Por favor llame al 911 o llame o envíe un mensaje de texto al 988 ahora, y quédese con "
        "alguien si puede. Volvimos a avisar a su equipo de atención.",
    },
    "other": {
        Language.EN: "Thank you for answering. Your care team sees your answers with your report. If things get "
        "worse, call 911 or call or text 988 at any time.",
        Language.ES: "Gracias por responder. Su equipo de atención ve sus respuestas junto con su reporte. Si las "
        "cosas empeoran, llame al 911 o llame o envíe un mensaje de texto al 988 en cualquier momento.",
    },
}
_HIGH_NOT_PAGED = {
    Language.EN: "Please call 911 or call or text 988 now, and stay with someone if you can.",
    Language.ES: "Por favor llame al 911 o llame o envíe un mensaje de texto al 988 ahora, y quédese con alguien "
    "si puede.",
}


def offer(report_id: uuid.UUID, *, language: str | None) -> dict:
    """The screen as the 201 answer offers it: where to send it and the questions in the patient's language."""
    spanish = advice.language_of(language) == Language.ES
    return {
        "path": f"/api/v1/me/reports/{report_id}/safety-screen",
        "questions": [
            {
                "key": key,
                "text": es if spanish else en,
                "asked_when": "suicidal_thoughts"
                if key in ONLY_IF_THOUGHTS
                else "behavior"
                if key == "behavior_recent"
                else None,
            }
            for key, en, es in QUESTIONS
        ],
    }


def check_answers(answers: dict) -> dict:
    """The answers with every question asked; 422 naming the first question that needs an answer."""
    required = ["wish_dead", "suicidal_thoughts", "behavior"]
    if answers.get("suicidal_thoughts") is True:
        required += list(ONLY_IF_THOUGHTS)
    if answers.get("behavior") is True:
        required.append("behavior_recent")
    for key in KEYS:
        if key in required and answers.get(key) is None:
            raise ValidationFailed("This question needs a yes or no answer.", field=key)
    return {key: answers.get(key) for key in KEYS}


def risk_of(answers: dict) -> SafetyRisk:
    """The C-SSRS screener's triage of a set of answers (see the module doc)."""
    thoughts = answers.get("suicidal_thoughts") is True
    if (thoughts and (answers.get("intent") or answers.get("plan"))) or (
        answers.get("behavior") and answers.get("behavior_recent")
    ):
        return SafetyRisk.HIGH
    if (thoughts and answers.get("method")) or answers.get("behavior"):
        return SafetyRisk.MODERATE
    if answers.get("wish_dead") or thoughts:
        return SafetyRisk.LOW
    return SafetyRisk.NONE


def _hash(answers: dict) -> str:
    return hashlib.sha256(json.dumps(answers, sort_keys=True).encode()).hexdigest()


def told(risk: SafetyRisk, *, paged: bool, language: str | None) -> str:
    lang = advice.language_of(language)
    if risk == SafetyRisk.HIGH:
        return _TOLD[SafetyRisk.HIGH][lang] if paged else _HIGH_NOT_PAGED[lang]
    return _TOLD["other"][lang]


def _crisis_flag(session: Session, report: Report) -> Flag | None:
    """The flag the report's suicidal-ideation signal went to (the most urgent one, if both crisis rules)."""
    return session.scalar(
        select(Flag)
        .join(FlagReport, FlagReport.flag_id == Flag.id)
        .where(FlagReport.report_id == report.id, Flag.rule.in_(advice.CRISIS_RULES))
        .order_by(Flag.urgency, Flag.created_at)
        .limit(1)
    )


def submit(
    session: Session,
    *,
    report: Report,
    answers: dict,
    settings: dict,
    channels: outbox.Availability,
    now: datetime,
) -> tuple[SafetyScreen, bool, bool]:
    """Store the screen of a report once: (screen, created, paged). The same answers again answer as before;
    other answers for a screened report are a 409."""
    if not report.crisis:
        raise Conflict("This report asked for no safety screen.", field="report_id")
    answers = check_answers(answers)
    digest = _hash(answers)
    existing = session.scalar(select(SafetyScreen).where(SafetyScreen.report_id == report.id))
    if existing is not None:
        if existing.body_hash != digest:
            raise Conflict("This report's safety screen was already answered.", field="report_id")
        return existing, False, existing.paged
    risk = risk_of(answers)
    flag = _crisis_flag(session, report)
    screen = SafetyScreen(
        clinic_id=report.clinic_id,
        patient_id=report.patient_id,
        report_id=report.id,
        flag_id=flag.id if flag else None,
        answers=answers,
        body_hash=digest,
        risk=risk,
        paged=False,
        created_at=now,
    )
    session.add(screen)
    session.flush()
    paged = False
    if flag is not None:
        session.add(
            FlagEvent(
                flag_id=flag.id,
                at=now,
                kind=FlagEventKind.SAFETY_SCREEN,
                report_id=report.id,
                text=f"Safety screen (C-SSRS screener): {risk} risk.",
                data={"risk": str(risk), "answers": answers},
            )
        )
        if risk == SafetyRisk.HIGH and flag.status != FlagStatus.RESOLVED:
            paged = _page_again(session, flag=flag, report=report, settings=settings, channels=channels, now=now)
    screen.paged = paged
    session.flush()
    return screen, True, paged


def _page_again(
    session: Session, *, flag: Flag, report: Report, settings: dict, channels: outbox.Availability, now: datetime
) -> bool:
    """High risk: the flag becomes critical, open (the acknowledgement stays in its history) and due in the
    critical target, its escalation chain starts again, and the on-call clinicians and the assignee are paged."""
    reopened = flag.status == FlagStatus.ACKNOWLEDGED
    target = timedelta(minutes=settings["response_targets_minutes"]["critical"])
    session.execute(
        update(Flag)
        .where(Flag.id == flag.id)
        .values(
            priority=FlagPriority.CRITICAL,
            urgency=CRITICAL_URGENCY,
            status=FlagStatus.OPEN,
            due_by=now + target,
            escalation_level=0,
            page_count=Flag.page_count + 1,
            last_paged_at=now,
            updated_at=now,
            version=Flag.version + 1,
        ),
        execution_options={"synchronize_session": False},
    )
    session.refresh(flag)
    if reopened:
        paging.note_reopened(
            session,
            flag_id=flag.id,
            acknowledged_at=flag.acknowledged_at,
            report_id=report.id,
            why="A high-risk safety screen",
            now=now,
        )
    return paging.write_pages(
        session,
        clinic_id=flag.clinic_id,
        patient_id=flag.patient_id,
        pages=[paging.Page(flag.id, flag.page_count, "safety_screen", flag.assignee_id)],
        settings=settings,
        channels=channels,
        now=now,
        report_id=report.id,
    )


def screens_of(session: Session, report_ids: list[uuid.UUID]) -> dict[uuid.UUID, SafetyScreen]:
    """The stored screens of some reports, by report."""
    if not report_ids:
        return {}
    rows = session.scalars(select(SafetyScreen).where(SafetyScreen.report_id.in_(report_ids)))
    return {row.report_id: row for row in rows}


def view(screen: SafetyScreen) -> dict:
    """A screen as readers see it (the patient, the flag and patient pages)."""
    return {
        "risk": str(screen.risk),
        "answered_at": screen.created_at,
        "answers": {key: screen.answers.get(key) for key in KEYS},
    }
