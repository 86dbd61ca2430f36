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


def test_answers_match_their_documented_schemas(api, create_member, token_for):
    """The accounts and profiles answers validate against the models the document is built
    from, so the document cannot drift from what the API really sends."""
    from maillon.api.members import MemberView
    from maillon.api.schemas import Error, OwnProfile
    from maillon.api.tokens import TokenOut
    from tests.api.conftest import bearer
    from tests.conftest import PASSWORD

    me = create_member("acme", headline="Engineer", skills=["Python"])
    other = create_member("acme", organisation="Acme")
    client = api("acme")
    issued = client.post("/api/v1/tokens", json={"email": me.email, "password": PASSWORD})
    assert issued.status_code == 201
    token = TokenOut.model_validate(issued.get_json()).token
    own = client.get("/api/v1/me", headers=bearer(token)).get_json()
    assert OwnProfile.model_validate(own).skills == ["Python"]
    patched = client.patch("/api/v1/me", headers=bearer(token),
                           json={"visibility": {"in_directory": False}}).get_json()
    assert OwnProfile.model_validate(patched).visibility.in_directory is False
    seen = client.get(f"/api/v1/members/{other.id}", headers=bearer(token)).get_json()
    view = MemberView.model_validate(seen)
    assert view.company == "Acme" and "email" not in seen and "contact_policy" not in seen
    error = client.get("/api/v1/members/999999", headers=bearer(token)).get_json()
    assert Error.model_validate(error).error.code == "not_found"
