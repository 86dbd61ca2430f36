"""Introduction steps notify whoever must act, the requester (never naming who stopped it),
the chain on the outcome; direct messages; e-mails; isolation between instances."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale
from werkzeug.exceptions import NotFound

from maillon.db import db, utcnow
from maillon.introductions import services as intros
from maillon.notifications import services
from tests.introductions.world import MESSAGE, World


@pytest.fixture
def world(app, create_member):
    return World(app, create_member, slug="acme")  # English; chain visibility: first link only


@pytest.fixture
def line(world, run_jobs, mail):
    """Requester - Alice - Bob - Target: a three-link chain, the only one."""
    ids = [world.member(name, locale="en") for name in (
        "Rita Requester", "Alice Relay", "Bob Secretname", "Tom Target")]
    world.chain(*ids, trust=4)
    quiet(run_jobs, mail)
    return ids


def ask(world, r, t):
    return world.call(intros.request_introduction, r, t, message=MESSAGE, purpose="research")


def told(world, member_id, locale="en"):
    """The member's introduction notifications, oldest first: (kind, actor id, sentence, link)."""
    def build(session, instance, member):
        with force_locale(locale):
            rows = services.list_notifications(session, instance, member, per_page=100)[1]
            return [(n.kind, n.actor_id, services.describe(n), services.link_for(n))
                    for n in reversed(rows) if n.kind.startswith(("introduction_", "direct_"))]

    return world.call(build, member_id)


def kinds(world, *ids):
    return [[kind for kind, *_rest in told(world, i)] for i in ids]


def email_of(world, member_id):
    with world.app.app_context():
        return world.get(member_id).email


def quiet(run_jobs, mail):
    """Send and forget the e-mails about the connections that built the world."""
    run_jobs()
    mail.messages.clear()


def mails(world, mail, member_id):
    return [(m["Subject"], mail.body(m)) for m in mail.to(email_of(world, member_id))]


def test_each_step_tells_who_must_act_then_everyone_the_outcome(world, line, mail, run_jobs):
    r, a, b, t = line
    intro = ask(world, r, t)
    link = ("introductions.detail", {"intro_id": intro.id})
    assert told(world, a) == [("introduction_requested", r,
                               "Rita Requester asks you to pass on an introduction to Tom Target",
                               link)]
    assert kinds(world, r, b, t) == [[], [], []]

    world.call(intros.forward_introduction, a, intro.id, note="Bob, she is worth your time",
               vouch="Sharp")
    assert told(world, b) == [(
        "introduction_forwarded", a,
        "Alice Relay asks you to pass on a request from Rita Requester to meet Tom Target", link)]
    world.call(intros.forward_introduction, b, intro.id, note="Tom, meet Rita")
    assert told(world, t) == [(
        "introduction_delivered", b,
        "Bob Secretname passed you a request from Rita Requester to be introduced to you", link)]
    assert kinds(world, r, a) == [[], ["introduction_requested"]]

    world.call(intros.accept_introduction, t, intro.id, message="Happy to talk")
    assert told(world, r) == [("introduction_accepted", t,
                               "Tom Target accepted your introduction request", link)]
    for relay in (a, b):
        assert told(world, relay)[-1] == (
            "introduction_concluded", t,
            "The introduction from Rita Requester to Tom Target was accepted", link)
    world.call(intros.thank_chain, t, intro.id, message="Thank you both!")
    assert kinds(world, r, a, b, t) == [
        ["introduction_accepted"],
        ["introduction_requested", "introduction_concluded", "introduction_thanked"],
        ["introduction_forwarded", "introduction_concluded", "introduction_thanked"],
        ["introduction_delivered"]]
    assert told(world, a)[-1][2] == (
        "Tom Target thanks you for passing on the introduction from Rita Requester")

    run_jobs()
    page = f"http://acme.localhost/introductions/{intro.id}"
    [(subject, body)] = mails(world, mail, a)
    assert subject == "Rita Requester asks you to pass on an introduction to Tom Target"
    assert "Hello Alice Relay," in body and MESSAGE in body and page in body
    [(subject, body)] = mails(world, mail, b)
    assert "Bob, she is worth your time" in body and page in body
    [(subject, body)] = mails(world, mail, t)
    assert subject == "Rita Requester asks to be introduced to you"
    assert MESSAGE in body and "Tom, meet Rita" in body and page in body
    assert "Bob, she is worth your time" not in body  # Alice's note was for Bob only
    [(subject, body)] = mails(world, mail, r)
    assert subject == "Tom Target accepted your introduction request"
    assert "Happy to talk" in body and page in body


