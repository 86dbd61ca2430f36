"""Federation in the demo: each community's policy and a few personas reachable from outside.

Set through the federation services by the instance's demo admin (audited, as an admin's
change is). No randomness: nothing here shifts the other demo draws. Idempotent: an instance
that has a policy gets nothing more. Keys are not made here: they are made on first need.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.demo.catalogue import community_for
from maillon.federation import membership, policy
from maillon.members.models import Member
from maillon.tenancy.models import Instance

#: Per community: its mode, server rules, discovery, and how many personas opt in.
POLICIES: dict[str, dict[str, Any]] = {
    "academia": {
        "mode": "allowlist",
        "discoverable": True,
        "servers": [
            {
                "domain": "social.sciences.example",
                "severity": "none",
                "public_comment": "Réseau des sciences sociales",
            },
            {"domain": "reseau-entraide.example", "severity": "none"},
            {
                "domain": "preprints.example",
                "severity": "limit",
                "public_comment": "Annonces automatiques",
            },
        ],
    },
    "acme": {
        "mode": "nobody",
        "discoverable": False,
        "servers": [
            {
                "domain": "partners.acme.example",
                "severity": "none",
                "private_comment": "To open when legal has signed the partner agreement.",
            }
        ],
    },
    "reseau": {
        "mode": "blocklist",
        "discoverable": False,
        "servers": [
            {
                "domain": "spam-network.example",
                "severity": "suspend",
                "reject_media": True,
                "reject_reports": True,
                "public_comment": "Spam",
            },
            {
                "domain": "loud.example",
                "severity": "limit",
                "public_comment": "Sollicitations commerciales",
            },
        ],
    },
}
OPT_INS = {"academia": 2, "acme": 1, "reseau": 2}


def load_federation(session: Session, instance: Instance) -> bool:
    """The instance's demo policy and opt-ins; False if it already has a policy."""
    if instance.slug not in POLICIES or policy.find_policy(session, instance) is not None:
        return False
    community = community_for(instance.slug, instance.setting("registration.email_domains"))
    emails = [p.email for p in community.personas]
    people = {
        m.email: m
        for m in session.scalars(
            select(Member).where(
                Member.instance_id == instance.id,
                Member.email.in_(emails),
                Member.status == "active",
            )
        )
    }
    admin = next((people[e] for e in emails if e in people and people[e].is_admin), None)
    if admin is None:
        return False
    policy.change_policy(session, instance, admin, POLICIES[instance.slug])
    members = [people[e] for e in emails if e in people and not people[e].is_moderator]
    for member in members[: OPT_INS.get(instance.slug, 0)]:
        membership.change_member_federation(
            session, instance, member, {"enabled": True, "discoverable": True, "indexable": True}
        )
    return True
