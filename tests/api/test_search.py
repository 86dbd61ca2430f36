"""GET /api/v1/search: results, filters, validation, isolation."""


def _token(client_for, member):
    from tests.conftest import PASSWORD

    response = client_for("reseau" if "reseau" in member.email else "acme").post(
        "/api/v1/tokens", json={"email": member.email, "password": PASSWORD})
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def test_search_api(client_for, create_member, run_jobs):
    viewer = create_member("reseau")
    create_member("reseau", name="Sophie Germain", headline="Mathématicienne",
                  organisation="Académie", location="Paris", skills=["Théorie des nombres"])
    create_member("acme", name="Sophie Acme", headline="Mathématicienne")
    run_jobs()
    headers = _token(client_for, viewer)
    response = client_for("reseau").get("/api/v1/search?q=mathematicienne", headers=headers)
    assert response.status_code == 200
    body = response.json
    assert body["total"] == 1
    assert [r["name"] for r in body["results"]] == ["Sophie Germain"]
    assert body["results"][0]["degree"] is None
    assert "email" not in body["results"][0]
    assert ["Paris", 1] in body["facets"]["location"]


def test_search_api_validation(client_for, create_member):
    viewer = create_member("reseau")
    headers = _token(client_for, viewer)
    response = client_for("reseau").get("/api/v1/search?per_page=1000", headers=headers)
    assert response.status_code == 422
    assert "per_page" in response.json["error"]["fields"]
    assert client_for("reseau").get("/api/v1/search?q=x").status_code == 401
