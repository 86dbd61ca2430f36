"""The OpenAPI document lists exactly the /api/v1 routes of the app, with their contracts."""

import re

from tests.api.conftest import error_of

PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
IGNORED = {"HEAD", "OPTIONS"}


def _api_routes(app):
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = PARAM.sub(r"{\1}", rule.rule)
            routes |= {(path, m.lower()) for m in rule.methods - IGNORED}
    return routes


def test_document_is_served_and_is_openapi_3_1(api):
    response = api("reseau").get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"] == "3.1.0"
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": doc["components"]["securitySchemes"]
        ["bearer"]["description"]}
    assert set(doc["components"]["schemas"]["Error"]["properties"]) == {"error"}


def test_every_api_route_is_documented_and_nothing_else(app, api):
    doc = api("reseau").get("/api/v1/openapi.json").get_json()
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert documented == _api_routes(app)
    assert ("/api/v1/members/{member_id}", "get") in documented


def test_request_bodies_and_refs_resolve(api):
    doc = api("reseau").get("/api/v1/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    refs = re.findall(r'"\$ref": "#/components/schemas/(\w+)"', str(doc).replace("'", '"'))
    assert refs and set(refs) <= set(schemas)
    patch = doc["paths"]["/api/v1/me"]["patch"]
    body_ref = patch["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    properties = schemas[body_ref.rsplit("/", 1)[1]]["properties"]
    assert {"name", "company", "skills", "contact_policy", "visibility", "locale"} <= set(
        properties)
    assert schemas[body_ref.rsplit("/", 1)[1]]["additionalProperties"] is False


def test_authenticated_operations_declare_bearer_and_401(api):
    doc = api("reseau").get("/api/v1/openapi.json").get_json()
    me = doc["paths"]["/api/v1/me"]["get"]
    assert me["security"] == [{"bearer": []}]
    assert "401" in me["responses"]
    register = doc["paths"]["/api/v1/members"]["post"]
    assert register["security"] == []
    assert any(p["name"] == "Idempotency-Key" for p in register["parameters"])


def test_document_needs_an_instance(client_for):
    response = client_for("unknown").get("/api/v1/openapi.json")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
