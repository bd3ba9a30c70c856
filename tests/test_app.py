"""The app object itself: what it adds to Flask."""

from __future__ import annotations

import pytest
from flask import Flask


def test_plain_functions_are_remembered_and_coroutines_still_go_to_flask(app):
    def view():
        return "ok"

    async def later():
        return "ok"

    class Resource:
        def get(self):
            return "ok"

    assert app.ensure_sync(view) is view
    assert app.ensure_sync(view) is view and app._plain_functions[view] is True
    bound = Resource().get
    assert app.ensure_sync(bound) == bound
    assert list(app._plain_functions).count(Resource.get) == 1  # bound methods are remembered by their function
    with pytest.raises(RuntimeError) as ours:
        app.ensure_sync(later)
    with pytest.raises(RuntimeError) as flasks:
        Flask.ensure_sync(app, later)
    assert str(ours.value) == str(flasks.value)  # without the async extra: Flask's own refusal, as before
    assert app._plain_functions[later] is False