def test_the_requester_never_learns_who_declined(world, line, mail, run_jobs):
    r, a, b, t = line
    intro = ask(world, r, t)
    world.call(intros.forward_introduction, a, intro.id)
    world.call(intros.decline_introduction, b, intro.id, reason="Not my field")
    [(kind, actor, sentence, link)] = told(world, r)
    assert (kind, actor) == ("introduction_declined", None)
    assert sentence == ("Your request to meet Tom Target stopped on the way; you can try "
                        "another chain")
    assert link == ("introductions.detail", {"intro_id": intro.id})
    assert kinds(world, a, t) == [["introduction_requested"], []]
    run_jobs()
    [(subject, body)] = mails(world, mail, r)
    assert subject == "Your request to meet Tom Target stopped on the way"
    assert "try another chain" in body
    for text in (subject, body, sentence):
        assert "Bob" not in text and "Secretname" not in text and "Alice" not in text


def test_the_requester_never_learns_who_let_it_expire(world, line, mail, run_jobs):
    r, a, b, t = line
    intro = ask(world, r, t)
    world.call(intros.forward_introduction, a, intro.id)
    with world.app.app_context():
        assert intros.expire_overdue(db.session, utcnow() + timedelta(days=30)) == 1
    [(kind, actor, sentence, _link)] = told(world, r)
    assert (kind, actor) == ("introduction_expired", None)
    assert "Tom Target" in sentence
    run_jobs()
    [(subject, body)] = mails(world, mail, r)
    assert subject == "Your request to meet Tom Target got no answer in time"
    for text in (subject, body, sentence):
        assert "Secretname" not in text and "Alice" not in text


def test_advice_reaches_the_requester_named_only_if_they_may_see_the_adviser(
        world, line, mail, run_jobs):
    r, a, b, t = line
    intro = ask(world, r, t)
    world.call(intros.forward_introduction, a, intro.id)
    world.call(intros.advise_introduction, b, intro.id,
               advice="Write to Tom's lab secretary first.")
    # acme shows the requester only the first link: Bob, second, stays unnamed.
    [(kind, actor, sentence, _link)] = told(world, r)
    assert (kind, actor) == ("introduction_advised", None)
    assert sentence == "You received advice instead of an introduction to Tom Target"
    # Alice, Bob's neighbour, may know him.
    assert told(world, a)[-1][:3] == (
        "introduction_concluded", b, "The request from Rita Requester to meet Tom Target ended "
        "with advice instead of an introduction")
    run_jobs()
    [(subject, body)] = mails(world, mail, r)
    assert "Write to Tom's lab secretary first." in body
    assert "Secretname" not in subject + body
    assert len(mails(world, mail, a)) == 1  # the request; outcomes reach relays in-app only


def test_rejection_and_a_first_degree_request(world, mail, run_jobs):
    r, t = (world.member(name, locale="en") for name in ("Rita Requester", "Tom Target"))
    world.connect(r, t)
    quiet(run_jobs, mail)
    intro = ask(world, r, t)
    assert intro.status == "delivered"
    assert told(world, t)[0][:3] == ("introduction_delivered", r,
                                     "Rita Requester asks to be introduced to you")
    world.call(intros.reject_introduction, t, intro.id, message="Not this quarter, sorry")
    assert told(world, r)[0][:3] == ("introduction_rejected", t,
                                     "Tom Target declined your introduction request")
    run_jobs()
    [(subject, body)] = mails(world, mail, r)
    assert subject == "Tom Target declined your introduction request"
    assert "Not this quarter, sorry" in body


