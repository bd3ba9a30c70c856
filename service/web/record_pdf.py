"""The REMS-style monitoring record as a PDF (fpdf2, pure Python; the built-in Helvetica, so Latin-1 text)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos

_PLAIN = str.maketrans(
    {"\u2014": "-", "\u2013": "-", "\u2082": "2", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2265": ">="}
)


def _text(value) -> str:
    """What Helvetica can print: common typography made ASCII, anything else outside Latin-1 as '?'."""
    return str(value).translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") if moment else "-"


def render(record: dict, *, zone: str, printed_at: datetime, printed_by: str) -> bytes:
    """The monitoring record (service.domain.visits.monitoring_record) laid out on A4 pages."""
    tz = ZoneInfo(zone)
    pdf = FPDF(format="A4")
    pdf.set_title("Patient monitoring record")
    pdf.set_author("Aftercare")
    pdf.set_creation_date(printed_at)
    pdf.add_page()
    pdf.set_auto_page_break(auto=True, margin=15)

    def line(text: str, *, size: int = 10, bold: bool = False, height: float = 6) -> None:
        pdf.set_font("Helvetica", "B" if bold else "", size)
        pdf.multi_cell(0, height, _text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    line("Patient monitoring record - esketamine (intranasal) session", size=14, bold=True, height=8)
    if not record["applies"]:
        line(f"Not an intranasal session ({record['session']['route']}): shown for the clinic's file.", bold=True)
    patient, session = record["patient"], record["session"]
    line(
        f"Patient: {patient['display_name']}   Date of birth: {patient['date_of_birth']}"
        + (f"   MRN: {patient['mrn']}" if patient["mrn"] else "")
    )
    dose = f"{session['dose_mg']:g} mg" if session["dose_mg"] else "dose not recorded"
    line(f"Dose given: {_when(session['started_at'], tz)}, {dose}, {session['phase']}")
    status = "COMPLETE" if record["complete"] else "INCOMPLETE"
    line(f"Observed: {record['observed_minutes']} minutes.   Record: {status}", bold=True)
    pdf.ln(2)
    line("Requirements", size=12, bold=True, height=7)
    for q in record["requirements"]:
        line(f"[{'X' if q['met'] else ' '}] {q['label']}: {'met' if q['met'] else 'NOT MET'}", bold=True)
        line(f"      {q['detail']}", size=9, height=5)
    pdf.ln(2)
    line("Readings", size=12, bold=True, height=7)
    widths = (16, 44, 24, 14, 16, 26, 40)
    heads = ("Minute", "Time", "BP", "HR", "SpO2", "MOASS", "Dissociation")
    pdf.set_font("Helvetica", "B", 9)
    for width, head in zip(widths, heads, strict=True):
        pdf.cell(width, 6, head, border=1)
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    for o in record["observations"]:
        cells = (
            o["minute"],
            _when(o["observed_at"], tz),
            f"{o['systolic']}/{o['diastolic']}" if o["systolic"] is not None else "-",
            o["heart_rate"] if o["heart_rate"] is not None else "-",
            f"{o['spo2']}%" if o["spo2"] is not None else "-",
            o["sedation_moass"] if o["sedation_moass"] is not None else "-",
            (f"{o['dissociation']}/4" if o["dissociation"] is not None else "-")
            + (f" CADSS-6 {o['cadss6']}" if o["cadss6"] is not None else ""),
        )
        for width, value in zip(widths, cells, strict=True):
            pdf.cell(width, 6, _text(value), border=1)
        pdf.ln()
    if not record["observations"]:
        line("No readings recorded.", size=9)
    if record["rules_fired"]:
        line("Flags raised in the chair: " + ", ".join(record["rules_fired"]), bold=True)
    pdf.ln(2)
    line("Discharge", size=12, bold=True, height=7)
    discharge = record["discharge"]
    if discharge["discharged"]:
        text = (
            f"{_when(discharge['discharged_at'], tz)}: vitals near baseline, alert, ride home, "
            "told not to drive until the next day."
        )
        if discharge["override_reason"]:
            outside = "; ".join(discharge["outside_limits"])
            text += f" Outside limits then: {outside}. Reason: {discharge['override_reason']}"
        line(text)
    else:
        line("Not discharged yet.")
    pdf.ln(4)
    line(f"Printed from Aftercare {_when(printed_at, tz)} by {printed_by}.", size=8, height=4)
    return bytes(pdf.output())
