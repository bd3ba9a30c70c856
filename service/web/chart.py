"""The patient's course as one server-rendered SVG: symptom severities, mood and PHQ-9, infusions and flags.

Built from the same timeline entries as the list under it. Every mark has a <title> (a tooltip
and a screen-reader label) and severity is shown as a number and a size as well as a colour.
Only presentation attributes are used (no style attributes), so the page's CSP needs no
'unsafe-inline'.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from service.domain.outcomes import REMISSION_BELOW, RESPONSE_DROP
from service.rules.wording import symptom_name

WIDTH = 960
LEFT = 150
RIGHT = 56
TOP = 34
ROW = 22
FLAG_STRIP = 26
MOOD_HEIGHT = 150
AXIS = 24
FLAG_HALF = 10  # a flag triangle is 20 wide
FLAG_GAP = 21

SEVERITY_FILL = {0: "#ffffff", 1: "#fdd49e", 2: "#fc8d59", 3: "#d7301f", 4: "#7f0000"}
SEVERITY_TEXT = {0: "#333333", 1: "#333333", 2: "#222222", 3: "#ffffff", 4: "#ffffff"}
SEVERITY_WORD = {0: "none", 1: "mild", 2: "moderate", 3: "severe", 4: "very severe"}
PRIORITY_FILL = {"critical": "#b2182b", "high": "#ef8a62", "medium": "#fddbc7", "low": "#d1e5f0"}
PRIORITY_LETTER = {"critical": "C", "high": "H", "medium": "M", "low": "L"}
MOOD_COLOUR = "#2166ac"
PHQ9_COLOUR = "#8c510a"
INFUSION_COLOUR = "#4d4d4d"
GOAL_COLOUR = "#1b7837"


@dataclass(frozen=True)
class Chart:
    svg: Markup
    marks: int  # how many data marks were drawn (0: nothing to show)


def _fmt(value: float) -> str:
    return f"{value:.1f}"


def _label(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def flag_positions(wanted: list[float]) -> list[float]:
    """Centres for flag triangles (given in drawing order, by time): flags at (nearly) one moment sit side
    by side rather than on top of each other, and every triangle stays whole inside the drawing — a cluster
    at the right edge (flags raised just now) moves left instead of running off it."""
    if not wanted:
        return []
    low, high = FLAG_HALF + 1, WIDTH - FLAG_HALF - 1
    placed = [min(max(value, low), high) for value in wanted]
    for i in range(1, len(placed)):  # left to right: keep the gap
        placed[i] = max(placed[i], placed[i - 1] + FLAG_GAP)
    placed[-1] = min(placed[-1], high)
    for i in range(len(placed) - 2, -1, -1):  # right to left: pull a cluster back inside
        placed[i] = min(placed[i], placed[i + 1] - FLAG_GAP)
    return [max(value, low) for value in placed]


def render_course(
    entries: list[dict],
    *,
    since: datetime,
    until: datetime,
    zone: str,
    mood_baseline: int | None,
    phq9_baseline: int | None,
    flag_url,
    title: str,
    description: str,
) -> Chart:
    """The SVG of a patient's course over [since, until] (times labelled in the given zone)."""
    tz = ZoneInfo(zone)
    span = (until - since).total_seconds() or 1.0
    plot_w = WIDTH - LEFT - RIGHT

    def x(moment: datetime) -> float:
        return LEFT + max(0.0, min(1.0, (moment - since).total_seconds() / span)) * plot_w

    reports = sorted((e for e in entries if e["kind"] == "report"), key=lambda e: e["at"])
    infusions = [e for e in entries if e["kind"] == "infusion"]
    flags = [e for e in entries if e["kind"] == "flag"]
    worst: dict[str, int] = {}
    for entry in reports:
        for s in entry["report"]["symptoms"]:
            worst[s["code"]] = max(worst.get(s["code"], 0), s["severity"])
    codes = sorted(worst, key=lambda c: (-worst[c], c))

    flags_top = TOP
    infusion_strip = flags_top + FLAG_STRIP + 2
    sym_top = infusion_strip + 38
    sym_h = max(1, len(codes)) * ROW
    mood_top = sym_top + sym_h + 28
    mood_bottom = mood_top + MOOD_HEIGHT
    height = mood_bottom + AXIS
    out: list[str] = []
    marks = 0

    def add(markup: str, *values) -> None:
        out.append(markup.format(*(escape(v) for v in values)))

    # Panel frames and headings.
    add('<text x="{}" y="{}" class="chart-h" font-size="12" font-weight="bold">Flags</text>', 8, flags_top + 17)
    add('<text x="{}" y="{}" font-size="12" font-weight="bold">Infusions</text>', 8, infusion_strip + 11)
    add('<text x="{}" y="{}" font-size="12" font-weight="bold">Symptoms (severity 0-4)</text>', 8, sym_top - 6)
    add(
        '<rect x="{}" y="{}" width="{}" height="{}" fill="#fafafa" stroke="#dddddd"/>',
        LEFT,
        sym_top,
        plot_w,
        sym_h,
    )
    add(
        '<rect x="{}" y="{}" width="{}" height="{}" fill="#fafafa" stroke="#dddddd"/>',
        LEFT,
        mood_top,
        plot_w,
        MOOD_HEIGHT,
    )
    add('<text x="{}" y="{}" font-size="12" font-weight="bold">Mood and PHQ-9</text>', 8, mood_top - 13)

    # Day ticks (local days of the clinic's zone).
    days = max(1, round(span / 86400))
    step = 1 if days <= 14 else 2 if days <= 31 else 7
    first = since.astimezone(tz).date() + timedelta(days=1)
    last = until.astimezone(tz).date()
    for index in range((last - first).days + 1):
        date = first + timedelta(days=index)
        if index % step:
            continue
        tx = x(datetime.combine(date, time(0), tzinfo=tz))
        add(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#e6e6e6" stroke-width="1"/>',
            _fmt(tx),
            sym_top,
            _fmt(tx),
            mood_bottom,
        )
        add(
            '<text x="{}" y="{}" font-size="11" text-anchor="middle" fill="#555555">{}</text>',
            _fmt(tx),
            mood_bottom + 16,
            f"{date.day} {date:%b}",
        )

    # Infusions: a dashed line across both panels and a labelled marker on top.
    for entry in infusions:
        info = entry["infusion"]
        ix = x(entry["at"])
        route = {"iv": "IV", "intranasal": "IN", "intramuscular": "IM"}.get(info["route"], info["route"])
        tip = f"Infusion {_label(entry['at'], tz)}: {entry['summary']}"
        add(
            '<g class="infusion"><title>{}</title>'
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1.5" stroke-dasharray="4 3"/>'
            '<rect x="{}" y="{}" width="22" height="14" rx="3" fill="{}"/>'
            '<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="#ffffff">{}</text></g>',
            tip,
            _fmt(ix),
            infusion_strip + 14,
            _fmt(ix),
            mood_bottom,
            INFUSION_COLOUR,
            _fmt(ix - 11),
            infusion_strip,
            INFUSION_COLOUR,
            _fmt(ix),
            infusion_strip + 11,
            route,
        )
        marks += 1

    # Flags: a triangle per flag, letter and colour by priority, linking to the flag. Flags raised at
    # (nearly) the same moment are set side by side, most urgent first, instead of on top of each other.
    order = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    flags = sorted(flags, key=lambda e: (e["at"], order.get(e["flag"]["priority"], 9)))
    for entry, fx in zip(flags, flag_positions([x(e["at"]) for e in flags]), strict=True):
        info = entry["flag"]
        priority = info["priority"]
        y0 = flags_top + 2
        points = f"{_fmt(fx - FLAG_HALF)},{y0 + 20} {_fmt(fx + FLAG_HALF)},{y0 + 20} {_fmt(fx)},{y0}"
        tip = f"{priority.capitalize()} flag ({info['status']}) {_label(entry['at'], tz)}: {info['reason']}"
        add(
            '<a href="{}" class="chart-flag" aria-label="{}"><title>{}</title>'
            '<polygon points="{}" fill="{}" stroke="#333333" stroke-width="1"/>'
            '<text x="{}" y="{}" font-size="10" font-weight="bold" text-anchor="middle" fill="{}" aria-hidden="true">'
            "{}</text></a>",
            flag_url(entry["id"]),
            tip,
            tip,
            points,
            PRIORITY_FILL.get(priority, "#cccccc"),
            _fmt(fx),
            y0 + 17,
            "#ffffff" if priority == "critical" else "#111111",
            PRIORITY_LETTER.get(priority, "?"),
        )
        marks += 1

    # Symptoms: one row per symptom, a circle per report sized and coloured by severity, the number inside.
    for row, code in enumerate(codes):
        cy = sym_top + row * ROW + ROW / 2
        add(
            '<text x="{}" y="{}" font-size="11" text-anchor="end" fill="#222222">{}</text>',
            LEFT - 8,
            _fmt(cy + 4),
            symptom_name(code),
        )
        for entry in reports:
            for s in entry["report"]["symptoms"]:
                if s["code"] != code:
                    continue
                severity = s["severity"]
                cx = x(entry["at"])
                tip = f"{symptom_name(code)} {severity}/4 ({SEVERITY_WORD[severity]}) at {_label(entry['at'], tz)}"
                add(
                    '<g class="sev-mark"><title>{}</title>'
                    '<circle cx="{}" cy="{}" r="{}" fill="{}" stroke="#555555" stroke-width="0.75"/>'
                    '<text x="{}" y="{}" font-size="9" text-anchor="middle" fill="{}">{}</text></g>',
                    tip,
                    _fmt(cx),
                    _fmt(cy),
                    _fmt(5 + severity * 1.3),
                    SEVERITY_FILL[severity],
                    _fmt(cx),
                    _fmt(cy + 3),
                    SEVERITY_TEXT[severity],
                    severity,
                )
                marks += 1
    if not codes:
        add(
            '<text x="{}" y="{}" font-size="11" fill="#666666">No symptoms reported in this period.</text>',
            LEFT + 8,
            sym_top + 15,
        )

    # Mood (0-10, left scale) and PHQ-9 (0-27, right scale).
    def mood_y(value: float) -> float:
        return mood_bottom - value / 10 * MOOD_HEIGHT

    def phq_y(value: float) -> float:
        return mood_bottom - value / 27 * MOOD_HEIGHT

    for value in (0, 5, 10):
        add(
            '<text x="{}" y="{}" font-size="10" text-anchor="end" fill="{}">{}</text>',
            LEFT - 6,
            _fmt(mood_y(value) + 3),
            MOOD_COLOUR,
            f"mood {value}",
        )
    for value in (0, 9, 18, 27):
        add(
            '<text x="{}" y="{}" font-size="10" fill="{}">{}</text>',
            WIDTH - RIGHT + 6,
            _fmt(phq_y(value) + 3),
            PHQ9_COLOUR,
            f"{value}",
        )
    add(
        '<text x="{}" y="{}" font-size="10" fill="{}">PHQ-9</text>',
        WIDTH - RIGHT + 6,
        mood_top - 11,
        PHQ9_COLOUR,
    )
    if mood_baseline is not None:
        add(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-dasharray="1 3" stroke-width="1.5">'
            "<title>Mood baseline {}</title></line>",
            LEFT,
            _fmt(mood_y(mood_baseline)),
            WIDTH - RIGHT,
            _fmt(mood_y(mood_baseline)),
            MOOD_COLOUR,
            mood_baseline,
        )
    if phq9_baseline is not None:
        add(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-dasharray="1 3" stroke-width="1.5">'
            "<title>PHQ-9 baseline {}</title></line>",
            LEFT,
            _fmt(phq_y(phq9_baseline)),
            WIDTH - RIGHT,
            _fmt(phq_y(phq9_baseline)),
            PHQ9_COLOUR,
            phq9_baseline,
        )
    # Measurement-based care: response is PHQ-9 down by half from baseline, remission below 5.
    goals = [(REMISSION_BELOW, "phq9-remission", f"Remission: PHQ-9 below {REMISSION_BELOW}", "remission")]
    if phq9_baseline is not None:
        response_at = phq9_baseline * (1 - RESPONSE_DROP)
        tip = f"Response: PHQ-9 {response_at:g} or less (half of baseline {phq9_baseline})"
        goals.insert(0, (response_at, "phq9-response", tip, "response"))
    for value, css, tip, word in goals:
        add(
            '<g class="{}"><title>{}</title><line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1.25" '
            'stroke-dasharray="8 4" stroke-opacity="0.8"/>'
            '<text x="{}" y="{}" font-size="9" text-anchor="end" fill="{}">{}</text></g>',
            css,
            tip,
            LEFT,
            _fmt(phq_y(value)),
            WIDTH - RIGHT,
            _fmt(phq_y(value)),
            GOAL_COLOUR,
            WIDTH - RIGHT - 4,
            _fmt(phq_y(value) - 3),
            GOAL_COLOUR,
            word,
        )
    mood_points = [(x(e["at"]), mood_y(e["report"]["mood"]), e) for e in reports if e["report"]["mood"] is not None]
    phq_points = [
        (x(e["at"]), phq_y(e["report"]["phq9_total"]), e) for e in reports if e["report"]["phq9_total"] is not None
    ]
    if len(mood_points) > 1:
        add(
            '<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>',
            " ".join(f"{_fmt(px)},{_fmt(py)}" for px, py, _ in mood_points),
            MOOD_COLOUR,
        )
    if len(phq_points) > 1:
        add(
            '<polyline points="{}" fill="none" stroke="{}" stroke-width="2" stroke-dasharray="6 3"/>',
            " ".join(f"{_fmt(px)},{_fmt(py)}" for px, py, _ in phq_points),
            PHQ9_COLOUR,
        )
    for px, py, entry in mood_points:
        add(
            '<circle cx="{}" cy="{}" r="3.5" fill="{}" class="mood-mark"><title>Mood {}/10 at {}</title></circle>',
            _fmt(px),
            _fmt(py),
            MOOD_COLOUR,
            entry["report"]["mood"],
            _label(entry["at"], tz),
        )
        marks += 1
    for px, py, entry in phq_points:
        add(
            '<rect x="{}" y="{}" width="8" height="8" fill="{}" class="phq9-mark"><title>PHQ-9 {} at {}</title></rect>',
            _fmt(px - 4),
            _fmt(py - 4),
            PHQ9_COLOUR,
            entry["report"]["phq9_total"],
            _label(entry["at"], tz),
        )
        marks += 1
    if not mood_points and not phq_points:
        add(
            '<text x="{}" y="{}" font-size="11" fill="#666666">No mood or PHQ-9 answers in this period.</text>',
            LEFT + 8,
            mood_top + 18,
        )

    # Legend.
    legend_x = LEFT + plot_w - 430
    add(
        '<g class="legend" font-size="11" fill="#222222">'
        '<line x1="{}" y1="12" x2="{}" y2="12" stroke="{}" stroke-width="2"/><text x="{}" y="16">Mood</text>'
        '<line x1="{}" y1="12" x2="{}" y2="12" stroke="{}" stroke-width="2" stroke-dasharray="6 3"/>'
        '<text x="{}" y="16">PHQ-9</text>'
        '<line x1="{}" y1="4" x2="{}" y2="20" stroke="{}" stroke-dasharray="4 3"/><text x="{}" y="16">Infusion</text>'
        '<circle cx="{}" cy="12" r="7" fill="{}" stroke="#555555"/><text x="{}" y="16">Severity 1-4</text>'
        "</g>",
        legend_x,
        legend_x + 24,
        MOOD_COLOUR,
        legend_x + 30,
        legend_x + 80,
        legend_x + 104,
        PHQ9_COLOUR,
        legend_x + 110,
        legend_x + 170,
        legend_x + 170,
        INFUSION_COLOUR,
        legend_x + 176,
        legend_x + 250,
        SEVERITY_FILL[3],
        legend_x + 262,
    )

    body = "".join(out)
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" class="course-chart" '
        f'role="group" aria-labelledby="chart-title" aria-describedby="chart-desc" data-marks="{marks}" '
        f'font-family="system-ui, sans-serif" preserveAspectRatio="xMinYMin meet">'
        f'<title id="chart-title">{escape(title)}</title><desc id="chart-desc">{escape(description)}</desc>'
        f"{body}</svg>"
    )
    return Chart(svg=Markup(svg), marks=marks)  # noqa: S704 - every value above went through escape()


