"""Federation in the demo: each community's policy and a few personas reachable from outside.

Set through the federation services by the instance's demo admin (audited, as an admin's
change is). No randomness: nothing here shifts the other demo draws. Idempotent: an instance
that has a policy gets nothing more. Keys are not made here: they are made on first need.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.demo.catalogue import community_for
from maillon.federation import membership, policy
from maillon.federation.models import FederatedMember
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
        "discoverable": True,
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


#: Sister communities of the demo deployment: (community, its sister) allowed both ways.
SISTERS = ("academia", "reseau")
SISTER_KINDS = ("federation_deliver", "federation_inbox")


def sister_host(slug: str) -> str:
    """The host other servers know an instance of this deployment by (its actors' host)."""
    from maillon.federation.urls import origin_of_slug

    return urlsplit(origin_of_slug(slug)).hostname or ""


def _opted_in(session: Session, instance: Instance) -> list[Member]:
    """The instance's demo personas reachable from other servers, in the catalogue's order."""
    community = community_for(instance.slug, instance.setting("registration.email_domains"))
    emails = [p.email for p in community.personas]
    reachable = {
        m.email: m
        for m in session.scalars(
            select(Member)
            .join(FederatedMember, FederatedMember.member_id == Member.id)
            .where(
                Member.instance_id == instance.id,
                FederatedMember.instance_id == instance.id,
                FederatedMember.enabled.is_(True),
                Member.email.in_(emails),
            )
        )
    }
    return [reachable[e] for e in emails if e in reachable]


def _address(session: Session, instance: Instance, member: Member) -> str:
    from maillon.federation.urls import handle_domain

    state = membership.member_federation(session, instance, member)
    return f"@{state.handle}@{handle_domain(instance)}"


def load_sister_federation(session: Session) -> int:
    """Academia and Réseau Entraide, two communities of the demo deployment, federate with
    each other (decision 58): Academia's allowlist lets Réseau in (Réseau's blocklist lets
    anyone in), a persona of each is connected with one of the other, and a request from
    Réseau waits in Academia. Done through the services and the real exchange, the federation
    jobs run at once; returns how many connections were asked (0: done before, or a sister
    missing)."""
    from maillon.federation.connections import answer_remote_request
    from maillon.federation.models import RemoteConnection
    from maillon.federation.outgoing import connect_remote_person
    from maillon.jobs.services import run_pending

    found = {i.slug: i for i in session.scalars(select(Instance).where(Instance.slug.in_(SISTERS)))}
    if set(found) != set(SISTERS):
        return 0
    academia, reseau = found["academia"], found["reseau"]
    if session.scalar(select(RemoteConnection.id).where(
            RemoteConnection.instance_id.in_([academia.id, reseau.id])).limit(1)) is not None:
        return 0
    people = {slug: _opted_in(session, i) for slug, i in found.items()}
    if len(people["academia"]) < 2 or len(people["reseau"]) < 2:
        return 0
    admin = next((m for m in session.scalars(select(Member).where(
        Member.instance_id == academia.id, Member.role == "admin", Member.status == "active"))),
        None)
    if admin is None:
        return 0
    policy.change_policy(session, academia, admin, {"servers": [{
        "domain": sister_host("reseau"), "severity": "none",
        "public_comment": "Réseau Entraide, sur ce même serveur"}]})
    session.commit()
    (a1, a2), (r1, r2) = people["academia"][:2], people["reseau"][:2]

    def exchange() -> None:
        run_pending(session, limit=50, kinds=SISTER_KINDS)  # deliveries, then the inboxes
        run_pending(session, limit=50, kinds=SISTER_KINDS)

    # A1 asks R1, who accepts: connected on both sides.
    connect_remote_person(session, academia, a1, _address(session, reseau, r1))
    exchange()
    waiting = session.scalar(select(RemoteConnection).where(
        RemoteConnection.instance_id == reseau.id, RemoteConnection.member_id == r1.id))
    if waiting is not None:
        answer_remote_request(session, reseau, r1, waiting.id, accept=True)
        exchange()
    # R2 asks A2: the request waits in Academia for A2's answer.
    connect_remote_person(session, reseau, r2, _address(session, academia, a2))
    exchange()
    return 2
