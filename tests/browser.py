"""What the real-browser tests share: Debian's chromium, how it is started, where screenshots go, axe-core."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
AXE = ROOT / "clients" / "node_modules" / "axe-core" / "axe.min.js"  # installed by `npm ci` in clients/ (.ci/run)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# The boxes of an SVG's text as the browser laid them out: two labels that print into each other (a panel's
# last tick and the next panel's first, say, or two line labels stacked too close) are returned as pairs.
_OVERLAPPING_TEXT = """svg => {
  const boxes = [];
  for (const text of svg.querySelectorAll('text')) {
    const box = text.getBoundingClientRect();
    if (box.width) boxes.push({label: text.textContent, box});
  }
  const pairs = [];
  const slack = 1;  // a pixel of antialiasing is not an overlap
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i].box, b = boxes[j].box;
      const across = a.left < b.right - slack && b.left < a.right - slack;
      if (across && a.top < b.bottom - slack && b.top < a.bottom - slack) {
        pairs.push([boxes[i].label, boxes[j].label]);
      }
    }
  }
  return pairs;
}"""


def overlapping_labels(svg_locator) -> list[list[str]]:
    """Pairs of an SVG chart's labels that print into each other (empty when none do)."""
    return svg_locator.evaluate(_OVERLAPPING_TEXT)
