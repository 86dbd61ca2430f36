"""Organisation notifications: admins told of a claim to confirm, the member of the answer."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from maillon.db import db
from maillon.members.models import Member
from maillon.notifications.models import Notification
from maillon.organisations import services
from tests.organisations.world import OrgWorld


@pytest.fixture
def world(app: Flask, create_member: Callable[..., Member]) -> OrgWorld:
    return OrgWorld(app, create_member, "academia")


def _kinds(world: OrgWorld, member: int) -> list[tuple[str, dict]]:
    with world.app.app_context():
        return [
            (n.kind, n.data)
            for n in db.session.scalars(
                select(Notification)
                .where(Notification.member_id == member)
                .order_by(Notification.id)
            )
        ]


def test_admins_are_told_of_a_claim_and_the_member_of_the_answer(world: OrgWorld) -> None:
    ana = world.verified("Ana", "ana@ibv.example.fr")
    org = world.organisation(ana, "IBV")
    bob = world.member("Bob")
    world.call(services.add_admin, ana, org, bob)
    eve = world.member("Eve")
    claim = world.call(services.claim_affiliation, eve, org, {"role": "PhD"})[0]
    world.call(services.claim_affiliation, eve, org, {"role": "PhD student"})  # no second one
    expected = ("affiliation_claimed", {"organisation_id": org, "organisation": "IBV"})
    assert _kinds(world, ana) == [expected] and _kinds(world, bob) == [expected]
    world.call(services.confirm_affiliation, bob, claim.id)
    assert _kinds(world, eve) == [
        ("affiliation_decided", {"organisation_id": org, "organisation": "IBV", "confirmed": True})
    ]


def test_a_claim_confirmed_by_domain_tells_nobody(world: OrgWorld) -> None:
    ana = world.verified("Ana", "ana@ibv.example.fr")
    org = world.organisation(ana, "IBV", email_domains=["ibv.example.fr"])
    carl = world.verified("Carl", "carl@ibv.example.fr")
    assert world.call(services.claim_affiliation, carl, org, {})[0].status == "confirmed"
    assert _kinds(world, ana) == [] and _kinds(world, carl) == []


def test_a_declined_claim_is_told_and_the_email_goes_out(world: OrgWorld, run_jobs, mail) -> None:
    ana = world.verified("Ana", "ana@ibv.example.fr")
    org = world.organisation(ana, "IBV")
    eve = world.member("Eve", email="eve@example.org")
    claim = world.call(services.claim_affiliation, eve, org, {})[0]
    world.call(services.decline_affiliation, ana, claim.id)
    assert [k for k, _ in _kinds(world, eve)] == ["affiliation_decided"]
    run_jobs()
    (message,) = mail.to("ana@ibv.example.fr")  # admins get claims by e-mail too
    assert "IBV" in message["Subject"]


def test_the_admins_notification_leads_to_the_claims(world: OrgWorld, login) -> None:
    ana = world.verified("Ana", "ana@ibv.example.fr")
    org = world.organisation(ana, "IBV")
    eve = world.member("Eve")
    world.call(services.claim_affiliation, eve, org, {})
    with world.app.app_context():
        admin = world.get(ana)
        db.session.expunge(admin)
    client = login(admin, "academia")
    page = client.get("/notifications").get_data(as_text=True)
    assert "Eve dit faire partie d’IBV" in page
    with world.app.app_context():
        note = db.session.scalar(select(Notification.id).where(Notification.member_id == ana))
    opened = client.get(f"/notifications/{note}")
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith(f"/organisations/{org}/claims")
