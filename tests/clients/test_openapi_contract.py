"""The OpenAPI document names every operation so generated clients get readable, stable methods."""

from __future__ import annotations

import re

import pytest
from flask.views import MethodView

from service import create_app
from service.extensions import Api, Blueprint
from service.openapi import ContractError, ContractPlugin

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@pytest.fixture(scope="module")
def document():
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "k" * 40})
    return app.test_client().get("/api/v1/openapi.json").get_json()


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def test_every_operation_has_a_unique_camel_case_operation_id(document):
    names = {where: operation.get("operationId") for where, operation in _operations(document)}
    assert len(names) > 50
    assert not [where for where, name in names.items() if not name], "operations without an operationId"
    assert not [name for name in names.values() if not re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)+|[a-z]+", name)]
    assert len(set(names.values())) == len(names), "operationIds repeat"
    assert names["POST /api/v1/me/reports"] == "submitReport"
    assert names["POST /api/v1/flags/{flag_id}/acknowledge"] == "acknowledgeFlag"
    assert names["GET /api/v1/flags"] == "listFlags"
    assert names["GET /api/v1/infusions/{infusion_id}"] == "getInfusion"


def _app_with(blueprint: Blueprint):
    from flask import Flask

    app = Flask("contract-check")
    app.config.update(API_TITLE="t", API_VERSION="1", OPENAPI_VERSION="3.0.3")
    api = Api(app, spec_kwargs={"extra_plugins": [ContractPlugin()]})  # its own, not the service's
    api.register_blueprint(blueprint)


def _blueprint(*operation_ids: str | None) -> Blueprint:
    blp = Blueprint("contract_probe", __name__, url_prefix="/probe")
    for number, name in enumerate(operation_ids):

        class View(MethodView):
            def get(self):
                return {}

        if name is not None:
            View.get = blp.doc(operationId=name)(View.get)
        blp.route(f"/{number}", endpoint=f"view{number}")(View)
    return blp


@pytest.mark.parametrize(
    ("names", "complaint"),
    [
        ((None,), "has no operationId"),
        (("get_probe",), "is not camelCase"),
        (("GetProbe",), "is not camelCase"),
        (("getProbe", "getProbe"), "is already"),
    ],
)
def test_a_new_endpoint_cannot_forget_or_reuse_its_name(names, complaint):
    with pytest.raises(ContractError, match=complaint):
        _app_with(_blueprint(*names))


def test_a_well_named_endpoint_is_accepted():
    _app_with(_blueprint("getProbe", "listProbes"))
