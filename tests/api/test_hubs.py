"""The hubs API: create, read, join, threads, replies with Idempotency-Key, follow, edit,
delete, remove; a hub by request keeps its threads from outsiders; another instance's ids 404."""

from __future__ import annotations

import pytest

from tests.api.conftest import bearer, error_of


@pytest.fixture
def people(create_member):
    return {"ana": create_member("reseau", name="Ana Lima"),
            "bob": create_member("reseau", name="Bob Martin"),
            "eve": create_member("reseau", name="Eve Durand"),
            "acme": create_member("acme", name="Acme Person")}


def call(api, token, method, path, body=None, slug="reseau", **headers):
    return api(slug).open(path, method=method, json=body, headers=bearer(token, **headers))


def test_hub_thread_reply_follow_round_trip(api, token_for, people):
    ana, bob = token_for(people["ana"]), token_for(people["bob"])
    created = call(api, ana, "POST", "/api/v1/hubs",
                   {"name": "E-learning", "description": "Courses", "visibility": "open"})
    assert created.status_code == 201, created.get_json()
    hub = created.get_json()
    assert hub["membership"] == {"status": "active", "role": "moderator"}
    listed = call(api, bob, "GET", "/api/v1/hubs").get_json()
    assert listed["total"] == 1 and listed["results"][0]["membership"] is None

    started = call(api, bob, "POST", f"/api/v1/hubs/{hub['id']}/threads",
                   {"title": "Moodle?", "text": "Hello @ana.lima"})
    assert started.status_code == 201
    thread = started.get_json()["thread"]
    assert started.get_json()["post"]["mentions"] == [people["ana"].id]
    assert call(api, bob, "GET", f"/api/v1/hubs/{hub['id']}").get_json()["membership"][
        "status"] == "active"  # posting in an open hub joined it

    key = {"Idempotency-Key": "reply-1"}
    first = call(api, ana, "POST", f"/api/v1/threads/{thread['id']}/posts", {"text": "Yes"},
                 **key)
    again = call(api, ana, "POST", f"/api/v1/threads/{thread['id']}/posts", {"text": "Yes"},
                 **key)
    assert first.status_code == 201 and again.get_json()["id"] == first.get_json()["id"]
    detail = call(api, bob, "GET", f"/api/v1/threads/{thread['id']}").get_json()
    assert detail["following"] is True and detail["posts"]["total"] == 2

    assert call(api, bob, "DELETE", f"/api/v1/threads/{thread['id']}/follow").get_json() == {
        "following": False}
    reply_id = first.get_json()["id"]
    edited = call(api, ana, "PATCH", f"/api/v1/posts/{reply_id}", {"text": "Yes, Moodle"})
    assert edited.status_code == 200 and edited.get_json()["edited_at"]
    assert error_of(call(api, bob, "PATCH", f"/api/v1/posts/{reply_id}", {"text": "x"}))[
        "code"] == "forbidden"
    removed = call(api, ana, "POST", f"/api/v1/posts/{reply_id}/remove", {"reason": "Oops"})
    assert removed.get_json()["status"] == "removed" and removed.get_json()["text"] == ""


def test_request_hub_keeps_threads_from_outsiders(api, token_for, people):
    ana, eve = token_for(people["ana"]), token_for(people["eve"])
    hub = call(api, ana, "POST", "/api/v1/hubs",
               {"name": "Cytology", "visibility": "request"}).get_json()
    thread = call(api, ana, "POST", f"/api/v1/hubs/{hub['id']}/threads",
                  {"title": "Private", "text": "Members only"}).get_json()["thread"]
    refused = call(api, eve, "GET", f"/api/v1/hubs/{hub['id']}/threads")
    assert refused.status_code == 403 and error_of(refused)["code"] == "hub_members_only"
    assert call(api, eve, "GET", f"/api/v1/threads/{thread['id']}").status_code == 404
    assert call(api, eve, "POST", f"/api/v1/threads/{thread['id']}/posts",
                {"text": "hi"}).status_code == 404
    joined = call(api, eve, "POST", f"/api/v1/hubs/{hub['id']}/join")
    assert joined.status_code == 201 and joined.get_json()["status"] == "pending"
    assert call(api, eve, "POST", f"/api/v1/hubs/{hub['id']}/requests/{people['eve'].id}",
                {"approve": True}).status_code == 403
    approved = call(api, ana, "POST", f"/api/v1/hubs/{hub['id']}/requests/{people['eve'].id}",
                    {"approve": True})
    assert approved.get_json() == {"status": "active", "role": "member"}
    assert call(api, eve, "GET", f"/api/v1/threads/{thread['id']}").status_code == 200


