"""Written recommendations: first degree only, approval by the recommended member, visibility."""

import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import NotFound

from maillon.db import db
from maillon.errors import Forbidden, ServiceError, ValidationFailed
from maillon.members.models import Member
from maillon.network.recommendation_models import Recommendation, RecommendationRequest
from maillon.network.recommendations import (
    access_recommendation,
    approve_recommendation,
    approved_recommendation_dicts,
    delete_recommendation,
    dismiss_recommendation_request,
    hide_recommendation,
    list_recommendation_requests,
    list_recommendations,
    recommendation_dict,
    request_recommendation,
    write_recommendation,
)
from maillon.network.signals import (
    recommendation_approved,
    recommendation_requested,
    recommendation_written,
)
from maillon.tenancy.models import Instance
from tests.network.test_endorsements import connect

TEXT = "Ana led our lab's data platform with care.\nEveryone learnt from her."


def _get(member):
    return db.session.get(Member, member.id)


@pytest.fixture
def trio(create_member, instances):
    """Ana is recommended by Bob (a connection); Carl is a connection of Bob only."""
    ana, bob, carl = (create_member("reseau", name=n) for n in ("Ana", "Bob", "Carl"))
    instance = instances["reseau"]
    connect(instance, ana, bob)
    connect(instance, bob, carl)
    return instance, ana, bob, carl


def _write(instance, author, recipient, text=TEXT, relationship="same_team", **kw):
    return write_recommendation(db.session, instance, _get(author), recipient.id,
                                relationship=relationship, text=text, **kw)


def test_connection_writes_a_pending_recommendation(trio):
    instance, ana, bob, _ = trio
    row, created = _write(instance, bob, ana, text="  " + TEXT + "\r\n")
    assert created and row.status == "pending"
    assert row.text == TEXT  # trimmed, line breaks normalised
    assert row.relationship_kind == "same_team"


def test_only_first_degree_connections_write(trio):
    instance, ana, _, carl = trio
    with pytest.raises(Forbidden) as refused:
        _write(instance, carl, ana)
    assert refused.value.code == "not_connected"
    with pytest.raises(ServiceError) as selfish:
        _write(instance, ana, ana)
    assert selfish.value.code == "cannot_recommend_self"
    assert db.session.scalar(select(func.count(Recommendation.id))) == 0


@pytest.mark.parametrize("relationship, detail, text, field", [
    ("same_team", "", "Too short.", "text"),
    ("same_team", "", "x" * 3001, "text"),
    ("same_team", "", "Bell \x07 characters are not allowed here.", "text"),
    ("colleague", "", TEXT, "relationship"),
    ("other", "", TEXT, "relationship_detail"),
])
def test_invalid_recommendations_are_refused(trio, relationship, detail, text, field):
    instance, ana, bob, _ = trio
    with pytest.raises(ValidationFailed) as invalid:
        _write(instance, bob, ana, text=text, relationship=relationship,
               relationship_detail=detail)
    assert field in invalid.value.fields


def test_other_relationship_keeps_its_free_text(trio):
    instance, ana, bob, _ = trio
    row, _created = _write(instance, bob, ana, relationship="other",
                           relationship_detail=" Co-founded  a choir ")
    assert row.relationship_detail == "Co-founded a choir"


def test_only_approved_recommendations_are_public(trio, create_member):
    instance, ana, bob, carl = trio
    row, _ = _write(instance, bob, ana)
    outsider = _get(carl)
    assert list_recommendations(db.session, instance, outsider, _get(ana)) == []
    assert list_recommendations(db.session, instance, None, _get(ana)) == []
    with pytest.raises(NotFound):
        access_recommendation(db.session, instance, outsider, row.id)
    # pending: visible to its author and to the recommended member
    assert [r.id for r in list_recommendations(db.session, instance, _get(bob), _get(ana))] == [
        row.id]
    assert [r.id for r in list_recommendations(db.session, instance, _get(ana), _get(ana))] == [
        row.id]
    approve_recommendation(db.session, instance, _get(ana), row.id)
    assert [r.id for r in list_recommendations(db.session, instance, outsider, _get(ana))] == [
        row.id]
    hide_recommendation(db.session, instance, _get(ana), row.id)
    assert list_recommendations(db.session, instance, outsider, _get(ana)) == []
    assert list_recommendations(db.session, instance, _get(ana), _get(ana))[0].status == "hidden"
    approve_recommendation(db.session, instance, _get(ana), row.id)  # shown again
    assert access_recommendation(db.session, instance, outsider, row.id).status == "approved"


