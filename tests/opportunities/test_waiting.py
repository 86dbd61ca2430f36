"""What of the opportunities waits for a member on their home page: the ones passed on to them
and not answered yet, the referrals asked of them; never once answered, decided or closed, and
only their own."""

from __future__ import annotations

from maillon.opportunities import services
from maillon.opportunities.waiting import waiting_opportunities
from maillon.tenancy.dashboard import member_dashboard


def _waiting(world, member_id: int) -> tuple[list[int], list[int], int]:
    with world.app.app_context():
        found = world.call(waiting_opportunities, member_id)
        return ([r.id for r in found.relays], [q.id for q in found.referrals], found.total)


def test_a_relay_waits_for_its_contact_until_answered(world, cast):
    opp = world.post(cast.recruiter, organisation_id=cast.org)
    relay = world.relay(cast.amb1, opp, cast.python, "Made for you.")
    assert _waiting(world, cast.python) == ([relay], [], 1)
    assert _waiting(world, cast.python2) == ([], [], 0)  # not passed on to Piet
    assert _waiting(world, cast.amb1) == ([], [], 0)  # the ambassador waits for nothing
    world.call(services.answer_relay, cast.python, relay, {"interested": False})
    assert _waiting(world, cast.python) == ([], [], 0)  # "not now" is an answer too


def test_a_closed_opportunity_waits_for_nobody(world, cast):
    opp = world.post(cast.recruiter, organisation_id=cast.org)
    world.relay(cast.amb1, opp, cast.python)
    request, _ = world.call(services.ask_for_referral, cast.asker, opp,
                            {"member_id": cast.amb1})
    assert _waiting(world, cast.amb1) == ([], [request.id], 1)
    world.call(services.close_opportunity, cast.recruiter, opp)
    assert _waiting(world, cast.python) == ([], [], 0)
    assert _waiting(world, cast.amb1) == ([], [], 0)


def test_a_referral_request_waits_until_decided(world, cast):
    opp = world.post(cast.recruiter, organisation_id=cast.org)
    request, _ = world.call(services.ask_for_referral, cast.asker, opp,
                            {"member_id": cast.amb1})
    assert _waiting(world, cast.amb2) == ([], [], 0)  # asked of Bea, not of Abel
    world.call(services.decline_referral, cast.amb1, request.id)
    assert _waiting(world, cast.amb1) == ([], [], 0)


def test_the_home_page_lists_them_and_counts_them(world, cast, login, app):
    opp = world.post(cast.recruiter, organisation_id=cast.org)
    world.relay(cast.amb1, opp, cast.python, "Made for you.")
    with app.app_context():
        board = world.call(member_dashboard, cast.python)
        assert board.waiting_total == board.opportunities.total == 1
    page = login(world.get_detached(cast.python), "reseau").get("/")
    text = page.get_data(as_text=True)
    # Réseau's pages are in French for a member without a language of their own.
    assert ("Bea Ambassador pense à vous pour «\u00a0Data engineer for our robotics line"
            "\u00a0»." in text)
    assert f'/opportunities/{opp}#answer' in text
