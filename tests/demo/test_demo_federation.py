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