def test_only_the_recommended_member_approves_or_hides(trio):
    instance, ana, bob, carl = trio
    row, _ = _write(instance, bob, ana)
    with pytest.raises(Forbidden) as refused:
        approve_recommendation(db.session, instance, _get(bob), row.id)
    assert refused.value.code == "not_allowed"
    with pytest.raises(NotFound):  # a pending one does not exist for others
        approve_recommendation(db.session, instance, _get(carl), row.id)
    approve_recommendation(db.session, instance, _get(ana), row.id)
    with pytest.raises(Forbidden):
        hide_recommendation(db.session, instance, _get(carl), row.id)
    with pytest.raises(Forbidden):
        delete_recommendation(db.session, instance, _get(carl), row.id)


def test_editing_replaces_and_goes_back_to_pending(trio):
    instance, ana, bob, _ = trio
    row, _ = _write(instance, bob, ana)
    approve_recommendation(db.session, instance, _get(ana), row.id)
    same, created = _write(instance, bob, ana)  # the same text again: nothing changes
    assert not created and same.status == "approved"
    edited, created = _write(instance, bob, ana, text=TEXT + " She also mentored interns.")
    assert not created and edited.id == row.id and edited.status == "pending"
    assert db.session.scalar(select(func.count(Recommendation.id))) == 1
    assert list_recommendations(db.session, instance, None, _get(ana)) == []


def test_recommended_member_or_author_deletes(trio, create_member):
    instance, ana, bob, carl = trio
    row, _ = _write(instance, bob, ana)
    delete_recommendation(db.session, instance, _get(ana), row.id)
    assert db.session.scalar(select(func.count(Recommendation.id))) == 0
    row, _ = _write(instance, bob, carl)
    delete_recommendation(db.session, instance, _get(bob), row.id)  # the author withdraws it
    assert db.session.scalar(select(func.count(Recommendation.id))) == 0


def test_signals_are_sent_with_the_session(trio):
    instance, ana, bob, _ = trio
    events = []

    def record(name):
        def receiver(session, **kwargs):
            assert session is db.session
            events.append((name, kwargs["actor"].id, kwargs["recipient"].id))
        return receiver

    written, approved, requested = (record("written"), record("approved"),
                                    record("requested"))
    with recommendation_written.connected_to(written), \
            recommendation_approved.connected_to(approved), \
            recommendation_requested.connected_to(requested):
        request_recommendation(db.session, instance, _get(ana), bob.id)
        request_recommendation(db.session, instance, _get(ana), bob.id)  # still open: no repeat
        row, _ = _write(instance, bob, ana)
        approve_recommendation(db.session, instance, _get(ana), row.id)
        approve_recommendation(db.session, instance, _get(ana), row.id)
    assert events == [("requested", ana.id, bob.id), ("written", bob.id, ana.id),
                      ("approved", ana.id, bob.id)]


def test_asking_for_a_recommendation(trio):
    instance, ana, bob, carl = trio
    asked, created = request_recommendation(db.session, instance, _get(ana), bob.id, "Please?")
    again, created_again = request_recommendation(db.session, instance, _get(ana), bob.id)
    assert created and not created_again and again.id == asked.id
    assert [r.requester_id for r in list_recommendation_requests(
        db.session, instance, _get(bob))] == [ana.id]
    with pytest.raises(Forbidden):
        request_recommendation(db.session, instance, _get(ana), carl.id)
    _write(instance, bob, ana)  # writing answers the request
    assert db.session.get(RecommendationRequest, asked.id).status == "written"
    assert list_recommendation_requests(db.session, instance, _get(bob)) == []


