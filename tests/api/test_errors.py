"""Error answers under /api/: one JSON shape, the right status, never HTML or a 500."""

import pytest

from tests.api.conftest import bearer, error_of


@pytest.mark.parametrize("data", ["{not json", "[1, 2]", "", "null", "\"text\""])
def test_body_that_is_not_a_json_object_is_invalid_json(api, data):
    response = api("reseau").post("/api/v1/members", data=data,
                                  content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"


def test_invalid_values_name_each_field(api):
    response = api("reseau").post("/api/v1/members", json={
        "email": "not-an-address", "password": 12345678, "name": ""})
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_failed"
    assert {"password", "name"} <= set(error["fields"])
    # The rule's own words (decision 33), in the instance's language: reseau speaks French.
    assert error["fields"]["password"] == "Doit être du texte."


def test_bad_email_is_reported_on_the_email_field(api):
    response = api("reseau").post("/api/v1/members", json={
        "email": "not-an-address", "password": "long enough pass", "name": "Ana"})
    assert response.status_code == 422
    assert "email" in error_of(response)["fields"]


def test_unknown_field_is_named(api):
    response = api("reseau").post("/api/v1/members", json={
        "email": "a@example.org", "password": "long enough pass", "name": "Ana", "admin": True})
    assert response.status_code == 422
    assert "admin" in error_of(response)["fields"]


def test_missing_token_is_401_with_a_challenge(api):
    response = api("reseau").get("/api/v1/me")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_garbage_token_is_401_invalid_token(api):
    response = api("reseau").get("/api/v1/me", headers=bearer("nonsense"))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v2/me", "/api/",
                                  "/api/v1/members/not-a-number"])
def test_unknown_path_under_api_is_json_404(api, path):
    response = api("academia").get(path)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_unknown_host_under_api_is_json_404(client_for):
    response = client_for("nowhere").get("/api/v1/me")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_wrong_method_is_json_405_with_allow(api):
    response = api("reseau").put("/api/v1/me", json={})
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert {"GET", "PATCH"} <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_path_prefix_addresses_an_instance(app, create_member, token_for):
    member = create_member("academia")
    client = app.test_client()
    response = client.get("/i/academia/api/v1/me", headers=bearer(token_for(member)))
    assert response.status_code == 200
    assert response.get_json()["id"] == member.id
    response = client.get("/i/reseau/api/v1/me", headers=bearer(token_for(member)))
    assert response.status_code == 401


def test_huge_id_is_404_not_500(api, create_member, token_for):
    member = create_member("reseau")
    response = api("reseau").get("/api/v1/members/99999999999999999999999",
                                 headers=bearer(token_for(member)))
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_deeply_nested_body_is_400_not_500(api):
    response = api("reseau").post("/api/v1/members", data="[" * 100_000 + "]" * 100_000,
                                  content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"
