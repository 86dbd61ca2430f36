"""Organisations: who creates and manages them, and how affiliations are claimed and decided."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from maillon.db import db
from maillon.errors import Conflict, Forbidden, ServiceError, ValidationFailed
from maillon.members.models import Member
from maillon.moderation.models import AuditEntry
from maillon.organisations import services
from maillon.organisations.models import Affiliation, Organisation, OrganisationAdmin
from tests.organisations.world import OrgWorld


@pytest.fixture
def world(app: Flask, create_member: Callable[..., Member]) -> OrgWorld:
    return OrgWorld(app, create_member, "academia")


def test_the_creator_becomes_its_admin_and_a_repeat_replays(world: OrgWorld) -> None:
    ana = world.verified("Ana", "ana@ibv.example.fr")
    org, created = world.call(
        services.create_organisation,
        ana,
        {"name": "IBV lab", "sector": "research", "email_domains": ["ibv.example.fr"]},
    )
    again, created_again = world.call(services.create_organisation, ana, {"name": " ibv  LAB "})
    assert created and not created_again and again.id == org.id
    with world.app.app_context():
        admins = db.session.scalars(
            select(OrganisationAdmin.member_id).where(OrganisationAdmin.organisation_id == org.id)
        ).all()
        assert admins == [ana]
        assert (
            db.session.scalar(select(Organisation.name).where(Organisation.id == org.id))
            == "IBV lab"
        )


def test_another_member_cannot_take_a_name_in_use(world: OrgWorld) -> None:
    ana = world.verified("Ana", "ana@ibv.example.fr")
    bob = world.verified("Bob", "bob@ibv.example.fr")
    world.organisation(ana, "IBV lab")
    with pytest.raises(Conflict) as refused:
        world.call(services.create_organisation, bob, {"name": "IBV LAB"})
    assert refused.value.code == "organisation_exists"


def test_an_unverified_member_cannot_create_one(world: OrgWorld) -> None:
    eve = world.member("Eve")
    with pytest.raises(Forbidden) as refused:
        world.call(services.create_organisation, eve, {"name": "Eve Corp"})
    assert refused.value.code == "email_not_verified"


def test_only_ones_own_domain_may_be_attached(world: OrgWorld) -> None:
    """A domain confirms claims by itself: attaching someone else's would let anyone in."""
    ana = world.verified("Ana", "ana@ibv.example.fr")
    with pytest.raises(ValidationFailed) as refused:
        world.call(
            services.create_organisation,
            ana,
            {"name": "Fake LISC", "email_domains": ["lisc.example.fr"]},
        )
    assert "email_domains" in refused.value.fields
    admin = world.verified("Adm", "adm@academia.example", role="admin")
    org = world.organisation(admin, "LISC", email_domains=["lisc.example.fr"])
    assert org


def test_daily_cap_on_creations(world: OrgWorld) -> None:
    ana = world.verified("Ana", "ana@ibv.example.fr")
    for n in range(services.DAILY_CREATIONS):
        world.organisation(ana, f"Org {n}")
    with pytest.raises(Forbidden) as refused:
        world.organisation(ana, "One too many")
    assert refused.value.code == "quota_exceeded"


def test_a_verified_address_at_a_domain_confirms_at_once(world: OrgWorld) -> None:
    ana = world.verified("Ana", "ana@ibv.example.fr")
    org = world.organisation(ana, "IBV", email_domains=["ibv.example.fr"])
    carl = world.verified("Carl", "carl@ibv.example.fr")
    dan = world.member("Dan", email="dan@ibv.example.fr")  # not verified
    eve = world.verified("Eve", "eve@elsewhere.example.org")
    rows = {
        m: world.call(services.claim_affiliation, m, org, {"role": "PhD"})[0]
        for m in (carl, dan, eve)
    }
    assert rows[carl].status == "confirmed" and rows[carl].confirmed_by == "domain"
    assert rows[dan].status == "pending" and rows[eve].status == "pending"