def test_dismissing_a_request(trio):
    instance, ana, bob, carl = trio
    asked, _ = request_recommendation(db.session, instance, _get(ana), bob.id)
    with pytest.raises(NotFound):  # only the asked member
        dismiss_recommendation_request(db.session, instance, _get(carl), asked.id)
    dismiss_recommendation_request(db.session, instance, _get(bob), asked.id)
    assert list_recommendation_requests(db.session, instance, _get(bob)) == []
    reopened, created = request_recommendation(db.session, instance, _get(ana), bob.id)
    assert created and reopened.id == asked.id and reopened.status == "open"


def test_another_instances_recommendation_is_404(trio, create_member, instances):
    instance, ana, bob, _ = trio
    stranger = create_member("acme")
    acme = instances["acme"]
    row, _ = _write(instance, bob, ana)
    approve_recommendation(db.session, instance, _get(ana), row.id)
    with pytest.raises(NotFound):
        access_recommendation(db.session, acme, _get(stranger), row.id)
    with pytest.raises(NotFound):
        approve_recommendation(db.session, acme, _get(stranger), row.id)
    with pytest.raises(NotFound):
        write_recommendation(db.session, instance, _get(bob), stranger.id,
                             relationship="same_team", text=TEXT)
    with pytest.raises(NotFound):
        request_recommendation(db.session, instance, _get(bob), stranger.id)


def test_recommendations_by_inactive_authors_are_not_shown(trio):
    instance, ana, bob, carl = trio
    row, _ = _write(instance, bob, ana)
    approve_recommendation(db.session, instance, _get(ana), row.id)
    _get(bob).status = "suspended"
    db.session.commit()
    assert list_recommendations(db.session, instance, _get(carl), _get(ana)) == []


def test_the_api_profile_list_is_the_approved_part_of_the_full_list(trio):
    """approved_recommendation_dicts (plain rows, for GET /members/{id}) shows what anyone may
    see of list_recommendations, shaped as recommendation_dict: neither a pending one nor
    one by an author suspended since."""
    instance, ana, bob, carl = trio
    row, _ = _write(instance, bob, ana)
    assert approved_recommendation_dicts(db.session, instance, _get(ana)) == []
    approve_recommendation(db.session, instance, _get(ana), row.id)

    expected = [recommendation_dict(r) for r in list_recommendations(
        db.session, instance, _get(carl), _get(ana))]
    assert len(expected) == 1
    assert approved_recommendation_dicts(db.session, instance, _get(ana)) == expected
    _get(bob).status = "suspended"
    db.session.commit()
    assert approved_recommendation_dicts(db.session, instance, _get(ana)) == []


# --- pages ----------------------------------------------------------------------------------

XSS = "<script>alert('x')</script> Ana was <b>great</b> to work with.\nSecond line."


@pytest.fixture
def acme_trio(app, create_member):
    """Acme (English): Ana and Bob are connected; Carl is connected to Bob only."""
    ana, bob, carl = (create_member("acme", name=n) for n in ("Ana", "Bob", "Carl"))
    with app.app_context():
        instance = db.session.scalar(select(Instance).where(Instance.slug == "acme"))
        connect(instance, ana, bob)
        connect(instance, bob, carl)
    return ana, bob, carl


def _recommendation(app):
    with app.app_context():
        row = db.session.scalar(select(Recommendation))
        if row is not None:
            db.session.expunge(row)
        return row


