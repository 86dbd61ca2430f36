"""Opportunities in a member's data: what they posted, relayed, received and asked, in their
export; erased with their account."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from maillon.db import db
from maillon.opportunities import services
from maillon.opportunities.models import Opportunity, ReferralRequest, Relay
from maillon.rights import deletion, export
from tests.conftest import PASSWORD
from tests.opportunities.world import OppWorld, make_cast


@pytest.fixture
def world(app, create_member):
    return OppWorld(app, create_member, "reseau")


@pytest.fixture
def cast(world, run_jobs):
    return make_cast(world, run_jobs)


def test_the_export_holds_my_opportunities_relays_answers_and_requests(world, cast):
    opp = world.post(cast.recruiter, organisation_id=cast.org)
    relay = world.relay(cast.amb1, opp, cast.python, "For you, Paula.")
    world.call(services.answer_relay, cast.python, relay,
               {"interested": True, "message": "Yes please."})
    world.call(services.ask_for_referral, cast.asker, opp,
               {"member_id": cast.amb1, "note": "Refer me?"})
    with world.app.app_context():
        paula = world.call(export.export_member_data, cast.python)["opportunities"]
        assert [(r["note"], r["answer"], r["message"], r["from"]["name"])
                for r in paula["received"]] == [("For you, Paula.", "interested",
                                                 "Yes please.", "Bea Ambassador")]
        bea = world.call(export.export_member_data, cast.amb1)["opportunities"]
        assert [r["to"]["name"] for r in bea["relayed"]] == ["Paula Python"]
        assert "answer" not in bea["relayed"][0]  # an ambassador never reads the answer
        rita = world.call(export.export_member_data, cast.recruiter)["opportunities"]
        assert [o["title"] for o in rita["posted"]] == ["Data engineer for our robotics line"]
        asa = world.call(export.export_member_data, cast.asker)["opportunities"]
        assert [q["note"] for q in asa["referral_requests"]] == ["Refer me?"]


def test_deleting_my_account_erases_what_i_wrote_about_opportunities(world, cast, app):
    opp = world.post(cast.recruiter, organisation_id=cast.org)
    mine = world.post(cast.amb1, title="Bea's own call")
    relay = world.relay(cast.amb1, opp, cast.python, "For you, Paula.")
    world.call(services.answer_relay, cast.python, relay,
               {"interested": True, "message": "Yes please."})
    world.call(services.ask_for_referral, cast.asker, opp, {"member_id": cast.amb1})
    world.call(deletion.delete_own_account, cast.amb1, password=PASSWORD)
    with app.app_context():
        assert set(db.session.scalars(select(Opportunity.id))) == {opp}
        assert mine not in set(db.session.scalars(select(Opportunity.id)))
        [row] = db.session.scalars(select(Relay))
        assert row.note == "" and row.answer_message == "Yes please."
        assert list(db.session.scalars(select(ReferralRequest))) == []
    world.call(deletion.delete_own_account, cast.python, password=PASSWORD)
    with app.app_context():
        assert db.session.scalar(select(Relay.answer_message)) == ""