# --- the visit: readings in the chair ------------------------------------------------------------------------

VISIT_WIDTH = 720
VISIT_LEFT = 56
VISIT_RIGHT = 24
VISIT_TOP = 30
VISIT_HEIGHT = 180
VISIT_STRIP = 44
SYSTOLIC_COLOUR = "#b2182b"
DIASTOLIC_COLOUR = "#2166ac"
HR_COLOUR = "#4d4d4d"
LIMIT_COLOUR = "#d6604d"


def render_visit(
    observations: list[dict],
    *,
    baseline: tuple[int | None, int | None],
    limits: dict[str, int],
    infusion_minutes: int | None,
    title: str,
) -> Chart:
    """A small chart of an infusion's observations: BP and heart rate over the minutes of the visit, the
    screening baseline and the clinic's limits as lines, and sedation (MOASS) and dissociation under it."""
    out: list[str] = []

    def add(markup: str, *values) -> None:
        out.append(markup.format(*(escape(v) for v in values)))

    last = max([o["minute"] for o in observations] + [infusion_minutes or 0, 120])
    span = max(1, last + 10)
    plot_w = VISIT_WIDTH - VISIT_LEFT - VISIT_RIGHT
    low, high = 40, 220
    bottom = VISIT_TOP + VISIT_HEIGHT
    strip = bottom + AXIS + 6
    height = strip + VISIT_STRIP

    def x(minute: float) -> float:
        return VISIT_LEFT + max(0.0, min(1.0, minute / span)) * plot_w

    def y(value: float) -> float:
        return bottom - (max(low, min(high, value)) - low) / (high - low) * VISIT_HEIGHT

    add(
        '<rect x="{}" y="{}" width="{}" height="{}" fill="#fafafa" stroke="#dddddd"/>',
        VISIT_LEFT,
        VISIT_TOP,
        plot_w,
        VISIT_HEIGHT,
    )
    for value in (60, 100, 140, 180, 220):
        add(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#eeeeee"/>'
            '<text x="{}" y="{}" font-size="10" text-anchor="end" fill="#555555">{}</text>',
            VISIT_LEFT,
            _fmt(y(value)),
            VISIT_LEFT + plot_w,
            _fmt(y(value)),
            VISIT_LEFT - 6,
            _fmt(y(value) + 3),
            value,
        )
    step = 30 if span <= 240 else 60
    for minute in range(0, span + 1, step):
        add(
            '<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="#555555">{}</text>',
            _fmt(x(minute)),
            bottom + 14,
            f"{minute} min",
        )
    if infusion_minutes is not None:
        add(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-dasharray="4 3">'
            "<title>Infusion ended at minute {}</title></line>",
            _fmt(x(infusion_minutes)),
            VISIT_TOP,
            _fmt(x(infusion_minutes)),
            bottom,
            INFUSION_COLOUR,
            infusion_minutes,
        )
    for value, colour, what in (
        (limits.get("limit_systolic"), LIMIT_COLOUR, "Systolic limit"),
        (limits.get("limit_diastolic"), LIMIT_COLOUR, "Diastolic limit"),
        (baseline[0], SYSTOLIC_COLOUR, "Screening systolic (baseline)"),
        (baseline[1], DIASTOLIC_COLOUR, "Screening diastolic (baseline)"),
    ):
        if value is None:
            continue
        dash = "6 3" if "limit" in what else "1 3"
        add(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-dasharray="{}" stroke-width="1.5" class="{}">'
            "<title>{} {}</title></line>",
            VISIT_LEFT,
            _fmt(y(value)),
            VISIT_LEFT + plot_w,
            _fmt(y(value)),
            colour,
            dash,
            "limit-line" if "limit" in what else "baseline-line",
            what,
            value,
        )
    marks = 0
    series = (
        ("systolic", SYSTOLIC_COLOUR, "Systolic", "", "2"),
        ("diastolic", DIASTOLIC_COLOUR, "Diastolic", "", "2"),
        ("heart_rate", HR_COLOUR, "Heart rate", "5 3", "1.5"),
    )
    for key, colour, name, dash, width in series:
        points = [(x(o["minute"]), y(o[key]), o) for o in observations if o[key] is not None]
        if len(points) > 1:
            add(
                '<polyline points="{}" fill="none" stroke="{}" stroke-width="{}" stroke-dasharray="{}"/>',
                " ".join(f"{_fmt(px)},{_fmt(py)}" for px, py, _ in points),
                colour,
                width,
                dash or "none",
            )
        for px, py, o in points:
            prefix = "heart rate" if key == "heart_rate" else "BP"
            outside = any(text.startswith(prefix) for text in o["outside_limits"])
            add(
                '<circle cx="{}" cy="{}" r="{}" fill="{}" stroke="{}" stroke-width="{}" class="obs-mark">'
                "<title>{} {} at minute {}{}</title></circle>",
                _fmt(px),
                _fmt(py),
                5 if outside else 3.5,
                colour,
                "#000000" if outside else colour,
                2 if outside else 1,
                name,
                o[key],
                o["minute"],
                " — outside the clinic's limits" if outside else "",
            )
            marks += 1
    if not observations:
        add(
            '<text x="{}" y="{}" font-size="11" fill="#666666">No readings in the chair yet.</text>',
            VISIT_LEFT + 8,
            VISIT_TOP + 18,
        )
    add('<text x="{}" y="{}" font-size="10" fill="#222222">MOASS</text>', 4, strip + 14)
    add('<text x="{}" y="{}" font-size="10" fill="#222222">Dissoc.</text>', 4, strip + 34)
    for o in observations:
        for row, key, scale in ((14, "sedation_moass", "/5"), (34, "dissociation", "/4")):
            if o[key] is None:
                continue
            add(
                '<text x="{}" y="{}" font-size="11" text-anchor="middle" fill="#222222">{}<title>{} {}{} at minute {}'
                "</title></text>",
                _fmt(x(o["minute"])),
                strip + row,
                o[key],
                "Sedation (MOASS)" if key == "sedation_moass" else "Dissociation",
                o[key],
                scale,
                o["minute"],
            )
    add(
        '<g class="legend" font-size="11" fill="#222222">'
        '<line x1="{}" y1="12" x2="{}" y2="12" stroke="{}" stroke-width="2"/><text x="{}" y="16">Systolic</text>'
        '<line x1="{}" y1="12" x2="{}" y2="12" stroke="{}" stroke-width="2"/><text x="{}" y="16">Diastolic</text>'
        '<line x1="{}" y1="12" x2="{}" y2="12" stroke="{}" stroke-dasharray="5 3"/>'
        '<text x="{}" y="16">Heart rate</text>'
        '<line x1="{}" y1="12" x2="{}" y2="12" stroke="{}" stroke-dasharray="6 3"/><text x="{}" y="16">Limit</text>'
        "</g>",
        VISIT_LEFT,
        VISIT_LEFT + 20,
        SYSTOLIC_COLOUR,
        VISIT_LEFT + 24,
        VISIT_LEFT + 90,
        VISIT_LEFT + 110,
        DIASTOLIC_COLOUR,
        VISIT_LEFT + 114,
        VISIT_LEFT + 184,
        VISIT_LEFT + 204,
        HR_COLOUR,
        VISIT_LEFT + 208,
        VISIT_LEFT + 284,
        VISIT_LEFT + 304,
        LIMIT_COLOUR,
        VISIT_LEFT + 308,
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {VISIT_WIDTH} {height}" class="visit-chart" '
        f'role="img" aria-labelledby="visit-chart-title" data-marks="{marks}" '
        f'font-family="system-ui, sans-serif" preserveAspectRatio="xMinYMin meet">'
        f'<title id="visit-chart-title">{escape(title)}</title>{"".join(out)}</svg>'
    )
    return Chart(svg=Markup(svg), marks=marks)  # noqa: S704 - every value above went through escape()