def test_write_approve_and_show_escaped(app, acme_trio, login):
    ana, bob, carl = acme_trio
    author = login(bob, "acme")
    form = author.get(f"/members/{ana.id}/recommend")
    assert form.status_code == 200 and 'name="relationship"' in form.get_data(as_text=True)
    sent = author.post(f"/members/{ana.id}/recommend",
                       data={"relationship": "managed_directly", "text": XSS})
    assert sent.status_code == 302
    row = _recommendation(app)
    assert row.status == "pending" and row.text == XSS
    # pending: the author sees it on the profile, an outsider does not
    assert "Waiting for approval" in author.get(f"/members/{ana.id}").get_data(as_text=True)
    outsider = login(carl, "acme")
    assert "was &lt;b&gt;great" not in outsider.get(f"/members/{ana.id}").get_data(as_text=True)
    # the recommended member approves it from their page
    recipient = login(ana, "acme")
    manage = recipient.get("/recommendations").get_data(as_text=True)
    assert "Waiting for your approval" in manage and "Bob" in manage
    assert recipient.post(f"/recommendations/{row.id}/approve").status_code == 302
    page = outsider.get(f"/members/{ana.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(" in page and "<script>alert(" not in page
    assert "&lt;b&gt;great&lt;/b&gt; to work with.<br>Second line." in page
    assert "Managed them directly" in page


def test_only_the_recommended_member_acts_from_the_pages(app, acme_trio, login):
    ana, bob, carl = acme_trio
    author = login(bob, "acme")
    author.post(f"/members/{ana.id}/recommend",
                data={"relationship": "same_team", "text": TEXT})
    row = _recommendation(app)
    response = author.post(f"/recommendations/{row.id}/approve", follow_redirects=True)
    assert "Only the recommended member can do this." in response.get_data(as_text=True)
    assert login(carl, "acme").post(f"/recommendations/{row.id}/hide").status_code == 404
    assert _recommendation(app).status == "pending"
    recipient = login(ana, "acme")
    recipient.post(f"/recommendations/{row.id}/hide")
    assert _recommendation(app).status == "hidden"
    recipient.post(f"/recommendations/{row.id}/delete")
    assert _recommendation(app) is None


def test_form_errors_and_non_connections(app, acme_trio, login):
    ana, bob, carl = acme_trio
    author = login(bob, "acme")
    short = author.post(f"/members/{ana.id}/recommend",
                        data={"relationship": "other", "text": "Too short."})
    assert short.status_code == 422
    assert _recommendation(app) is None
    stranger = login(carl, "acme")
    page = stranger.get(f"/members/{ana.id}/recommend").get_data(as_text=True)
    assert "Only your direct connections can be recommended." in page
    refused = stranger.post(f"/members/{ana.id}/recommend",
                            data={"relationship": "same_team", "text": TEXT})
    assert refused.status_code == 403 and _recommendation(app) is None


def test_asking_shows_on_the_asked_members_page(app, acme_trio, login):
    ana, bob, _ = acme_trio
    asker = login(ana, "acme")
    profile = asker.get(f"/members/{bob.id}").get_data(as_text=True)
    assert f'action="/members/{bob.id}/ask-recommendation"' in profile
    asker.post(f"/members/{bob.id}/ask-recommendation", data={"message": "Would you?"})
    assert "You asked Bob for a recommendation." in asker.get(
        f"/members/{bob.id}").get_data(as_text=True)
    page = login(bob, "acme").get("/recommendations").get_data(as_text=True)
    assert "Ana asked you for a recommendation." in page
    assert f'href="/members/{ana.id}/recommend"' in page


def test_another_instances_recommendation_page_is_404(app, acme_trio, login, create_member):
    ana, bob, _ = acme_trio
    login(bob, "acme").post(f"/members/{ana.id}/recommend",
                            data={"relationship": "same_team", "text": TEXT})
    row = _recommendation(app)
    other = login(create_member("reseau"), "reseau")
    assert other.post(f"/recommendations/{row.id}/approve").status_code == 404
    assert other.get(f"/members/{ana.id}/recommend").status_code == 404
