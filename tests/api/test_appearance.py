"""GET and PATCH /api/v1/admin/appearance: admins only, all or nothing, readable colours."""

from __future__ import annotations

import pytest

from maillon.tenancy import appearance
from maillon.tenancy.registry import get_registry
from tests.api.conftest import bearer, error_of


@pytest.fixture
def people(create_member):
    return {"admin": create_member("reseau", role="admin"),
            "moderator": create_member("reseau", role="moderator"),
            "acme_admin": create_member("acme", role="admin")}


def _call(api, token, method, body=None, slug="reseau"):
    return api(slug).open("/api/v1/admin/appearance", method=method, json=body,
                          headers=bearer(token))


def test_admin_reads_and_changes_colours(app, api, token_for, people):
    token = token_for(people["admin"])
    base = get_registry(app).base_options("reseau")
    listed = _call(api, token, "GET").get_json()
    assert [o["name"] for o in listed["results"]] == list(appearance.EDITABLE_OPTIONS)
    assert listed["logo_url"].endswith("/theme/" + base["logo"])
    answer = _call(api, token, "PATCH", {"changes": {"color-accent": "#A30"}})
    assert answer.status_code == 200
    accent = next(o for o in answer.get_json()["results"] if o["name"] == "color-accent")
    assert accent == {"name": "color-accent", "value": "#aa3300", "edited": True,
                      "theme_value": base["color-accent"]}
    assert "--color-accent: #aa3300;" in api("reseau").get("/theme.css").get_data(as_text=True)
    bad = _call(api, token, "PATCH", {"changes": {"color-text": "#fefefe", "color-bg": "nope"}})
    assert bad.status_code == 422 and error_of(bad)["code"] == "validation_failed"
    assert set(error_of(bad)["fields"]) == {"color-bg"}
    unreadable = _call(api, token, "PATCH", {"changes": {"color-text": "#fefefe"}})
    assert unreadable.status_code == 422
    assert set(error_of(unreadable)["fields"]) == {"color-text"}
    back = _call(api, token, "PATCH", {"reset": ["color-accent"]})
    accent = next(o for o in back.get_json()["results"] if o["name"] == "color-accent")
    assert accent["edited"] is False and accent["value"] == base["color-accent"]


def test_only_the_instances_admins(api, token_for, people):
    for who in ("moderator", "acme_admin"):
        token = token_for(people[who])
        for method, body in (("GET", None), ("PATCH", {"changes": {"color-accent": "#00aa00"}})):
            answer = _call(api, token, method, body)
            assert answer.status_code in (401, 403), (who, method)
    moderator = token_for(people["moderator"])
    assert error_of(_call(api, moderator, "GET"))["code"] == "forbidden"
    admin = token_for(people["admin"])
    listed = _call(api, admin, "GET").get_json()
    assert not any(o["edited"] for o in listed["results"])