def test_admins_confirm_or_decline_and_members_may_not(world: OrgWorld) -> None:
    ana = world.verified("Ana", "ana@ibv.example.fr")
    org = world.organisation(ana, "IBV")
    eve, fay = world.members("Eve", "Fay")
    claim = world.call(services.claim_affiliation, eve, org, {"role": "Intern"})[0]
    with pytest.raises(NotFound):  # a pending claim is hidden from other members
        world.call(services.confirm_affiliation, fay, claim.id)
    confirmed = world.call(services.confirm_affiliation, ana, claim.id)
    assert (confirmed.status, confirmed.confirmed_by) == ("confirmed", "admin")
    assert world.call(services.confirm_affiliation, ana, claim.id).status == "confirmed"
    with pytest.raises(Conflict):
        world.call(services.decline_affiliation, ana, claim.id)
    with pytest.raises(Forbidden):  # confirmed: public, but not theirs to end
        world.call(services.end_affiliation, fay, claim.id)
    other = world.call(services.claim_affiliation, fay, org, {})[0]
    assert world.call(services.decline_affiliation, ana, other.id).status == "declined"
    again, renewed = world.call(services.claim_affiliation, fay, org, {"role": "Engineer"})
    assert renewed and again.id == other.id and again.status == "pending"


def test_pending_claims_are_hidden_from_other_members(world: OrgWorld) -> None:
    ana = world.verified("Ana", "ana@ibv.example.fr")
    org = world.organisation(ana, "IBV")
    eve, fay = world.members("Eve", "Fay")
    claim = world.call(services.claim_affiliation, eve, org, {})[0]
    with pytest.raises(NotFound):
        world.call(services.access_affiliation, fay, claim.id)
    with pytest.raises(Forbidden):
        world.call(services.list_affiliations, fay, org, status="pending")
    total, rows = world.call(services.list_affiliations, ana, org, status="pending")
    assert total == 1 and rows[0].member_id == eve


def test_the_member_ends_their_claim_and_an_admin_removes_one(world: OrgWorld) -> None:
    ana = world.verified("Ana", "ana@ibv.example.fr")
    org = world.organisation(ana, "IBV")
    eve, fay = world.members("Eve", "Fay")
    mine = world.join(eve, org, confirm_by=ana)
    theirs = world.join(fay, org, confirm_by=ana)
    assert world.call(services.end_affiliation, eve, mine).status == "ended"
    assert world.call(services.end_affiliation, ana, theirs).status == "ended"
    with world.app.app_context():
        assert (
            db.session.scalar(select(Affiliation.status).where(Affiliation.id == mine)) == "ended"
        )


def test_a_claim_in_force_is_updated_not_duplicated(world: OrgWorld) -> None:
    ana = world.verified("Ana", "ana@ibv.example.fr")
    org = world.organisation(ana, "IBV")
    eve = world.member("Eve")
    first, created = world.call(services.claim_affiliation, eve, org, {"role": "PhD"})
    second, again = world.call(
        services.claim_affiliation, eve, org, {"role": "Postdoc", "current": False}
    )
    assert created and not again and first.id == second.id
    assert (second.role, second.current, second.status) == ("Postdoc", False, "pending")


def test_adding_a_domain_confirms_pending_claims_from_it(world: OrgWorld) -> None:
    ana = world.verified("Ana", "ana@ibv.example.fr")
    org = world.organisation(ana, "IBV")
    carl = world.verified("Carl", "carl@ibv.example.fr")
    claim = world.call(services.claim_affiliation, carl, org, {})[0]
    assert claim.status == "pending"
    world.call(services.update_organisation, ana, org, {"email_domains": ["ibv.example.fr"]})
    assert world.call(services.access_affiliation, carl, claim.id).status == "confirmed"


def test_editing_is_for_its_admins_and_instance_admins_are_audited(world: OrgWorld) -> None:
    ana = world.verified("Ana", "ana@ibv.example.fr")
    org = world.organisation(ana, "IBV")
    eve = world.member("Eve")
    with pytest.raises(Forbidden):
        world.call(services.update_organisation, eve, org, {"description": "Mine now"})
    world.call(services.update_organisation, ana, org, {"description": "A lab."})
    boss = world.member("Boss", role="admin")
    world.call(services.update_organisation, boss, org, {"sector": "research"})
    with world.app.app_context():
        rows = db.session.execute(
            select(AuditEntry.actor_id, AuditEntry.action, AuditEntry.subject_id)
        ).all()
        assert rows == [(boss, "organisation_managed", org)]


