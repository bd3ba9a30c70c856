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


def _walk(node, where=""):
    """Every schema object of the document with where it is."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from _walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{where}/{index}")


def test_no_enum_has_a_null_member_and_each_enum_class_is_one_component(document):
    schemas = document["components"]["schemas"]
    assert not [where for where, node in _walk(document) if None in (node.get("enum") or [])]
    assert schemas["FlagPriority"] == {"type": "string", "enum": ["critical", "high", "medium", "low"]}
    priority = schemas["Triage"]["properties"]["priority"]
    assert priority == {"allOf": [{"$ref": "#/components/schemas/FlagPriority"}], "nullable": True}
    # the queue, the detail and the timeline name the same component: one enum class in a generated client
    for owner in ("FlagQueueItem", "FlagDetail", "TimelineFlag"):
        assert "#/components/schemas/FlagPriority" in str(schemas[owner]["properties"]["priority"])
    inline = [where for where, node in _walk(schemas) if "enum" in node and where.count("/") > 1]
    # what stays inline is a one-off of its own operation, not an enum class of the model
    assert set(inline) == {
        "/Token/properties/token_type",
        "/EnrollToken/properties/token_type",
        "/TimelineEntry/properties/kind",
        "/BatchItemResult/properties/status",
        "/AdverseEventCreate/properties/term",
        "/AdverseEventPatch/properties/term",
    }


def test_a_nullable_nested_body_is_that_schema_or_null_never_any_object(document):
    schemas = document["components"]["schemas"]
    assert schemas["ReportCreate"]["properties"]["vitals"] == {
        "allOf": [{"$ref": "#/components/schemas/Vitals"}],
        "nullable": True,
    }
    assert schemas["Report"]["properties"]["vitals"]["allOf"] == [{"$ref": "#/components/schemas/VitalsRead"}]
    any_object = {"type": "object", "nullable": True}
    assert not [where for where, node in _walk(document) if any_object in (node.get("anyOf") or [])]


def test_the_symptom_code_is_a_string_from_the_vocabulary_not_an_enum(document):
    code = document["components"]["schemas"]["SymptomEntry"]["properties"]["code"]
    assert code["type"] == "string" and "enum" not in code
    assert "GET /symptoms" in code["description"]
    symptom_filter = next(
        parameter
        for parameter in document["paths"]["/api/v1/patients/{patient_id}/reports"]["get"]["parameters"]
        if parameter["name"] == "symptom"
    )
    assert "enum" not in symptom_filter["schema"]


@pytest.mark.parametrize("component", ["Report", "FlagDetail", "FlagQueueItem", "Infusion", "Patient", "AdverseEvent"])
def test_answers_list_their_always_present_fields_as_required(document, component):
    schema = document["components"]["schemas"][component]
    sometimes = {"Report": {"new_since_acknowledged"}}.get(component, set())
    assert set(schema["required"]) == set(schema["properties"]) - sometimes


def test_a_field_left_out_when_it_does_not_apply_is_not_required(document):
    schemas = document["components"]["schemas"]
    assert {"crisis_resources", "safety_screen"}.isdisjoint(schemas["Triage"]["required"])
    assert {"infusion", "report", "flag", "checkin"}.isdisjoint(schemas["TimelineEntry"]["required"])
    assert {"kind", "at", "id", "summary"} <= set(schemas["TimelineEntry"]["required"])
