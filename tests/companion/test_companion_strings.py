"""The companion app's words: English and Spanish have the same keys, and every key the app asks for exists.

i18n.js is run by Node.js (as the browser would run it), not parsed by hand; app.js and index.html are searched
for the keys they ask for (`t("key")` and `data-t="key"`).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "service" / "companion" / "static"


@pytest.fixture(scope="module")
def strings() -> dict[str, dict[str, str]]:
    node = shutil.which("node")
    assert node, "Node.js is needed (it also runs the generated-client tests)"
    script = (
        "global.window = {}; require(process.argv[1]);process.stdout.write(JSON.stringify(window.AFTERCARE_STRINGS));"
    )
    out = subprocess.run([node, "-e", script, str(STATIC / "i18n.js")], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def test_english_and_spanish_have_the_same_keys_and_no_empty_text(strings):
    assert set(strings) == {"en", "es"}
    assert sorted(set(strings["en"]) ^ set(strings["es"])) == []
    assert [k for lang in strings.values() for k, v in lang.items() if not v.strip()] == []


def test_every_key_the_app_asks_for_exists_with_the_same_placeholders(strings):
    app = (STATIC / "app.js").read_text()
    page = (STATIC / "index.html").read_text()
    asked = set(re.findall(r'\bt\("([a-z0-9_]+)"', app)) | set(re.findall(r'data-t="([a-z0-9_]+)"', page))
    assert len(asked) > 40
    prefixes = {key for key in asked if key.endswith("_")}  # t("phq9_" + value): keys made from a prefix
    assert sorted(asked - prefixes - set(strings["en"])) == []
    assert [p for p in prefixes if not any(k.startswith(p) for k in strings["en"])] == []
    for key, text in strings["en"].items():
        assert set(re.findall(r"\{\w+\}", text)) == set(re.findall(r"\{\w+\}", strings["es"][key])), key