def test_admins_name_others_and_the_last_one_stays(world: OrgWorld) -> None:
    ana = world.verified("Ana", "ana@ibv.example.fr")
    org = world.organisation(ana, "IBV")
    bob = world.member("Bob")
    with pytest.raises(ServiceError) as refused:
        world.call(services.remove_admin, ana, org, ana)
    assert refused.value.code == "last_organisation_admin"
    world.call(services.add_admin, ana, org, bob)
    world.call(services.add_admin, ana, org, bob)  # a repeat changes nothing
    world.call(services.remove_admin, bob, org, ana)
    with world.app.app_context():
        assert db.session.scalars(
            select(OrganisationAdmin.member_id).where(OrganisationAdmin.organisation_id == org)
        ).all() == [bob]
    with pytest.raises(Forbidden):
        world.call(services.add_admin, ana, org, ana)


def test_listing_finds_by_words_and_sector_with_member_counts(world: OrgWorld) -> None:
    ana = world.verified("Ana", "ana@ibv.example.fr")
    ibv = world.organisation(ana, "IBV – Institut de biologie", sector="research")
    world.organisation(ana, "Université de Garonne", sector="higher_education")
    eve = world.member("Eve")
    world.join(eve, ibv, confirm_by=ana)
    total, rows = world.call(services.list_organisations, eve, q="biologie")
    assert total == 1 and rows[0].organisation.id == ibv and rows[0].members == 1
    total, rows = world.call(services.list_organisations, eve, sector="higher_education")
    assert [r.organisation.name for r in rows] == ["Université de Garonne"]
    total, rows = world.call(services.list_organisations, eve, q="100%_")
    assert total == 0


def test_hidden_members_are_left_out_of_the_members_list(world: OrgWorld) -> None:
    ana = world.verified("Ana", "ana@ibv.example.fr")
    org = world.organisation(ana, "IBV")
    eve = world.member("Eve")
    hid = world.member(
        "Hid", visibility={"in_directory": False, "contacts_visible_to": "connections"}
    )
    world.join(eve, org, confirm_by=ana)
    world.join(hid, org, confirm_by=ana)
    total, rows = world.call(services.list_affiliations, eve, org)
    assert [r.member_id for r in rows] == [eve]
    total, rows = world.call(services.list_affiliations, hid, org)
    assert sorted(r.member_id for r in rows) == sorted([eve, hid])


def test_a_deleted_account_leaves_no_affiliation_nor_admin_row(world: OrgWorld) -> None:
    from maillon.rights.deletion import delete_member

    ana = world.verified("Ana", "ana@ibv.example.fr")
    org = world.organisation(ana, "IBV")
    eve = world.member("Eve")
    world.join(eve, org, confirm_by=ana)
    world.call(services.add_admin, ana, org, eve)
    boss = world.member("Boss", role="admin")
    world.call(delete_member, boss, eve, reason="At the member's own request.")
    with world.app.app_context():
        assert db.session.scalar(select(Affiliation.id).where(Affiliation.member_id == eve)) is None
        assert db.session.scalars(
            select(OrganisationAdmin.member_id).where(OrganisationAdmin.organisation_id == org)
        ).all() == [ana]


def test_the_export_lists_ones_affiliations(world: OrgWorld) -> None:
    from maillon.rights.export import export_member_data

    ana = world.verified("Ana", "ana@ibv.example.fr")
    org = world.organisation(ana, "IBV")
    eve = world.member("Eve")
    world.join(eve, org, role="Engineer", current=False)
    exported = world.run(lambda s, i: export_member_data(s, i, world.get(eve)))
    assert exported["organisations"] == [
        {
            "organisation": {"id": org, "name": "IBV"},
            "role": "Engineer",
            "current": False,
            "status": "pending",
            "confirmed_by": None,
            "created_at": exported["organisations"][0]["created_at"],
            "decided_at": None,
        }
    ]
