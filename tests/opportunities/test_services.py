"""Opportunities: who posts, who relays to whom, what suggestions hold, what answers tell the
poster (and what they never tell), referrals, closing, and other instances."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import NotFound

from maillon.errors import Conflict, Forbidden, ServiceError
from maillon.moderation import sanctions
from maillon.opportunities import services
from tests.opportunities.world import JOB


def test_an_organisation_admin_posts_for_it_and_its_ambassadors_are_told(world, cast):
    opp = world.post(cast.recruiter, organisation_id=cast.org)
    assert len(world.notes(cast.amb1, "opportunity_posted")) == 1
    assert len(world.notes(cast.amb2, "opportunity_posted")) == 1
    assert world.notes(cast.python, "opportunity_posted") == []
    with world.app.app_context():
        view = world.call(services.access_opportunity, cast.amb2, opp)
        assert view.is_ambassador and not view.manages and view.stats is None


def test_only_an_organisation_admin_posts_for_it(world, cast):
    with pytest.raises(Forbidden) as refused:
        world.post(cast.amb1, organisation_id=cast.org)
    assert refused.value.code == "not_organisation_admin"
    with pytest.raises(NotFound):
        world.post(cast.recruiter, organisation_id=cast.org + 1000)


def test_a_personal_opportunity_is_relayed_by_its_poster_only(world, cast):
    opp = world.post(cast.amb2)
    with pytest.raises(Forbidden) as refused:
        world.relay(cast.amb1, opp, cast.python)
    assert refused.value.code == "not_ambassador"
    world.relay(cast.amb2, opp, cast.python)


def test_invalid_values_are_refused_with_their_fields(world, cast):
    with pytest.raises(ServiceError) as refused:
        world.post(cast.recruiter, kind="lunch", title="", text="short")
    assert set(refused.value.fields) >= {"kind", "title", "text"}
    with pytest.raises(ServiceError) as refused:
        world.post(cast.recruiter, closes_on="2001-01-01")
    assert "closes_on" in refused.value.fields


def test_a_limited_member_cannot_post_nor_relay(world, cast):
    opp = world.post(cast.recruiter, organisation_id=cast.org)
    staff = world.member("Mo", role="moderator")
    world.call(sanctions.impose_sanction, staff, cast.amb1, "limit", reason="Too many relays.")
    with pytest.raises(Forbidden) as refused:
        world.relay(cast.amb1, opp, cast.python)
    assert refused.value.code == "account_limited"
    with pytest.raises(Forbidden):
        world.post(cast.amb1)


def test_suggestions_are_the_contacts_who_fit_never_hidden_ones(world, cast):
    opp = world.post(cast.recruiter, organisation_id=cast.org)
    # amb1 knows Paula (Python, Lyon), Carl (a cook), Hana (Python, out of the directory),
    # the recruiter (the poster) and Asa (Python, who asked nothing).
    assert world.suggested(cast.amb1, opp) == [cast.python, cast.asker]
    assert world.suggested(cast.amb2, opp) == [cast.python, cast.python2]


def test_suggestions_leave_out_whoever_already_received_it(world, cast):
    opp = world.post(cast.recruiter, organisation_id=cast.org)
    world.relay(cast.amb1, opp, cast.python, "Paula built exactly this at her last job.")
    assert world.suggested(cast.amb2, opp) == [cast.python2]
    assert world.suggested(cast.amb1, opp) == [cast.asker]


def test_suggestions_are_for_ambassadors_only(world, cast):
    opp = world.post(cast.recruiter, organisation_id=cast.org)
    with pytest.raises(Forbidden):
        world.suggested(cast.python, opp)


def test_a_relay_reaches_a_connection_once(world, cast):
    opp = world.post(cast.recruiter, organisation_id=cast.org)
    first = world.relay(cast.amb1, opp, cast.python, "You should apply.")
    again = world.relay(cast.amb1, opp, cast.python, "You should apply.")
    assert first == again
    assert world.relays(opp) == [(cast.amb1, cast.python, None)]
    [note] = world.notes(cast.python, "opportunity_relayed")
    assert note.actor_id == cast.amb1 and note.data["note"] == "You should apply."


def test_an_ambassador_cannot_relay_to_a_non_contact_nor_to_the_poster(world, cast):
    opp = world.post(cast.recruiter, organisation_id=cast.org)
    with pytest.raises(Forbidden) as refused:
        world.relay(cast.amb1, opp, cast.stranger)
    assert refused.value.code == "not_connected"
    with pytest.raises(ServiceError) as refused:
        world.relay(cast.amb1, opp, cast.recruiter)
    assert refused.value.code == "cannot_relay_to"
    with pytest.raises(NotFound):
        world.relay(cast.amb1, opp, 10**9)
    assert world.relays(opp) == []


def test_not_now_is_counted_and_never_named_to_the_poster(world, cast):
    opp = world.post(cast.recruiter, organisation_id=cast.org)
    relay = world.relay(cast.amb1, opp, cast.python, "Paula, this is you.")
    world.call(services.answer_relay, cast.python, relay, {"interested": False})
    assert world.notes(cast.recruiter, "opportunity_interested") == []
    with world.app.app_context():
        stats = world.call(services.access_opportunity, cast.recruiter, opp).stats
        assert (stats.reach, stats.relays, stats.interested, stats.not_now) == (1, 1, 0, 1)
        assert stats.interested_people == []
        assert [(a.member.id, a.relays, a.interested) for a in stats.ambassadors] == [
            (cast.amb1, 1, 0)]


def test_interested_reaches_the_poster_with_every_vouch(world, cast):
    opp = world.post(cast.recruiter, organisation_id=cast.org)
    first = world.relay(cast.amb1, opp, cast.python, "Paula, this is you.")
    world.relay(cast.amb2, opp, cast.python, "She led our data team.")
    world.relay(cast.amb1, opp, cast.cook, "")
    world.call(services.answer_relay, cast.python, first,
               {"interested": True, "message": "Happy to talk."})
    [note] = world.notes(cast.recruiter, "opportunity_interested")
    assert note.actor_id == cast.python
    assert note.data["vouchers"] == "Bea Ambassador, Abel Ambassador"
    with world.app.app_context():
        stats = world.call(services.access_opportunity, cast.recruiter, opp).stats
        assert (stats.reach, stats.relays, stats.interested, stats.waiting) == (2, 3, 1, 1)
        [person] = stats.interested_people
        assert person.contact.id == cast.python and person.message == "Happy to talk."
        assert [(r.ambassador.name, r.note) for r in person.relays] == [
            ("Bea Ambassador", "Paula, this is you."), ("Abel Ambassador",
                                                        "She led our data team.")]
        # Alphabetical, not by results: Abel (1 relay) before Bea (2).
        assert [(a.member.name, a.relays, a.interested) for a in stats.ambassadors] == [
            ("Abel Ambassador", 1, 1), ("Bea Ambassador", 2, 1)]


def test_not_now_may_become_interested_but_interested_stays(world, cast):
    opp = world.post(cast.recruiter, organisation_id=cast.org)
    relay = world.relay(cast.amb1, opp, cast.python)
    world.call(services.answer_relay, cast.python, relay, {"interested": False})
    world.call(services.answer_relay, cast.python, relay, {"interested": True})
    assert len(world.notes(cast.recruiter, "opportunity_interested")) == 1
    with pytest.raises(Conflict) as refused:
        world.call(services.answer_relay, cast.python, relay, {"interested": False})
    assert refused.value.code == "already_interested"
    world.call(services.answer_relay, cast.python, relay, {"interested": True})  # a repeat
    assert len(world.notes(cast.recruiter, "opportunity_interested")) == 1


def test_only_the_contact_answers_their_relay(world, cast):
    opp = world.post(cast.recruiter, organisation_id=cast.org)
    relay = world.relay(cast.amb1, opp, cast.python)
    for someone in (cast.amb1, cast.recruiter, cast.cook):
        with pytest.raises(NotFound):
            world.call(services.answer_relay, someone, relay, {"interested": True})


def test_the_ambassador_never_sees_the_answer_and_others_see_no_stats(world, cast):
    opp = world.post(cast.recruiter, organisation_id=cast.org)
    relay = world.relay(cast.amb1, opp, cast.python)
    world.call(services.answer_relay, cast.python, relay, {"interested": False})
    with world.app.app_context():
        for someone in (cast.amb1, cast.python, cast.stranger):
            view = world.call(services.access_opportunity, someone, opp)
            assert view.stats is None and not view.manages


def test_a_closed_opportunity_takes_no_relay_nor_answer(world, cast):
    opp = world.post(cast.recruiter, organisation_id=cast.org)
    relay = world.relay(cast.amb1, opp, cast.python)
    with pytest.raises(Forbidden):
        world.call(services.close_opportunity, cast.amb1, opp)
    world.call(services.close_opportunity, cast.recruiter, opp)
    with pytest.raises(Conflict):
        world.relay(cast.amb2, opp, cast.python2)
    with pytest.raises(Conflict):
        world.call(services.answer_relay, cast.python, relay, {"interested": True})
    assert world.suggested(cast.amb2, opp) == []


def test_a_member_asks_a_connection_for_a_referral_who_refers_in_one_click(world, cast):
    opp = world.post(cast.recruiter, organisation_id=cast.org)
    with world.app.app_context():
        view = world.call(services.access_opportunity, cast.asker, opp)
        assert [m.id for m in view.can_refer_me] == [cast.amb1]
    request, created = world.call(services.ask_for_referral, cast.asker, opp,
                                  {"member_id": cast.amb1, "note": "I built such pipelines."})
    again, created_again = world.call(services.ask_for_referral, cast.asker, opp,
                                      {"member_id": cast.amb1})
    assert created and not created_again and request.id == again.id
    assert len(world.notes(cast.amb1, "referral_requested")) == 1
    world.call(services.refer, cast.amb1, request.id, {"note": "Asa is excellent."})
    assert world.relays(opp) == [(cast.amb1, cast.asker, "interested")]
    [note] = world.notes(cast.recruiter, "opportunity_interested")
    assert note.actor_id == cast.asker and note.data["vouchers"] == "Bea Ambassador"
    assert len(world.notes(cast.asker, "referral_made")) == 1


def test_a_referral_is_asked_only_of_a_connection_who_relays_it(world, cast):
    opp = world.post(cast.recruiter, organisation_id=cast.org)
    world.connect(cast.asker, cast.cook)
    with pytest.raises(Forbidden) as refused:  # a connection, not an ambassador
        world.call(services.ask_for_referral, cast.asker, opp, {"member_id": cast.cook})
    assert refused.value.code == "cannot_refer"
    with pytest.raises(Forbidden):  # an ambassador, not a connection
        world.call(services.ask_for_referral, cast.asker, opp, {"member_id": cast.amb2})
    with pytest.raises(NotFound):  # nobody else may decide a request
        request, _ = world.call(services.ask_for_referral, cast.asker, opp,
                                {"member_id": cast.amb1})
        world.call(services.refer, cast.amb2, request.id, {})


def test_another_instance_never_sees_an_opportunity(app, world, cast, create_member):
    opp = world.post(cast.recruiter, organisation_id=cast.org, **{"title": JOB["title"]})
    relay = world.relay(cast.amb1, opp, cast.python)
    from tests.organisations.world import OrgWorld

    acme = OrgWorld(app, create_member, "acme")
    outsider = acme.member("Otto Outsider")
    with pytest.raises(NotFound):
        acme.call(services.access_opportunity, outsider, opp)
    with pytest.raises(NotFound):
        acme.call(services.answer_relay, outsider, relay, {"interested": True})
    assert acme.call(services.list_opportunities, outsider)[0] == 0
    # An acme member's id is not a contact of a reseau ambassador: missing.
    with pytest.raises(NotFound):
        world.relay(cast.amb1, opp, outsider)


def test_an_opportunity_and_a_relay_note_are_reported_and_removed_by_staff(world, cast):
    from maillon.moderation import reports

    opp = world.post(cast.recruiter, organisation_id=cast.org)
    relay = world.relay(cast.amb1, opp, cast.python, "Call me, spam link here.")
    staff = world.member("Mo", role="moderator")
    with pytest.raises(ServiceError) as refused:  # one's own content
        world.call(reports.file_report, cast.recruiter, "opportunity", opp, reason="spam")
    assert refused.value.code == "cannot_report_own_content"
    with pytest.raises(NotFound):  # only its contact reads a relay's note
        world.call(reports.file_report, cast.cook, "relay", relay, reason="spam")
    note_report, _new = world.call(reports.file_report, cast.python, "relay", relay,
                                   reason="spam")
    world.call(reports.decide_report, staff, note_report.id,
               reports.Decision(dismiss=False, reason="A spam link.", delete_content=True))
    with world.app.app_context():
        [mine] = world.call(services.access_opportunity, cast.python, opp).received
        assert mine.note == ""  # the note is gone, the opportunity stays with its contact
    post_report, _new = world.call(reports.file_report, cast.stranger, "opportunity", opp,
                             reason="inappropriate")
    world.call(reports.decide_report, staff, post_report.id,
               reports.Decision(dismiss=False, reason="Not a real job.", delete_content=True))
    with pytest.raises(NotFound):
        world.call(services.access_opportunity, cast.python, opp)
