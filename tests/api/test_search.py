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


def test_search_api_never_500s_on_odd_input(client_for, create_member, run_jobs):
    viewer = create_member("reseau")
    create_member("reseau", name="Odd Input", headline="machine learning")
    run_jobs()
    headers = _token(client_for, viewer)
    client = client_for("reseau")
    odd = ["q=%00", "q=%ff", "q=a*", "q=" + "(" * 30 + "a", "q=name:(", "q=*", "q=--a",
           "q=%22%22%22", "q=a:b:c:d", "q=OR+OR", "q=%E2%80%8B*", "q=" + "x" * 501,
           "q=" + "+".join(["w"] * 40), "page=0", "page=abc", "page=10000&per_page=100",
           "per_page=-1", "degree=4", "degree=x", "open=maybe", "company=%00",
           "location=a*", "skill=" + "s" * 61, "q=x&q=y"]
    for query in odd:
        response = client.get(f"/api/v1/search?{query}", headers=headers)
        assert response.status_code in (200, 422), (query, response.status_code)
        assert response.is_json, query
        if response.status_code == 422:
            assert response.json["error"]["code"] in (
                "validation_failed", "invalid_query", "query_too_long"), query
            assert response.json["error"]["message"]
        else:
            assert response.json["total"] >= 0


def test_search_api_token_of_another_instance_is_refused(client_for, create_member):
    stranger = create_member("acme", email="stranger@acme.example")
    headers = _token(client_for, stranger)
    assert client_for("reseau").get("/api/v1/search?q=x", headers=headers).status_code == 401
