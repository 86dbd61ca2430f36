"""The opportunities API: post (Idempotency-Key), suggestions, relays (forged and foreign ids
refused), answers (a "not now" never named to the poster), referrals, other instances 404."""

from __future__ import annotations

import pytest

from tests.api.conftest import bearer
from tests.api.conftest import error_of as api_error
from tests.opportunities.world import JOB, OppWorld, make_cast


@pytest.fixture
def world(app, create_member):
    return OppWorld(app, create_member, "reseau")


@pytest.fixture
def cast(world, run_jobs):
    return make_cast(world, run_jobs)


def call(api, token, method, path, body=None, slug="reseau", **headers):
    return api(slug).open(path, method=method, json=body, headers=bearer(token, **headers))


def error_of(response, status):
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    return api_error(response)["code"]


def test_post_relay_answer_round_trip_and_what_each_one_reads(api, token_for, world, cast):
    tokens = {name: token_for(world.get_detached(getattr(cast, name)))
              for name in ("recruiter", "amb1", "amb2", "python", "cook", "stranger")}
    body = {**JOB, "organisation_id": cast.org}
    first = call(api, tokens["recruiter"], "POST", "/api/v1/opportunities", body,
                 **{"Idempotency-Key": "job-1"})
    again = call(api, tokens["recruiter"], "POST", "/api/v1/opportunities", body,
                 **{"Idempotency-Key": "job-1"})
    assert first.status_code == 201, first.get_json()
    opp = first.get_json()
    assert again.get_json()["id"] == opp["id"]
    assert opp["organisation"] == {"id": cast.org, "name": "Acme Robotics"}
    assert opp["stats"]["reach"] == 0
    oid = opp["id"]

    suggested = call(api, tokens["amb1"], "GET", f"/api/v1/opportunities/{oid}/suggestions")
    assert [r["member"]["id"] for r in suggested.get_json()["results"]] == [cast.python,
                                                                            cast.asker]
    assert error_of(call(api, tokens["python"], "GET",
                         f"/api/v1/opportunities/{oid}/suggestions"), 403) == "not_ambassador"

    relay = call(api, tokens["amb1"], "POST", f"/api/v1/opportunities/{oid}/relays",
                 {"member_id": cast.python, "note": "Made for you."})
    repeat = call(api, tokens["amb1"], "POST", f"/api/v1/opportunities/{oid}/relays",
                  {"member_id": cast.python, "note": "Made for you."})
    assert relay.status_code == 201 and repeat.status_code == 200
    assert repeat.get_json()["id"] == relay.get_json()["id"]
    assert "answer" not in relay.get_json()  # the ambassador never reads the answer
    cook = call(api, tokens["amb1"], "POST", f"/api/v1/opportunities/{oid}/relays",
                {"member_id": cast.cook})

    no = call(api, tokens["cook"], "POST", f"/api/v1/relays/{cook.get_json()['id']}/answer",
              {"interested": False})
    assert no.status_code == 200 and no.get_json()["answer"] == "not_now"
    yes = call(api, tokens["python"], "POST", f"/api/v1/relays/{relay.get_json()['id']}/answer",
               {"interested": True, "message": "Let us talk."})
    assert yes.get_json()["answer"] == "interested"
    assert error_of(call(api, tokens["python"], "POST",
                         f"/api/v1/relays/{relay.get_json()['id']}/answer",
                         {"interested": False}), 409) == "already_interested"

    poster_view = call(api, tokens["recruiter"], "GET", f"/api/v1/opportunities/{oid}")
    stats = poster_view.get_json()["stats"]
    assert (stats["reach"], stats["interested"], stats["not_now"]) == (2, 1, 1)
    assert [p["member"]["id"] for p in stats["interested_people"]] == [cast.python]
    assert stats["interested_people"][0]["vouches"] == [
        {"ambassador": {"id": cast.amb1, "name": "Bea Ambassador"}, "note": "Made for you.",
         "referral": False}]
    # The "not now" is nowhere by name in what the poster reads.
    assert "Carl Cook" not in poster_view.get_data(as_text=True)
    for who in ("amb1", "python", "stranger"):
        assert call(api, tokens[who], "GET", f"/api/v1/opportunities/{oid}").get_json()[
            "stats"] is None
    listed = call(api, tokens["python"], "GET", "/api/v1/opportunities?scope=received")
    assert [o["id"] for o in listed.get_json()["results"]] == [oid]


def test_forged_and_foreign_ids_are_refused(api, token_for, world, cast, create_member):
    amb1 = token_for(world.get_detached(cast.amb1))
    opp = world.post(cast.recruiter, organisation_id=cast.org)
    path = f"/api/v1/opportunities/{opp}/relays"
    assert error_of(call(api, amb1, "POST", path, {"member_id": cast.stranger}),
                    403) == "not_connected"
    outsider = create_member("acme", name="Otto Outsider")
    assert error_of(call(api, amb1, "POST", path, {"member_id": outsider.id}), 404) == \
        "not_found"
    assert error_of(call(api, amb1, "POST", path, {"member_id": "x"}), 422) == \
        "validation_failed"
    acme_token = token_for(outsider)
    assert call(api, acme_token, "GET", f"/api/v1/opportunities/{opp}",
                slug="acme").status_code == 404
    assert call(api, acme_token, "GET", f"/api/v1/opportunities/{opp}").status_code == 401
    posted = call(api, acme_token, "POST", "/api/v1/opportunities",
                  {**JOB, "organisation_id": cast.org}, slug="acme")
    assert posted.status_code == 404  # another instance's organisation


def test_referral_by_the_api(api, token_for, world, cast):
    asker, amb1 = token_for(world.get_detached(cast.asker)), token_for(
        world.get_detached(cast.amb1))
    opp = world.post(cast.recruiter, organisation_id=cast.org)
    view = call(api, asker, "GET", f"/api/v1/opportunities/{opp}").get_json()
    assert view["can_ask_for_referral"] == [{"id": cast.amb1, "name": "Bea Ambassador"}]
    asked = call(api, asker, "POST", f"/api/v1/opportunities/{opp}/referral-requests",
                 {"member_id": cast.amb1, "note": "I know their stack."},
                 **{"Idempotency-Key": "ref-1"})
    assert asked.status_code == 201 and asked.get_json()["status"] == "pending"
    rid = asked.get_json()["id"]
    assert call(api, asker, "POST", f"/api/v1/referral-requests/{rid}/refer",
                {}).status_code == 404  # only the ambassador asked
    referred = call(api, amb1, "POST", f"/api/v1/referral-requests/{rid}/refer",
                    {"note": "Asa is great."})
    assert referred.status_code == 200 and referred.get_json()["referral"] is True
    assert error_of(call(api, amb1, "POST", f"/api/v1/referral-requests/{rid}/decline"),
                    409) == "referral_decided"
