"""Safety intelligence as server-rendered SVG: rule burden bars and the incidence forest plot.

Drawn like the patient's course (service/web/chart.py): presentation attributes only (no style
attributes, so the strict CSP holds), a <title> on every mark for tooltips and screen readers, and
every figure written as a number beside its bar or point, so nothing rests on colour or length alone.
"""

from __future__ import annotations

import math

from markupsafe import Markup, escape

from service.web.chart import Chart, _fmt

WIDTH = 960
ROW = 30
TOP = 46
LABEL_W = 190
GAP = 24
FIRE_COLOUR = "#b35806"
ACTION_COLOUR = "#2166ac"
ACK_COLOUR = "#4d4d4d"
TARGET_COLOUR = "#b2182b"
GRID = "#e6e6e6"
# Minutes on a log scale, from a minute to a week: a 15-minute target and a 72-hour one both readable.
ACK_MIN, ACK_MAX = 1.0, 10080.0
ACK_TICKS = ((1, "1 min"), (15, "15 min"), (60, "1 h"), (240, "4 h"), (1440, "24 h"), (4320, "72 h"))


def _svg(body: str, *, height: float, marks: int, css: str, title: str, description: str, ident: str) -> Chart:
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {_fmt(height)}" class="{css}" '
        f'role="img" aria-labelledby="{ident}-title {ident}-desc" data-marks="{marks}" '
        f'font-family="system-ui, sans-serif" preserveAspectRatio="xMinYMin meet">'
        f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{escape(description)}</desc>'
        f"{body}</svg>"
    )
    return Chart(svg=Markup(svg), marks=marks)  # noqa: S704 - every value in body went through escape()


def _edge_anchor(step: int, count: int) -> str:
    """Tick labels at a panel's edges grow inwards, so two panels side by side never print into each other."""
    return "start" if step == 0 else "end" if step == count - 1 else "middle"


