"""The rules engine is pure: its tests need no app and no database.

tests/conftest.py empties the database after every test through an autouse fixture that builds
the Flask app; overriding it here by name keeps these tests free of the app, the database and
their migrations (they still run if the rest of the code base is mid-change).
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _clean_tables():
    """Nothing to clean: no database here."""
    yield