def test_direct_message_notifies_the_recipient(world, mail, run_jobs):
    r, t = (world.member(name, locale="en") for name in ("Rita Requester", "Tom Target"))
    world.connect(r, t)
    quiet(run_jobs, mail)
    text = "Hello Tom, " + "I would love to compare notes on graph partitioning. " * 5
    world.call(intros.send_direct_message, r, t, text)
    [(kind, actor, sentence, link)] = told(world, t)
    assert (kind, actor, link) == ("direct_message", r, ("introductions.messages", {}))
    assert sentence.startswith("Rita Requester sent you a message: “Hello Tom, I would love")
    assert sentence.endswith("…”") and len(sentence) < 200
    run_jobs()
    [message] = mail.to(email_of(world, t))
    assert message["Subject"].startswith("Rita Requester sent you a message on ")
    assert text.strip() in mail.body(message)


def test_defaults_email_what_needs_an_action_and_the_requesters_outcomes(world):
    member = world.member(locale="en")

    def prefs(session, instance, me):
        return services.preferences(me)

    got = world.call(prefs, member)
    for kind in ("introduction_requested", "introduction_forwarded", "introduction_delivered",
                 "introduction_declined", "introduction_expired", "introduction_advised",
                 "introduction_accepted", "introduction_rejected", "direct_message"):
        assert got[kind] == {"app": True, "email": True}, kind
    for kind in ("introduction_concluded", "introduction_thanked"):
        assert got[kind] == {"app": True, "email": False}, kind


def test_instances_are_kept_apart_and_emails_speak_the_members_language(
        app, create_member, world, line, mail, run_jobs):
    r, a, b, t = line
    ask(world, r, t)
    fr = World(app, create_member, slug="reseau")
    r2, a2, t2 = (fr.member(name, locale="fr") for name in ("Rémi", "Anne Relais", "Théo"))
    fr.chain(r2, a2, t2)
    quiet(run_jobs, mail)
    intro2 = fr.call(intros.request_introduction, r2, t2, message=MESSAGE, purpose="advice")
    assert kinds(fr, a2) == [["introduction_requested"]]
    assert kinds(world, a) == [["introduction_requested"]]
    [(_kind, _actor, sentence, _link)] = told(fr, a2, locale="fr")
    assert sentence == ("Rémi vous demande de transmettre une demande de mise en relation "
                        "avec Théo")

    def newest(session, instance, member):
        return services.list_notifications(session, instance, member)[1][0].id

    own = {a: world.call(newest, a), a2: fr.call(newest, a2)}
    with app.app_context():  # each member, asked through the other instance: nothing, 404
        for elsewhere, member in ((fr, a), (world, a2)):
            instance, someone, theirs = elsewhere.instance(), world.get(member), own[member]
            assert services.list_notifications(db.session, instance, someone) == (0, [])
            with pytest.raises(NotFound):
                services.access_notification(db.session, instance, someone, theirs)
            with pytest.raises(NotFound):
                services.open_notification(db.session, instance, someone, theirs)
    run_jobs()
    [french] = mail.to(email_of(fr, a2))
    assert french["Subject"] == sentence
    assert "Bonjour Anne Relais," in mail.body(french)
    assert f"/introductions/{intro2.id}" in mail.body(french)


def test_withdrawal_tells_the_current_holder(app, create_member):
    """Whoever holds a request when it is withdrawn learns they have nothing more to do."""
    from sqlalchemy import select

    from maillon.db import db
    from maillon.introductions import services as intro_services
    from maillon.members.models import Member
    from maillon.network import services as network
    from maillon.notifications.models import Notification
    from maillon.tenancy.models import Instance

    requester, relay, target = (create_member("acme", locale="en") for _ in range(3))
    with app.app_context():
        instance = db.session.scalar(select(Instance).where(Instance.slug == "acme"))
        for a, b in ((requester, relay), (relay, target)):
            row = network.request_connection(db.session, instance, db.session.get(Member, a.id),
                                             b.id)
            network.accept_connection(db.session, instance, db.session.get(Member, b.id), row.id)
        intro = intro_services.request_introduction(
            db.session, instance, db.session.get(Member, requester.id), target.id,
            message="I would like to talk about supply chains with you.", purpose="business")
        intro_services.withdraw_introduction(db.session, instance,
                                             db.session.get(Member, requester.id), intro.id)
        kinds = list(db.session.scalars(select(Notification.kind).where(
            Notification.member_id == relay.id)))
        assert kinds.count("introduction_withdrawn") == 1
        assert not db.session.scalars(select(Notification.kind).where(
            Notification.member_id == target.id,
            Notification.kind == "introduction_withdrawn")).all()