# Long-term safety: cumulative dose against the symptoms that ketamine's long-term harms show as (bladder,
# memory, craving, mood). Codes from service/vocabulary.py; urinary frequency and urgency (the quarterly check-in's)
# are not drawn: six long names do not fit one legend line.
EXPOSURE_SYMPTOMS = (
    ("bladder_pain", "#762a83", "none"),
    ("memory_problems", "#1b7837", "6 3"),
    ("craving", "#b35806", "2 2"),
    ("low_mood", "#2166ac", "8 3 2 3"),
)
DOSE_COLOUR = "#333333"
EXPOSURE_HEIGHT = 180
EXPOSURE_TOP = 40
EXPOSURE_RIGHT = 80


def exposure_unit(cumulative: dict) -> str:
    """The unit the cumulative dose is drawn in: mg/kg when every infusion recorded it, else mg when every
    one did, else whichever has fewer gaps (the figure says how many are missing)."""
    if cumulative["without_mg_per_kg"] == 0:
        return "mg/kg"
    if cumulative["without_mg"] == 0:
        return "mg"
    return "mg/kg" if cumulative["without_mg_per_kg"] < cumulative["without_mg"] else "mg"


def render_exposure(entries: list[dict], *, cumulative: dict, since: datetime, until: datetime, zone: str) -> Chart:
    """Cumulative dose over [since, until] (a step line, one point per infusion, starting from what the
    patient had before the window) drawn against the severity of bladder pain, memory problems, craving and
    low mood in the reports of the same window (one point per report that rated the symptom)."""
    tz = ZoneInfo(zone)
    span = (until - since).total_seconds() or 1.0
    plot_w = WIDTH - LEFT - EXPOSURE_RIGHT
    top, bottom = EXPOSURE_TOP, EXPOSURE_TOP + EXPOSURE_HEIGHT
    height = bottom + AXIS + 34
    unit = exposure_unit(cumulative)
    key = "cumulative_dose_mg_per_kg" if unit == "mg/kg" else "cumulative_dose_mg"
    own = "dose_mg_per_kg" if unit == "mg/kg" else "dose_mg"
    total_key = "dose_mg_per_kg" if unit == "mg/kg" else "dose_mg"

    def x(moment: datetime) -> float:
        return LEFT + max(0.0, min(1.0, (moment - since).total_seconds() / span)) * plot_w

    infusions = sorted((e for e in entries if e["kind"] == "infusion"), key=lambda e: e["at"])
    reports = sorted((e for e in entries if e["kind"] == "report"), key=lambda e: e["at"])
    if infusions:
        first = infusions[0]["infusion"]
        start = (first[key] or 0.0) - (first[own] or 0.0)
    else:
        start = cumulative[total_key] or 0.0
    peak = max([start, *(e["infusion"][key] or 0.0 for e in infusions)])
    scale = peak * 1.1 if peak > 0 else 1.0

    def dose_y(value: float) -> float:
        return bottom - value / scale * EXPOSURE_HEIGHT

    def sev_y(value: float) -> float:
        return bottom - value / 4 * EXPOSURE_HEIGHT

    out: list[str] = []
    marks = 0

    def add(markup: str, *values) -> None:
        out.append(markup.format(*(escape(v) for v in values)))

    add(
        '<rect x="{}" y="{}" width="{}" height="{}" fill="#fafafa" stroke="#dddddd"/>',
        LEFT,
        top,
        plot_w,
        EXPOSURE_HEIGHT,
    )
    add('<text x="{}" y="{}" font-size="12" font-weight="bold">Cumulative dose ({})</text>', 8, top - 10, unit)
    for fraction in (0, 0.5, 1):
        value = scale * fraction
        add(
            '<text x="{}" y="{}" font-size="10" text-anchor="end" fill="{}">{}</text>',
            LEFT - 6,
            _fmt(dose_y(value) + 3),
            DOSE_COLOUR,
            f"{value:.3g} {unit}",
        )
    for value in (0, 2, 4):
        add(
            '<text x="{}" y="{}" font-size="10" fill="#555555">{}</text>',
            WIDTH - EXPOSURE_RIGHT + 6,
            _fmt(sev_y(value) + 3),
            f"severity {value}",
        )

    # The dose: flat at what came before, a step up at each infusion, flat to the end of the window.
    path = [(float(LEFT), dose_y(start))]
    level = start
    for entry in infusions:
        ix = x(entry["at"])
        level = entry["infusion"][key] if entry["infusion"][key] is not None else level
        path += [(ix, path[-1][1]), (ix, dose_y(level))]
    path.append((float(LEFT + plot_w), dose_y(level)))
    add(
        '<polyline class="dose-line" points="{}" fill="none" stroke="{}" stroke-width="2"/>',
        " ".join(f"{_fmt(px)},{_fmt(py)}" for px, py in path),
        DOSE_COLOUR,
    )
    for entry in infusions:
        info = entry["infusion"]
        figure = info[key]
        said = f"{figure:g} {unit}" if figure is not None else f"no {unit} recorded yet"
        missing = "" if info[own] is not None else f" (this infusion has no {unit} recorded)"
        tip = f"Infusion {info['cumulative_infusions']} on {_label(entry['at'], tz)}: {said} in all{missing}"
        add(
            '<g class="dose-point"><title>{}</title><rect x="{}" y="{}" width="8" height="8" fill="{}"/></g>',
            tip,
            _fmt(x(entry["at"]) - 4),
            _fmt(dose_y(figure if figure is not None else level) - 4),
            DOSE_COLOUR,
        )
        marks += 1

    # The symptoms: a line per symptom through the reports that rated it, a point per rating.
    legend_x, legend_y = LEFT, bottom + AXIS + 18
    for code, colour, dash in EXPOSURE_SYMPTOMS:
        points = [
            (x(e["at"]), s["severity"], e["at"]) for e in reports for s in e["report"]["symptoms"] if s["code"] == code
        ]
        add(
            '<g class="legend"><line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2" '
            'stroke-dasharray="{}"/><text x="{}" y="{}" font-size="11" fill="#222222">{}</text></g>',
            legend_x,
            legend_y,
            legend_x + 18,
            legend_y,
            colour,
            dash,
            legend_x + 22,
            legend_y + 4,
            f"{symptom_name(code)} ({len(points)})",
        )
        legend_x += 180
        if len(points) > 1:
            add(
                '<polyline points="{}" fill="none" stroke="{}" stroke-width="1.5" stroke-dasharray="{}"/>',
                " ".join(f"{_fmt(px)},{_fmt(sev_y(sev))}" for px, sev, _ in points),
                colour,
                dash,
            )
        for px, severity, at in points:
            tip = f"{symptom_name(code)} {severity}/4 ({SEVERITY_WORD[severity]}) at {_label(at, tz)}"
            add(
                '<g class="traj-point" data-code="{}"><title>{}</title>'
                '<circle cx="{}" cy="{}" r="4" fill="{}" stroke="#ffffff" stroke-width="1"/></g>',
                code,
                tip,
                _fmt(px),
                _fmt(sev_y(severity)),
                colour,
            )
            marks += 1
    for moment, anchor in ((since, "start"), (until, "end")):
        local = moment.astimezone(tz)
        add(
            '<text x="{}" y="{}" font-size="10" text-anchor="{}" fill="#555555">{}</text>',
            _fmt(x(moment)),
            bottom + 16,
            anchor,
            f"{local.day} {local:%b %Y}",
        )
    title = f"Cumulative dose in {unit} against bladder pain, memory problems, craving and low mood"
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" class="exposure-chart" '
        f'role="img" aria-labelledby="exposure-chart-title" data-marks="{marks}" '
        f'font-family="system-ui, sans-serif" preserveAspectRatio="xMinYMin meet">'
        f'<title id="exposure-chart-title">{escape(title)}</title>{"".join(out)}</svg>'
    )
    return Chart(svg=Markup(svg), marks=marks)  # noqa: S704 - every value above went through escape()
