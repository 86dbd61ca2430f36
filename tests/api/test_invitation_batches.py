"""The bulk invitations API: a draft with each row's problem, sending once, progress."""

from __future__ import annotations

import pytest


@pytest.fixture
def people(create_member):
    return {"admin": create_member("reseau", role="admin"),
            "moderator": create_member("reseau", role="moderator"),
            "acme_admin": create_member("acme", role="admin")}


def _call(api, token, method, path, body=None, slug="reseau"):
    return api(slug).open(f"/api/v1/admin/invitations/batches{path}", method=method, json=body,
                          headers={"Authorization": f"Bearer {token}"})


def test_preview_send_progress(api, token_for, people, run_jobs):
    token = token_for(people["admin"])
    draft = _call(api, token, "POST", "", {"csv": "email\na@example.org\nb@example.org\nbad\n",
                                          "filename": "team.csv"})
    assert draft.status_code == 201
    body = draft.get_json()
    assert (body["status"], body["total"], body["ready"], body["filename"]) == (
        "draft", 3, 2, "team.csv")
    assert body["problems"] == [{"line": 4, "email": "bad", "problem": "invalid"}]
    sent = _call(api, token, "POST", f"/{body['id']}/send")
    assert sent.status_code == 202 and sent.get_json()["status"] == "sending"
    assert _call(api, token, "POST", f"/{body['id']}/send").get_json()["invited"] == 0
    run_jobs()
    done = _call(api, token, "GET", f"/{body['id']}").get_json()
    assert (done["status"], done["handled"], done["invited"], done["skipped"]) == (
        "done", 3, 2, 1)


def test_refusals(api, token_for, people):
    admin, moderator = token_for(people["admin"]), token_for(people["moderator"])
    assert _call(api, moderator, "POST", "", {"csv": "a@example.org"}).status_code == 403
    empty = _call(api, admin, "POST", "", {"csv": "email\n"})
    assert empty.status_code == 422 and "file" in empty.get_json()["error"]["fields"]
    acme = _call(api, token_for(people["acme_admin"]), "POST", "", {"csv": "a@example.org"},
                 slug="acme").get_json()
    assert _call(api, admin, "GET", f"/{acme['id']}").status_code == 404
    assert _call(api, admin, "POST", f"/{acme['id']}/send").status_code == 404
