"""Notifications: in-app rows and e-mails per preferences, unread counts, isolation."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from maillon.db import db
from maillon.errors import ValidationFailed
from maillon.members.models import Member
from maillon.network import services as network
from maillon.network import signals
from maillon.notifications import services
from maillon.notifications.models import Notification
from maillon.tenancy.models import Instance


def _instance(slug: str) -> Instance:
    return db.session.scalars(select(Instance).where(Instance.slug == slug)).one()


def _member(member: Member) -> Member:
    loaded = db.session.get(Member, member.id)
    assert loaded is not None
    return loaded


def _request(app: Flask, slug: str, a: Member, b: Member) -> int:
    with app.app_context():
        row = network.request_connection(db.session, _instance(slug), _member(a), b.id,
                                         message="We met at the workshop.")
        return row.id


def _accept(app: Flask, slug: str, b: Member, connection_id: int) -> None:
    with app.app_context():
        network.accept_connection(db.session, _instance(slug), _member(b), connection_id)


def _notifications(app: Flask, slug: str, member: Member) -> list[Notification]:
    with app.app_context():
        return services.list_notifications(db.session, _instance(slug), _member(member))[1]


def _set_prefs(app: Flask, slug: str, member: Member, prefs: dict[str, Any]) -> None:
    with app.app_context():
        services.update_preferences(db.session, _instance(slug), _member(member), prefs)


def test_connection_request_notifies_the_addressee_in_app_and_by_email(
        app: Flask, create_member: Callable[..., Member], mail: Any,
        run_jobs: Callable[[], int]) -> None:
    alice = create_member("acme", name="Alice Martin", locale="en")
    bob = create_member("acme", name="Bob Stone", locale="en")
    connection_id = _request(app, "acme", alice, bob)
    rows = _notifications(app, "acme", bob)
    assert [(n.kind, n.actor_id, n.subject_type, n.subject_id) for n in rows] == [
        ("connection_requested", alice.id, "connections", connection_id)]
    assert _notifications(app, "acme", alice) == []  # nobody is told about their own action
    run_jobs()
    messages = mail.to(bob.email)
    assert len(messages) == 1
    assert messages[0]["Subject"].startswith("Alice Martin wants to connect with you on ")
    body = mail.body(messages[0])
    assert "Hello Bob Stone," in body
    assert "We met at the workshop." in body
    assert "http://acme.localhost/network" in body
    assert "/settings/notifications" in body
    assert mail.to(alice.email) == []


def test_no_email_when_the_email_preference_is_off(
        app: Flask, create_member: Callable[..., Member], mail: Any,
        run_jobs: Callable[[], int]) -> None:
    alice, bob = create_member("acme", locale="en"), create_member("acme", locale="en")
    _set_prefs(app, "acme", bob, {"connection_requested": {"email": False}})
    _request(app, "acme", alice, bob)
    run_jobs()
    assert mail.to(bob.email) == []
    assert [n.kind for n in _notifications(app, "acme", bob)] == ["connection_requested"]


def test_no_in_app_row_when_the_app_preference_is_off(
        app: Flask, create_member: Callable[..., Member], mail: Any,
        run_jobs: Callable[[], int]) -> None:
    alice, bob = create_member("acme", locale="en"), create_member("acme", locale="en")
    _set_prefs(app, "acme", bob, {"connection_requested": {"app": False, "email": True}})
    _request(app, "acme", alice, bob)
    run_jobs()
    assert _notifications(app, "acme", bob) == []
    assert len(mail.to(bob.email)) == 1


def test_acceptance_notifies_the_requester(
        app: Flask, create_member: Callable[..., Member], mail: Any,
        run_jobs: Callable[[], int]) -> None:
    alice = create_member("acme", name="Alice Martin", locale="en")
    bob = create_member("acme", name="Bob Stone", locale="en")
    connection_id = _request(app, "acme", alice, bob)
    _accept(app, "acme", bob, connection_id)
    rows = _notifications(app, "acme", alice)
    assert [(n.kind, n.actor_id) for n in rows] == [("connection_accepted", bob.id)]
    with app.app_context():
        assert services.describe(rows[0]) == "Bob Stone accepted your invitation to connect"
        assert services.link_for(rows[0]) == ("network.trust", {"connection_id": connection_id})
    run_jobs()
    [message] = mail.to(alice.email)
    assert "Bob Stone accepted your invitation" in message["Subject"]
    assert f"/network/connections/{connection_id}/trust" in mail.body(message)


def test_email_is_written_in_the_recipients_language(
        app: Flask, create_member: Callable[..., Member], mail: Any,
        run_jobs: Callable[[], int]) -> None:
    alice = create_member("reseau", name="Alice Martin", locale="en")
    bob = create_member("reseau", name="Bob Stone", locale="fr")
    _request(app, "reseau", alice, bob)
    run_jobs()
    [message] = mail.to(bob.email)
    assert "Alice Martin souhaite" in message["Subject"]
    assert "Bonjour Bob Stone," in mail.body(message)


def test_no_email_to_a_member_who_is_not_active(
        app: Flask, create_member: Callable[..., Member], mail: Any,
        run_jobs: Callable[[], int]) -> None:
    alice = create_member("acme", locale="en")
    bob = create_member("acme", locale="en", status="suspended")
    with app.app_context():
        services.notify(db.session, _instance("acme"), _member(bob), "connection_requested",
                        actor=_member(alice))
        db.session.commit()
    run_jobs()
    assert mail.to(bob.email) == []
    assert len(_notifications(app, "acme", bob)) == 1


def test_endorsement_and_recommendation_events_are_relayed(
        app: Flask, create_member: Callable[..., Member]) -> None:
    alice = create_member("acme", name="Alice Martin", locale="en")
    bob = create_member("acme", name="Bob Stone", locale="en", skills=["Machine Learning"])
    endorsement = SimpleNamespace(__tablename__="endorsements", id=7,
                                  skill_key="machine learning")
    with app.app_context():
        instance = _instance("acme")
        signals.skill_endorsed.send(db.session, endorsement=endorsement, actor=_member(alice),
                                    recipient=_member(bob))
        signals.recommendation_approved.send(
            db.session, recommendation=SimpleNamespace(__tablename__="recommendations", id=3),
            actor=_member(bob), recipient=_member(alice))
        db.session.commit()
        [endorsed] = services.list_notifications(db.session, instance, _member(bob))[1]
        assert endorsed.data == {"skill": "Machine Learning"}
        assert services.describe(endorsed) == "Alice Martin endorsed you for Machine Learning"
        [approved] = services.list_notifications(db.session, instance, _member(alice))[1]
        assert (approved.kind, approved.subject_id) == ("recommendation_approved", 3)


def test_unread_count_and_mark_read(app: Flask, create_member: Callable[..., Member]) -> None:
    bob = create_member("acme", locale="en")
    others = [create_member("acme", locale="en") for _ in range(3)]
    for other in others:
        _request(app, "acme", other, bob)
    with app.app_context():
        instance, me = _instance("acme"), _member(bob)
        assert services.unread_count(db.session, instance, me) == 3
        total, rows = services.list_notifications(db.session, instance, me)
        assert total == 3
        assert [n.actor_id for n in rows] == [o.id for o in reversed(others)]  # newest first
        assert services.mark_read(db.session, instance, me, [rows[0].id]) == 1
        assert services.unread_count(db.session, instance, me) == 2
        assert services.list_notifications(db.session, instance, me, unread_only=True)[0] == 2
        assert services.mark_read(db.session, instance, me) == 2
        assert services.unread_count(db.session, instance, me) == 0
        assert services.list_notifications(db.session, instance, me)[0] == 3


def test_preferences_default_then_saved(app: Flask,
                                        create_member: Callable[..., Member]) -> None:
    bob = create_member("acme")
    with app.app_context():
        instance, me = _instance("acme"), _member(bob)
        prefs = services.preferences(me)
        assert prefs["connection_requested"] == {"app": True, "email": True}
        assert prefs["skill_endorsed"] == {"app": True, "email": False}
        saved = services.update_preferences(db.session, instance, me,
                                            {"skill_endorsed": {"email": True}})
        assert saved["skill_endorsed"] == {"app": True, "email": True}
        with pytest.raises(ValidationFailed) as refused:
            services.update_preferences(db.session, instance, me, {"nope": {"app": True}})
        assert getattr(refused.value, "fields", {}) == {"nope": "unknown"}
    with app.app_context():
        assert services.preferences(_member(bob))["skill_endorsed"]["email"] is True


def test_another_instances_notifications_are_never_listed(
        app: Flask, create_member: Callable[..., Member]) -> None:
    a1, b1 = create_member("acme", locale="en"), create_member("acme", locale="en")
    a2, b2 = create_member("reseau"), create_member("reseau")
    _request(app, "acme", a1, b1)
    _request(app, "reseau", a2, b2)
    with app.app_context():
        acme, reseau = _instance("acme"), _instance("reseau")
        [own] = services.list_notifications(db.session, reseau, _member(b2))[1]
        # The acme member asked through the reseau instance sees nothing of either.
        assert services.list_notifications(db.session, reseau, _member(b1)) == (0, [])
        assert services.unread_count(db.session, reseau, _member(b1)) == 0
        with pytest.raises(NotFound):
            services.access_notification(db.session, acme, _member(b1), own.id)
        with pytest.raises(NotFound):
            services.open_notification(db.session, acme, _member(b1), own.id)
        assert services.mark_read(db.session, acme, _member(b1), [own.id]) == 0
        assert services.notify(db.session, acme, _member(b2), "connection_requested",
                               actor=_member(a1)) is None
        db.session.commit()
        assert services.unread_count(db.session, reseau, _member(b2)) == 1


def test_endorsements_and_recommendations_notify_through_their_services(
        app: Flask, create_member: Callable[..., Member], mail: Any,
        run_jobs: Callable[[], int]) -> None:
    from maillon.network import endorsements, recommendations

    alice = create_member("acme", name="Alice Martin", locale="en")
    bob = create_member("acme", name="Bob Stone", locale="en", skills=["Python"])
    _accept(app, "acme", bob, _request(app, "acme", alice, bob))
    with app.app_context():
        instance = _instance("acme")
        endorsements.endorse_skill(db.session, instance, _member(alice), bob.id, "python")
        recommendations.request_recommendation(db.session, instance, _member(bob), alice.id,
                                               "Could you say a word about our project?")
        row, _ = recommendations.write_recommendation(
            db.session, instance, _member(alice), bob.id, relationship="same_team",
            text="Bob led our data project with care and rigour.")
        recommendations.approve_recommendation(db.session, instance, _member(bob), row.id)
        kinds_bob = [n.kind for n in services.list_notifications(
            db.session, instance, _member(bob))[1]]
        kinds_alice = [n.kind for n in services.list_notifications(
            db.session, instance, _member(alice))[1]]
    assert kinds_bob == ["recommendation_written", "skill_endorsed", "connection_requested"]
    assert kinds_alice == ["recommendation_approved", "recommendation_requested",
                           "connection_accepted"]
    run_jobs()
    subjects = sorted(m["Subject"] for m in mail.messages)
    assert "Bob Stone asks you for a recommendation" in subjects
    assert "Alice Martin wrote a recommendation for you" in subjects
    assert not any("endorsed" in s or "approved" in s for s in subjects)  # off by default
    [asked] = [m for m in mail.to(alice.email) if "asks you" in m["Subject"]]
    assert "Could you say a word about our project?" in mail.body(asked)
    # Each e-mail leads straight to where the member acts: the form, the approval page.
    asked_lines = mail.body(asked).splitlines()
    assert f"http://acme.localhost/members/{bob.id}/recommend" in asked_lines
    [written] = [m for m in mail.to(bob.email) if "wrote a recommendation" in m["Subject"]]
    assert "http://acme.localhost/recommendations" in mail.body(written).splitlines()
    assert "\n\n\n" not in "\n".join(asked_lines)  # no run of blank lines
