"""service.rules stays pure: standard library and the vocabulary only, and no clock.

Checked twice: statically (every import statement in every module, parsed with ast) and at
run time (importing the package without service/__init__.py pulls in no web or database code).
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

RULES_DIR = Path(__file__).resolve().parents[2] / "service" / "rules"
SERVICE_DIR = RULES_DIR.parent
ALLOWED_SERVICE = ("service.vocabulary", "service.rules")
FORBIDDEN_ROOTS = {"flask", "sqlalchemy", "marshmallow", "schemas", "jobs", "apscheduler", "werkzeug", "requests"}
FORBIDDEN_CALLS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter", "__import__", "import_module"}
MODULES = sorted(RULES_DIR.glob("*.py"))


def imported_names(tree: ast.AST, module: str) -> list[str]:
    """Every absolute module name an ast imports (relative imports resolved against the package)."""
    names: list[str] = []
    package = module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
                names.append(target)
                if not node.module:  # from . import x
                    names += [f"{base}.{alias.name}" for alias in node.names]
            else:
                if node.module == "service":  # from service import x: judge x
                    names += [f"service.{alias.name}" for alias in node.names]
                else:
                    names.append(node.module or "")
    return names


def violations(source: str, module: str) -> list[str]:
    """Why a module's source breaks the purity contract (empty when it is pure)."""
    tree = ast.parse(source)
    problems: list[str] = []
    for name in imported_names(tree, module):
        root = name.split(".")[0]
        if root == "service":
            if not name.startswith(ALLOWED_SERVICE) or name == "service":
                problems.append(f"imports {name}")
        elif root in FORBIDDEN_ROOTS or root.startswith("flask"):
            problems.append(f"imports {name}")
        elif root not in sys.stdlib_module_names and root != "__future__":
            problems.append(f"imports third-party {name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in FORBIDDEN_CALLS:
                problems.append(f"calls {called}() on line {node.lineno}")
    return problems


def test_the_package_has_modules():
    names = {m.stem for m in MODULES}
    assert {"__init__", "facts", "thresholds", "engine", "crisis"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_module_imports_only_the_standard_library_and_the_vocabulary(path):
    module = "service.rules" if path.stem == "__init__" else f"service.rules.{path.stem}"
    assert violations(path.read_text(encoding="utf-8"), module) == []


@pytest.mark.parametrize(
    "source",
    [
        "import flask",
        "from flask import current_app",
        "import flask_smorest",
        "from sqlalchemy import select",
        "import sqlalchemy.orm",
        "from marshmallow import Schema",
        "from service.clock import now_utc",
        "from service.models import Flag",
        "from service.domain.reports import submit_report",
        "from service.api import flags",
        "import service.extensions",
        "from service import models",
        "from service import vocabulary, clock",
        "import service",
        "from schemas.reports import ReportSchema",
        "from ..models import Flag",
        "import requests",
        "from datetime import datetime\nx = datetime.now()",
        "import time\nx = time.time()",
        "import importlib\nm = importlib.import_module('flask')",
    ],
)
def test_the_checker_catches_an_impure_module(source):
    assert violations(source, "service.rules.engine") != []


@pytest.mark.parametrize(
    "source",
    [
        "from service.vocabulary import BY_CODE",
        "import service.vocabulary",
        "from service import vocabulary",
        "from service.rules.facts import Finding",
        "from . import facts",
        "from .facts import Finding",
        "import zoneinfo\nfrom dataclasses import dataclass\nfrom enum import StrEnum",
    ],
)
def test_the_checker_accepts_a_pure_module(source):
    assert violations(source, "service.rules.engine") == []


def test_importing_the_package_loads_no_web_or_database_code():
    """Import service.rules under a bare `service` package (its __init__ builds the Flask app); check sys.modules."""
    script = textwrap.dedent(
        f"""
        import sys, types
        pkg = types.ModuleType("service")
        pkg.__path__ = [{str(SERVICE_DIR)!r}]
        sys.modules["service"] = pkg
        import service.rules, service.rules.engine, service.rules.crisis, service.rules.thresholds
        bad = sorted(
            name for name in sys.modules
            if name.split(".")[0] in {sorted(FORBIDDEN_ROOTS)!r} or name.startswith("flask")
            or (name.startswith("service.") and not name.startswith({ALLOWED_SERVICE!r}))
        )
        print(",".join(bad))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