def _minutes_label(value: float) -> str:
    """Minutes as a nurse says them: "40 min", "4 h", "2 h 45 min"."""
    whole = round(value)
    if whole < 60:
        return f"{whole} min"
    hours, minutes = divmod(whole, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def render_rule_burden(items: list[dict], *, title: str, description: str) -> Chart:
    """Per rule and version: fire rate and action rate side by side, and time to acknowledge against the target."""
    panel_w = (WIDTH - LABEL_W - 2 * GAP - 10) / 3
    panels = [LABEL_W + index * (panel_w + GAP) for index in range(3)]
    height = TOP + max(1, len(items)) * ROW + 30
    bottom = height - 30
    top_fire = max([item["fire_rate"] or 0 for item in items] + [10.0])
    fire_max = math.ceil(top_fire / 10) * 10
    out: list[str] = []
    marks = 0

    def add(markup: str, *values) -> None:
        out.append(markup.format(*(escape(v) for v in values)))

    headings = (
        ("Fire rate (flags per 100 reports)", FIRE_COLOUR),
        ("Action rate (% of resolved acted on)", ACTION_COLOUR),
        ("Time to acknowledge (median, p90) vs target", ACK_COLOUR),
    )
    for left, (text, colour) in zip(panels, headings, strict=True):
        add('<text x="{}" y="16" font-size="12" font-weight="bold" fill="{}">{}</text>', _fmt(left), colour, text)
        add(
            '<rect x="{}" y="{}" width="{}" height="{}" fill="#fafafa" stroke="#dddddd"/>',
            _fmt(left),
            TOP - 8,
            _fmt(panel_w),
            _fmt(bottom - TOP + 8),
        )

    def bar_x(left: float, value: float, top: float) -> float:
        return left + max(0.0, min(1.0, value / top)) * panel_w

    def ack_x(value: float) -> float:
        clamped = max(ACK_MIN, min(ACK_MAX, value))
        return panels[2] + math.log(clamped / ACK_MIN) / math.log(ACK_MAX / ACK_MIN) * panel_w

    # Scales under the panels.
    for left, top, unit in ((panels[0], fire_max, ""), (panels[1], 100, "%")):
        for step in range(5):
            value = top * step / 4
            tx = bar_x(left, value, top)
            add('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>', _fmt(tx), TOP - 8, _fmt(tx), bottom, GRID)
            add(
                '<text x="{}" y="{}" font-size="10" text-anchor="{}" fill="#555555">{}</text>',
                _fmt(tx),
                bottom + 14,
                _edge_anchor(step, 5),
                f"{value:g}{unit}",
            )
    for step, (value, label) in enumerate(ACK_TICKS):
        tx = ack_x(value)
        add('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>', _fmt(tx), TOP - 8, _fmt(tx), bottom, GRID)
        add(
            '<text x="{}" y="{}" font-size="10" text-anchor="{}" fill="#555555">{}</text>',
            _fmt(tx),
            bottom + 14,
            _edge_anchor(step, len(ACK_TICKS)) if value in (ACK_MIN, ACK_MAX) else "middle",
            label,
        )

    for row, item in enumerate(items):
        cy = TOP + row * ROW + ROW / 2 - 4
        name = f"{item['rule']} v{item['version']}"
        add(
            '<text x="{}" y="{}" font-size="11" text-anchor="end" fill="#222222">{}</text>',
            LABEL_W - 8,
            _fmt(cy + 4),
            name,
        )
        fire = item["fire_rate"]
        if fire is not None:
            end = bar_x(panels[0], fire, fire_max)
            add(
                '<g class="fire-bar"><title>{}</title><rect x="{}" y="{}" width="{}" height="12" fill="{}"/>'
                '<text x="{}" y="{}" font-size="10" fill="#222222">{}</text></g>',
                f"{name}: {item['flags_opened']} flags opened for {item['reports']} reports ({fire:g} per 100)",
                _fmt(panels[0]),
                _fmt(cy - 6),
                _fmt(max(1.0, end - panels[0])),
                FIRE_COLOUR,
                _fmt(min(end + 4, panels[0] + panel_w - 30)),
                _fmt(cy + 4),
                f"{fire:g}",
            )
            marks += 1
        action = item["action_rate"]
        if action is not None:
            end = bar_x(panels[1], action, 100)
            add(
                '<g class="action-bar"><title>{}</title><rect x="{}" y="{}" width="{}" height="12" fill="{}"/>'
                '<text x="{}" y="{}" font-size="10" fill="#222222">{}</text></g>',
                f"{name}: {item['acted_on']} of {item['resolved']} resolved flags acted on ({action:g}%)",
                _fmt(panels[1]),
                _fmt(cy - 6),
                _fmt(max(1.0, end - panels[1])),
                ACTION_COLOUR,
                _fmt(min(end + 4, panels[1] + panel_w - 36)),
                _fmt(cy + 4),
                f"{action:g}%",
            )
            marks += 1
        elif not item["resolved"]:
            add(
                '<text x="{}" y="{}" font-size="10" fill="#666666">{}</text>',
                _fmt(panels[1] + 4),
                _fmt(cy + 4),
                "none resolved",
            )
        target = item["target_minutes_to_acknowledge"]
        if target is not None:
            tx = ack_x(target)
            add(
                '<g class="ack-target"><title>{}</title>'
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2.5"/></g>',
                f"{name}: target {_minutes_label(target)}",
                _fmt(tx),
                _fmt(cy - 9),
                _fmt(tx),
                _fmt(cy + 9),
                TARGET_COLOUR,
            )
        median, p90 = item["median_minutes_to_acknowledge"], item["p90_minutes_to_acknowledge"]
        if median is not None:
            mx = ack_x(median)
            px = ack_x(p90 if p90 is not None else median)
            late = target is not None and median > target
            tip = f"{name}: median {_minutes_label(median)}"
            if p90 is not None:
                tip += f", 90% within {_minutes_label(p90)}"
            if target is not None:
                tip += f" (target {_minutes_label(target)}{', missed' if late else ''})"
            add(
                '<g class="ack-mark"><title>{}</title>'
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1.5"/>'
                '<circle cx="{}" cy="{}" r="5" fill="{}" stroke="#222222"/>'
                '<text x="{}" y="{}" font-size="10" fill="#222222">{}</text></g>',
                tip,
                _fmt(mx),
                _fmt(cy),
                _fmt(px),
                _fmt(cy),
                ACK_COLOUR,
                _fmt(mx),
                _fmt(cy),
                TARGET_COLOUR if late else "#ffffff",
                _fmt(min(max(mx, px) + 6, panels[2] + panel_w - 44)),
                _fmt(cy - 6),
                _minutes_label(median) + (" late" if late else ""),
            )
            marks += 1
        if fire is None and not item["flags_opened"]:
            add(
                '<text x="{}" y="{}" font-size="10" fill="#666666">{}</text>',
                _fmt(panels[0] + 4),
                _fmt(cy + 4),
                "no reports" if not item["reports"] else "",
            )
    if not items:
        add('<text x="{}" y="{}" font-size="11" fill="#666666">No rules to show.</text>', LABEL_W, TOP + 12)
    body = "".join(out)
    return _svg(
        body,
        height=height,
        marks=marks,
        css="analytics-chart rule-burden-chart",
        title=title,
        description=description,
        ident="burden",
    )


FOREST_LEFT = 190
FOREST_RIGHT = 250
RATE_COLOUR = "#2166ac"
SIGNAL_COLOUR = "#b2182b"
REFERENCE_COLOUR = "#1b7837"


def _diamond(cx: float, cy: float) -> str:
    return f"{_fmt(cx)},{_fmt(cy - 7)} {_fmt(cx + 6)},{_fmt(cy)} {_fmt(cx)},{_fmt(cy + 7)} {_fmt(cx - 6)},{_fmt(cy)}"


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def render_forest(items: list[dict], *, title: str, description: str) -> Chart:
    """A forest plot: per symptom its rate (a square) with the Wilson 95% interval (a line), the literature's rate
    as a green diamond; a signal (interval above the reference) drawn in red and said in words."""
    plot_w = WIDTH - FOREST_LEFT - FOREST_RIGHT
    rows = max(1, len(items))
    height = TOP + rows * ROW + 34
    bottom = TOP + rows * ROW
    out: list[str] = []
    marks = 0

    def add(markup: str, *values) -> None:
        out.append(markup.format(*(escape(v) for v in values)))

    def x(rate: float) -> float:
        return FOREST_LEFT + max(0.0, min(1.0, rate)) * plot_w

    add('<text x="8" y="16" font-size="12" font-weight="bold">Symptom</text>')
    add(
        '<text x="{}" y="16" font-size="12" font-weight="bold">Share of followed-up infusions (95% interval)</text>',
        FOREST_LEFT,
    )
    add('<text x="{}" y="16" font-size="12" font-weight="bold">Rate [interval] · reference</text>', WIDTH - 236)
    add(
        '<rect x="{}" y="{}" width="{}" height="{}" fill="#fafafa" stroke="#dddddd"/>',
        FOREST_LEFT,
        TOP - 8,
        plot_w,
        bottom - TOP + 8,
    )
    for step in range(11):
        value = step / 10
        tx = x(value)
        add('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>', _fmt(tx), TOP - 8, _fmt(tx), bottom, GRID)
        if step % 2 == 0:
            add(
                '<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="#555555">{}</text>',
                _fmt(tx),
                bottom + 14,
                f"{step * 10}%",
            )
    for row, item in enumerate(items):
        cy = TOP + row * ROW + ROW / 2 - 4
        name = item["label"]
        add(
            '<text x="{}" y="{}" font-size="11" text-anchor="end" fill="#222222">{}</text>',
            FOREST_LEFT - 8,
            _fmt(cy + 4),
            f"{name} (n={item['infusions']})",
        )
        reference = item["reference_rate"]
        if reference is not None:
            rx = x(reference)
            add(
                '<g class="forest-reference"><title>{}</title><polygon points="{}" fill="#ffffff" stroke="{}" '
                'stroke-width="2"/></g>',
                f"{name}: reference rate {_pct(reference)} ({item['reference_source']})",
                _diamond(rx, cy),
                REFERENCE_COLOUR,
            )
        summary = "no followed-up infusions"
        if item["rate"] is not None:
            colour = SIGNAL_COLOUR if item["signal"] else RATE_COLOUR
            summary = f"{_pct(item['rate'])} [{_pct(item['ci_low'])} to {_pct(item['ci_high'])}]"
            tip = f"{name}: {item['with_symptom']} of {item['infusions']} infusions, {summary}"
            if reference is not None:
                tip += f"; reference {_pct(reference)}" + (": above the reference (signal)" if item["signal"] else "")
            add(
                '<g class="forest-mark{}"><title>{}</title>'
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2"/>'
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2"/>'
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2"/>'
                '<rect x="{}" y="{}" width="10" height="10" fill="{}"/></g>',
                " forest-signal" if item["signal"] else "",
                tip,
                _fmt(x(item["ci_low"])),
                _fmt(cy),
                _fmt(x(item["ci_high"])),
                _fmt(cy),
                colour,
                _fmt(x(item["ci_low"])),
                _fmt(cy - 5),
                _fmt(x(item["ci_low"])),
                _fmt(cy + 5),
                colour,
                _fmt(x(item["ci_high"])),
                _fmt(cy - 5),
                _fmt(x(item["ci_high"])),
                _fmt(cy + 5),
                colour,
                _fmt(x(item["rate"]) - 5),
                _fmt(cy - 5),
                colour,
            )
            marks += 1
        if reference is not None:
            summary += f" · {_pct(reference)}"
        add(
            '<text x="{}" y="{}" font-size="11" fill="{}"{}>{}</text>',
            WIDTH - 236,
            _fmt(cy + 4),
            SIGNAL_COLOUR if item["signal"] else "#222222",
            Markup(' font-weight="bold"') if item["signal"] else "",
            summary + (" SIGNAL" if item["signal"] else ""),
        )
    if not items:
        add('<text x="{}" y="{}" font-size="11" fill="#666666">No symptoms to show.</text>', FOREST_LEFT, TOP + 12)
    legend_y = height - 6
    add(
        '<g class="legend" font-size="11" fill="#222222">'
        '<rect x="{}" y="{}" width="10" height="10" fill="{}"/><text x="{}" y="{}">Rate with 95% interval</text>'
        '<rect x="{}" y="{}" width="10" height="10" fill="{}"/><text x="{}" y="{}">Signal: above the reference</text>'
        '<polygon points="{}" fill="#ffffff" stroke="{}" stroke-width="2"/><text x="{}" y="{}">Reference rate</text>'
        "</g>",
        FOREST_LEFT,
        legend_y - 9,
        RATE_COLOUR,
        FOREST_LEFT + 16,
        legend_y,
        FOREST_LEFT + 180,
        legend_y - 9,
        SIGNAL_COLOUR,
        FOREST_LEFT + 196,
        legend_y,
        _diamond(FOREST_LEFT + 400, legend_y - 4),
        REFERENCE_COLOUR,
        FOREST_LEFT + 412,
        legend_y,
    )
    return _svg(
        "".join(out),
        height=height + 8,
        marks=marks,
        css="analytics-chart forest-chart",
        title=title,
        description=description,
        ident="forest",
    )


def render_outcomes(answer: dict, *, title: str, description: str) -> Chart:
    """Response and remission rates side by side per stage of treatment, and the median PHQ-9 by week since the
    first infusion against the remission line (below 5)."""
    stages = [("Latest", answer), *((f"After {s['after']}", s) for s in answer["by_infusions"])]
    stages = [(label.replace("After maintenance", "Maintenance"), figures) for label, figures in stages]
    half = (WIDTH - 60) / 2
    left_a, left_b = 40.0, 40.0 + half + 20
    top, plot_h = TOP, 200.0
    bottom = top + plot_h
    height = bottom + 52
    out: list[str] = []
    marks = 0

    def add(markup: str, *values) -> None:
        out.append(markup.format(*(escape(v) for v in values)))

    add(
        '<g class="outcomes-legend" font-size="10" fill="#222222"><rect x="{}" y="{}" width="10" height="10" '
        'fill="{}"/><text x="{}" y="{}">response (PHQ-9 down by half)</text><rect x="{}" y="{}" width="10" '
        'height="10" fill="{}"/><text x="{}" y="{}">remission (PHQ-9 below 5)</text></g>',
        _fmt(left_a), _fmt(bottom + 30), ACTION_COLOUR, _fmt(left_a + 14), _fmt(bottom + 39),
        _fmt(left_a + 190), _fmt(bottom + 30), REFERENCE_COLOUR, _fmt(left_a + 204), _fmt(bottom + 39),
    )  # fmt: skip

    add('<text x="{}" y="16" font-size="12" font-weight="bold">Response and remission (% of patients)</text>', left_a)
    add(
        '<text x="{}" y="16" font-size="12" font-weight="bold">Median PHQ-9 by week since first infusion</text>', left_b
    )
    for left in (left_a, left_b):
        add(
            '<rect x="{}" y="{}" width="{}" height="{}" fill="#fafafa" stroke="#dddddd"/>',
            _fmt(left),
            top,
            _fmt(half - 20),
            plot_h,
        )
    for step in range(5):
        gy = bottom - step / 4 * plot_h
        add('<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>', _fmt(left_a), _fmt(gy), _fmt(left_a + half - 20),
            _fmt(gy), GRID)  # fmt: skip
        add('<text x="{}" y="{}" font-size="10" text-anchor="end" fill="#555555">{}</text>', _fmt(left_a - 4),
            _fmt(gy + 3), f"{step * 25}%")  # fmt: skip
    slot = (half - 20) / max(1, len(stages))
    for index, (label, figures) in enumerate(stages):
        sx = left_a + index * slot + slot / 2
        # Two bars 4 px apart, each wide enough that "100%" over one never prints into its neighbour's label.
        for offset, key, colour, word in ((-26, "response_rate", ACTION_COLOUR, "response"),
                                          (2, "remission_rate", REFERENCE_COLOUR, "remission")):  # fmt: skip
            rate = figures[key]
            if rate is None:
                continue
            bar = rate * plot_h
            add(
                '<g class="outcome-bar outcome-{}"><title>{}</title><rect x="{}" y="{}" width="24" height="{}" '
                'fill="{}"/><text x="{}" y="{}" font-size="9" text-anchor="middle" fill="#222222">{}</text></g>',
                word,
                f"{label}: {word} {figures[word]} of {figures.get('patients', figures.get('measured'))} ({_pct(rate)})",
                _fmt(sx + offset),
                _fmt(bottom - bar),
                _fmt(max(bar, 0.5)),
                colour,
                _fmt(sx + offset + 12),
                _fmt(bottom - bar - 3),
                f"{rate * 100:.0f}%",
            )
            marks += 1
        add('<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="#222222">{}</text>', _fmt(sx),
            _fmt(bottom + 14), label)  # fmt: skip

    weeks = answer["median_by_week"]
    last = max([w["week"] for w in weeks] + [4])

    def wx(week: float) -> float:
        return left_b + 10 + week / last * (half - 40)

    def wy(total: float) -> float:
        return bottom - total / 27 * plot_h

    for value in (0, 5, 10, 15, 20, 27):
        add('<text x="{}" y="{}" font-size="10" text-anchor="end" fill="#555555">{}</text>', _fmt(left_b - 4),
            _fmt(wy(value) + 3), value)  # fmt: skip
    add(
        '<g class="phq9-remission"><title>Remission: PHQ-9 below {}</title><line x1="{}" y1="{}" x2="{}" y2="{}" '
        'stroke="{}" stroke-dasharray="8 4"/><text x="{}" y="{}" font-size="9" text-anchor="end" fill="{}">'
        "remission</text></g>",
        5,
        _fmt(left_b),
        _fmt(wy(5)),
        _fmt(left_b + half - 20),
        _fmt(wy(5)),
        REFERENCE_COLOUR,
        _fmt(left_b + half - 24),
        _fmt(wy(5) - 3),
        REFERENCE_COLOUR,
    )
    if len(weeks) > 1:
        add(
            '<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>',
            " ".join(f"{_fmt(wx(w['week']))},{_fmt(wy(w['median_phq9']))}" for w in weeks),
            ACK_COLOUR,
        )
    for w in weeks:
        add(
            '<g class="week-mark"><title>{}</title><circle cx="{}" cy="{}" r="4" fill="{}"/></g>',
            f"Week {w['week']}: median PHQ-9 {w['median_phq9']:g} of {w['patients']} patients",
            _fmt(wx(w["week"])),
            _fmt(wy(w["median_phq9"])),
            ACK_COLOUR,
        )
        add('<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="#555555">{}</text>', _fmt(wx(w["week"])),
            _fmt(bottom + 14), f"wk {w['week']}")  # fmt: skip
        marks += 1
    if not weeks:
        add('<text x="{}" y="{}" font-size="11" fill="#666666">No PHQ-9 after a first infusion in this range.</text>',
            _fmt(left_b + 10), _fmt(top + 18))  # fmt: skip
    return _svg(
        "".join(out),
        height=height,
        marks=marks,
        css="analytics-chart outcomes-chart",
        title=title,
        description=description,
        ident="outcomes",
    )
