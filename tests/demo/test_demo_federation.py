"""Each demo community has a federation policy; some personas are reachable from outside."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from maillon.db import db
from maillon.demo.federation import OPT_INS, POLICIES
from maillon.demo.services import load_demo
from maillon.federation import policy
from maillon.federation.models import FederatedMember
from maillon.moderation.models import AuditEntry


@pytest.mark.parametrize("slug", ["academia", "acme", "reseau"])
def test_demo_has_a_policy_and_opt_ins(instances, slug):
    instance = instances[slug]
    load_demo(db.session, instance, members=40, seed=3)
    row = policy.find_policy(db.session, instance)
    assert row is not None and row.mode == POLICIES[slug]["mode"]
    domains = db.session.scalars(
        select(policy.FederatedServer.domain).where(
            policy.FederatedServer.instance_id == instance.id
        )
    ).all()
    assert sorted(domains) == sorted(s["domain"] for s in POLICIES[slug]["servers"])
    opted = db.session.scalars(
        select(FederatedMember).where(FederatedMember.instance_id == instance.id)
    ).all()
    assert len(opted) == OPT_INS[slug]
    assert db.session.scalar(
        select(AuditEntry.id).where(
            AuditEntry.instance_id == instance.id, AuditEntry.action == "federation_changed"
        )
    )
    load_demo(db.session, instance, members=40, seed=3)  # again: nothing more
    assert (
        len(
            db.session.scalars(
                select(FederatedMember).where(FederatedMember.instance_id == instance.id)
            ).all()
        )
        == OPT_INS[slug]
    )


def test_the_sister_communities_are_connected_through_federation(instances, app):
    """Academia and Réseau Entraide, loaded, federate with each other through the real
    exchange (decision 58): one connection on both sides, one request waiting in Academia,
    and Academia's allowlist names Réseau's host. Loading again adds nothing."""
    from maillon.demo.federation import load_sister_federation, sister_host
    from maillon.federation.models import RemoteActor, RemoteConnection

    for slug in ("academia", "reseau"):
        load_demo(db.session, instances[slug], members=40, seed=3)
    assert load_sister_federation(db.session) == 2
    academia, reseau = instances["academia"], instances["reseau"]

    def states(instance: object) -> list[tuple[str, str]]:
        rows = db.session.execute(
            select(RemoteConnection.status, RemoteActor.uri)
            .join(RemoteActor, RemoteActor.id == RemoteConnection.remote_actor_id)
            .where(RemoteConnection.instance_id == instance.id)  # type: ignore[attr-defined]
            .order_by(RemoteConnection.id)
        ).all()
        return [(status, uri.split("/ap/")[0]) for status, uri in rows]

    reseau_origin = f"http://{sister_host('reseau')}"
    academia_origin = f"http://{sister_host('academia')}"
    assert states(academia) == [("connected", reseau_origin), ("requested", reseau_origin)]
    assert states(reseau) == [("connected", academia_origin), ("pending", academia_origin)]
    assert sister_host("reseau") in db.session.scalars(
        select(policy.FederatedServer.domain).where(
            policy.FederatedServer.instance_id == academia.id)).all()
    assert load_sister_federation(db.session) == 0
    assert len(states(academia)) == 2