def test_bad_input_and_other_instances(api, token_for, people):
    ana, acme = token_for(people["ana"]), token_for(people["acme"])
    bad = call(api, ana, "POST", "/api/v1/hubs", {"name": "", "visibility": "secret"})
    assert bad.status_code == 422 and set(error_of(bad)["fields"]) == {"name", "visibility"}
    hub = call(api, ana, "POST", "/api/v1/hubs", {"name": "Hub"}).get_json()
    taken = call(api, token_for(people["bob"]), "POST", "/api/v1/hubs", {"name": "HUB"})
    assert taken.status_code == 409 and error_of(taken)["code"] == "hub_name_taken"
    empty = call(api, ana, "POST", f"/api/v1/hubs/{hub['id']}/threads", {"title": "t",
                                                                          "text": "  "})
    assert empty.status_code == 422 and "text" in error_of(empty)["fields"]
    thread = call(api, ana, "POST", f"/api/v1/hubs/{hub['id']}/threads",
                  {"title": "t", "text": "x"}).get_json()["thread"]
    for path in (f"/api/v1/hubs/{hub['id']}", f"/api/v1/threads/{thread['id']}",
                 f"/api/v1/hubs/{hub['id']}/threads"):
        assert call(api, acme, "GET", path, slug="acme").status_code == 404
    assert call(api, ana, "GET", "/api/v1/hubs/99999999999999999999").status_code == 404


def test_thread_search_through_the_api(api, token_for, people, run_jobs):
    ana, eve = token_for(people["ana"]), token_for(people["eve"])
    closed = call(api, ana, "POST", "/api/v1/hubs",
                  {"name": "Board", "visibility": "request"}).get_json()
    call(api, ana, "POST", f"/api/v1/hubs/{closed['id']}/threads",
         {"title": "Budget secret", "text": "The budget for next year."})
    run_jobs()
    mine = call(api, ana, "GET", "/api/v1/search/threads?q=budget").get_json()
    assert mine["total"] == 1 and mine["results"][0]["hub"] == "Board"
    assert mine["hubs"] == [["Board", 1]]
    theirs = call(api, eve, "GET", "/api/v1/search/threads?q=budget").get_json()
    assert theirs == {"total": 0, "results": [], "hubs": [], "suggestion": None}
    bad = call(api, eve, "GET", "/api/v1/search/threads?q=" + "x" * 501)
    assert bad.status_code == 422


def test_moderators_change_a_hub_others_get_403_or_404(api, token_for, people):
    ana, bob, acme = (token_for(people[k]) for k in ("ana", "bob", "acme"))
    hub = call(api, ana, "POST", "/api/v1/hubs", {"name": "Cytology",
                                                  "visibility": "request"}).get_json()
    call(api, ana, "POST", "/api/v1/hubs", {"name": "E-learning"})
    path = f"/api/v1/hubs/{hub['id']}"
    body = {"name": "Cytology and histology", "description": "Cells", "visibility": "request"}
    refused = call(api, bob, "PUT", path, body)
    assert refused.status_code == 403 and error_of(refused)["code"] == "forbidden"
    assert call(api, acme, "PUT", path, body, slug="acme").status_code == 404
    taken = call(api, ana, "PUT", path, dict(body, name="e-learning"))
    assert taken.status_code == 409 and error_of(taken)["code"] == "hub_name_taken"
    changed = call(api, ana, "PUT", path, body)
    assert changed.status_code == 200
    assert {k: changed.get_json()[k] for k in body} == body
