"""Rules the OpenAPI document keeps so that clients generated from it are good to use.

An apispec plugin (flask-smorest hands it to the spec, see service.extensions) checks every operation as
it is documented: an operation without an ``operationId``, with one that is not a camelCase verb phrase,
or with one another operation already has, stops the app from being built, so a new endpoint cannot
forget its name (give it ``@blp.doc(operationId="verbNoun")``).
"""

from __future__ import annotations

import re

from apispec import BasePlugin

OPERATION_ID = re.compile(r"[a-z]+(?:[A-Z][a-z0-9]*)*")


class ContractError(RuntimeError):
    """The document would break a rule that generated clients rely on."""


class ContractPlugin(BasePlugin):
    """Checks each documented operation's ``operationId``: present, camelCase, unique in the document."""

    def init_spec(self, spec) -> None:
        super().init_spec(spec)
        self._named: dict[str, str] = {}

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        for method, operation in (operations or {}).items():
            where = f"{method.upper()} {path}"
            name = operation.get("operationId")
            if not name:
                raise ContractError(f'{where} has no operationId: give it @blp.doc(operationId="verbNoun").')
            if not OPERATION_ID.fullmatch(name):
                raise ContractError(f"{where}: operationId {name!r} is not camelCase (like 'submitReport').")
            if name in self._named:
                raise ContractError(f"{where}: operationId {name!r} is already {self._named[name]}'s.")
            self._named[name] = where
