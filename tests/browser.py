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
