"""The opportunity pages: the recruiter posts for the organisation, an ambassador relays a
suggested contact with a note, the contact answers, the recruiter reads the vouch; a "not now"
is never named; asking for a referral and referring; bad input stays on the page."""

from __future__ import annotations

import re

from sqlalchemy import select

from maillon.db import db
from maillon.opportunities.models import Opportunity, ReferralRequest, Relay


def _ids(app, model):
    with app.app_context():
        return list(db.session.scalars(select(model.id).order_by(model.id)))


def test_post_relay_answer_and_read_the_vouch_on_the_pages(app, world, cast, login):
    for member in (cast.recruiter, cast.amb1, cast.python, cast.cook, cast.stranger):
        world.update(member, locale="en")
    recruiter = login(world.get_detached(cast.recruiter))
    form = recruiter.get("/opportunities/new").get_data(as_text=True)
    assert "For Acme Robotics" in form
    refused = recruiter.post("/opportunities/new", data={
        "kind": "job", "title": "", "text": "short", "organisation_id": str(cast.org)})
    assert refused.status_code == 422 and "This field is required." in refused.get_data(
        as_text=True)
    assert _ids(app, Opportunity) == []
    posted = recruiter.post("/opportunities/new", data={
        "kind": "job", "title": "Data engineer for our robotics line",
        "text": "Build the data pipelines of our robot fleet, in Python.",
        "skills": "Python, Data engineering", "location": "Lyon", "closes_on": "",
        "organisation_id": str(cast.org)})
    assert posted.status_code == 302
    [opp] = _ids(app, Opportunity)

    ambassador = login(world.get_detached(cast.amb1))
    page = ambassador.get(f"/opportunities/{opp}").get_data(as_text=True)
    assert "Relay to Paula Python" in page
    assert "Hana Hidden" not in page  # out of the directory: neither suggested nor listed
    assert "Carl Cook" in page  # not suggested, but in "another contact"
    relayed = ambassador.post(f"/opportunities/{opp}/relays", data={
        "member_id": str(cast.python), "note": "Paula, you built exactly this."})
    assert relayed.status_code == 302
    ambassador.post(f"/opportunities/{opp}/relays", data={"member_id": str(cast.cook)})
    forged = ambassador.post(f"/opportunities/{opp}/relays",
                             data={"member_id": str(cast.stranger)})
    assert forged.status_code == 403
    assert "You can relay only to your connections." in forged.get_data(as_text=True)
    assert len(_ids(app, Relay)) == 2

    cook = login(world.get_detached(cast.cook))
    page = cook.get(f"/opportunities/{opp}").get_data(as_text=True)
    assert "Passed on to you" in page and "Bea Ambassador" in page
    [python_relay, cook_relay] = _ids(app, Relay)
    cook.post(f"/relays/{cook_relay}/answer", data={"interested": "0",
                                                    "opportunity_id": str(opp)})
    contact = login(world.get_detached(cast.python))
    assert "Bea Ambassador thinks this opportunity is for you" in contact.get(
        "/notifications").get_data(as_text=True)
    contact.post(f"/relays/{python_relay}/answer", data={
        "interested": "1", "message": "Happy to talk.", "opportunity_id": str(opp)})
    assert "The poster knows" in contact.get(f"/opportunities/{opp}").get_data(as_text=True)

    page = recruiter.get(f"/opportunities/{opp}").get_data(as_text=True)
    assert "Paula Python" in page and "Paula, you built exactly this." in page
    assert "Passed on by Bea Ambassador" in page and "Happy to talk." in page
    assert "Carl Cook" not in page  # counted among "not now", never named
    figures = dict(re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", page))
    assert figures["People reached"] == "2" and figures["Not now"] == "1"
    assert figures["Interested"] == "1"

    stranger = login(world.get_detached(cast.stranger))
    page = stranger.get(f"/opportunities/{opp}").get_data(as_text=True)
    assert "Reach and answers" not in page and "Paula Python" not in page


def test_ask_for_a_referral_and_refer_on_the_pages(app, world, cast, login):
    for member in (cast.asker, cast.amb1, cast.recruiter):
        world.update(member, locale="en")
    opp = world.post(cast.recruiter, organisation_id=cast.org)
    asker = login(world.get_detached(cast.asker))
    page = asker.get(f"/opportunities/{opp}").get_data(as_text=True)
    assert "Ask for a referral" in page and "Bea Ambassador" in page
    asker.post(f"/opportunities/{opp}/referral-requests", data={
        "member_id": str(cast.amb1), "note": "I know their stack."})
    [request_id] = _ids(app, ReferralRequest)
    ambassador = login(world.get_detached(cast.amb1))
    page = ambassador.get(f"/opportunities/{opp}").get_data(as_text=True)
    assert "Refer Asa Asker" in page and "I know their stack." in page
    ambassador.post(f"/referral-requests/{request_id}/refer", data={
        "note": "Asa is great.", "opportunity_id": str(opp)})
    page = asker.get(f"/opportunities/{opp}").get_data(as_text=True)
    assert "referral you asked for" in page and "The poster knows" in page
    assert login(world.get_detached(cast.recruiter)).get(f"/opportunities/{opp}").get_data(
        as_text=True).count("Referred by Bea Ambassador") == 1


def test_another_instance_gets_a_404(app, world, cast, login, create_member):
    opp = world.post(cast.recruiter, organisation_id=cast.org)
    outsider = create_member("acme", name="Otto Outsider")
    assert login(outsider, "acme").get(f"/opportunities/{opp}").status_code == 404


def test_the_pages_in_french(app, world, cast, login):
    world.update(cast.amb1, locale="fr")
    world.update(cast.python, locale="fr")
    opp = world.post(cast.recruiter, organisation_id=cast.org)
    page = login(world.get_detached(cast.amb1)).get(f"/opportunities/{opp}").get_data(
        as_text=True)
    assert "Relayer à Paula Python" in page and "Transmettez-la" not in page
    world.relay(cast.amb1, opp, cast.python, "Pour toi.")
    contact = login(world.get_detached(cast.python))
    assert "Bea Ambassador pense que cette opportunité est pour vous\u00a0:" in contact.get(
        "/notifications").get_data(as_text=True)
    assert "Je suis intéressé·e" in contact.get(f"/opportunities/{opp}").get_data(as_text=True)
