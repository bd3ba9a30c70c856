"""Colour contrast of the console, computed from the colours in console.css (WCAG 2.x relative luminance).

Text needs 4.5:1 against its background (1.4.3); the focus ring, a non-text indicator, 3:1 against what
it sits on (1.4.11): the light surfaces everywhere, the dark header where the header has its own colour.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).resolve().parents[2] / "service" / "web" / "static" / "console.css").read_text()


def variables() -> dict[str, str]:
    root = re.search(r":root\s*\{(.*?)\}", CSS, re.S).group(1)
    return dict(re.findall(r"--([\w-]+)\s*:\s*(#[0-9a-fA-F]{6})", root))


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_formula_gives_the_known_values():
    assert contrast("#ffffff", "#000000") == pytest.approx(21.0)
    assert contrast("#ffffff", "#e66101") == pytest.approx(3.46, abs=0.01)  # the old High badge
    assert contrast("#ffffff", "#f59e0b") == pytest.approx(2.15, abs=0.01)  # the old focus ring


@pytest.mark.parametrize("priority", ["critical", "high", "medium", "low"])
def test_priority_badges_are_readable(priority):
    colours = variables()
    rule = re.search(rf"\.prio-{priority}\s*\{{([^}}]*)\}}", CSS).group(1)
    assert f"background: var(--{priority})" in rule and f"color: var(--{priority}-ink)" in rule
    assert contrast(colours[priority], colours[f"{priority}-ink"]) >= 4.5


def test_the_focus_ring_shows_on_light_surfaces_and_on_the_header():
    colours = variables()
    assert re.search(r":focus-visible[^{]*\{\s*outline: 3px solid var\(--focus\)", CSS)
    for surface in ("#ffffff", colours["bg"], colours["card"]):
        assert contrast(colours["focus"], surface) >= 3.0, surface
    assert re.search(r"header\.top a:focus-visible[^{]*\{\s*outline-color: var\(--focus-on-dark\)", CSS)
    assert "background: var(--header)" in CSS
    assert contrast(colours["focus-on-dark"], colours["header"]) >= 3.0
