"""Organisations in the demo: the labs, universities, offices and firms the demo members
already name, with their admins, affiliations (confirmed by e-mail domain, by an admin, or
still pending), and three months of reach history.

Drawn with a random generator of its own, so the earlier draws (members, network,
introductions) stay as they were. Idempotent: an instance with any organisation gets none.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from maillon.db import utcnow
from maillon.demo.catalogue import Community, Org, community_for
from maillon.members.models import Experience, Member
from maillon.organisations.lifecycle import AFFILIATION, CONFIRMED, PENDING
from maillon.organisations.models import (
    Affiliation,
    Organisation,
    OrganisationAdmin,
    ReachSnapshot,
)
from maillon.organisations.reach import compute_levels
from maillon.organisations.services import name_key
from maillon.tenancy.models import Instance

HISTORY_DAYS = 90
#: Share of claims without a domain that an admin has confirmed (the rest wait).
CONFIRMED_SHARE = 0.85
NOT_AN_ORGANISATION = {"À mon compte"}

DESCRIPTIONS = {
    "research": "Laboratoire de recherche\u00a0: {name}. Équipes, plateformes et collaborations "
    "nationales et internationales.",
    "higher_education": "{name}\u00a0: formation, recherche et vie étudiante.",
    "technology": "{name}: one of Acme's offices, home to several of its teams.",
    "trades": "{name}\u00a0: une entreprise du réseau, à votre service.",
}


def _sector(community: Community, org: Org) -> str:
    name = org.name
    if community.slug == "academia":
        universities = ("Université", "University", "Universidad", "Universität", "Politecnico")
        return "higher_education" if any(u in name for u in universities) else "research"
    if community.slug == "acme":
        return "technology" if name.startswith("Acme") else "industry"
    if name.startswith("Mairie"):
        return "public_sector"
    if name.startswith("Grande Surface"):
        return "retail"
    return "trades"


def _organisations(community: Community) -> list[Org]:
    seen: dict[str, Org] = {}
    for track in community.tracks:
        for org in track.organisations:
            seen.setdefault(org.name, org)
    for org in community.past_orgs:
        seen.setdefault(org.name, org)
    return [o for o in seen.values() if o.name not in NOT_AN_ORGANISATION]


def load_organisations(session: Session, instance: Instance, *, seed: int = 7) -> int:
    """Create the demo organisations of an instance; returns how many were created."""
    if session.scalar(select(exists().where(Organisation.instance_id == instance.id))):
        return 0
    rng = random.Random(f"{seed}:{instance.slug}:organisations")
    community = community_for(instance.slug, instance.setting("registration.email_domains"))
    members = list(
        session.scalars(
            select(Member)
            .where(Member.instance_id == instance.id, Member.status == "active")
            .order_by(Member.id)
        )
    )
    if not members:
        return 0
    # Acme's offices share one domain: a domain would confirm anyone at every office.
    shared = bool(community.email_domain)
    orgs: dict[str, Organisation] = {}
    for spec in _organisations(community):
        sector = _sector(community, spec)
        domains = [spec.domain] if spec.domain and not shared else []
        org = Organisation(
            instance_id=instance.id,
            name=spec.name[:120],
            name_key=name_key(spec.name[:120]),
            sector=sector,
            locations=[spec.city] if spec.city else [],
            email_domains=domains,
            website=f"https://www.{spec.domain}" if spec.domain else "",
            description=DESCRIPTIONS.get(sector, "{name}").format(name=spec.name),
        )
        session.add(org)
        orgs[org.name] = org
    session.flush()
    now = utcnow()
    by_org: dict[int, list[Member]] = {}
    for member in members:
        current_org = orgs.get(member.organisation)
        if current_org is None:
            continue
        org = current_org
        domain = member.email.rsplit("@", 1)[1].lower()
        row = Affiliation(
            instance_id=instance.id,
            organisation_id=org.id,
            member_id=member.id,
            role=member.position,
            current=True,
            status=None,
            created_at=member.created_at,
        )
        if member.email_verified_at is not None and domain in org.email_domains:
            AFFILIATION.apply(row, CONFIRMED)
            row.confirmed_by, row.decided_at = "domain", member.created_at
        elif rng.random() < CONFIRMED_SHARE:
            AFFILIATION.apply(row, CONFIRMED)
            row.confirmed_by, row.decided_at = "admin", now - timedelta(days=rng.randint(1, 60))
        else:
            AFFILIATION.apply(row, PENDING)
        session.add(row)
        by_org.setdefault(org.id, []).append(member)
    # Past affiliations from earlier jobs: alumni, mostly confirmed.
    claimed = {(m.id, orgs[m.organisation].id) for m in members if m.organisation in orgs}
    for member_id, org_name, title in session.execute(
        select(Experience.member_id, Experience.organisation, Experience.title)
        .where(Experience.instance_id == instance.id, Experience.end_date.is_not(None))
        .order_by(Experience.id)
    ):
        past_org = orgs.get(org_name)
        if past_org is None or (member_id, past_org.id) in claimed:
            continue
        org = past_org
        claimed.add((member_id, org.id))
        row = Affiliation(
            instance_id=instance.id,
            organisation_id=org.id,
            member_id=member_id,
            role=title,
            current=False,
            status=None,
        )
        AFFILIATION.apply(row, CONFIRMED if rng.random() < 0.7 else PENDING)
        if row.status == CONFIRMED:
            row.confirmed_by, row.decided_at = "admin", now - timedelta(days=rng.randint(1, 90))
        session.add(row)
    staff = next((m for m in members if m.role == "admin"), None)
    for org in orgs.values():
        people = by_org.get(org.id, [])
        # The most senior-looking current member runs the page (the first one named), and
        # the instance's admin helps with the busiest.
        admins = people[:1] + ([staff] if staff and len(people) >= 10 else [])
        if not admins and staff is not None:
            admins = [staff]
        for admin in dict.fromkeys(admins):
            session.add(
                OrganisationAdmin(
                    instance_id=instance.id,
                    organisation_id=org.id,
                    member_id=admin.id,
                    added_by_id=admin.id,
                )
            )
        org.created_by_id = admins[0].id if admins else None
    session.commit()
    _history(session, instance, list(orgs.values()), rng)
    return len(orgs)


def _history(
    session: Session, instance: Instance, orgs: list[Organisation], rng: random.Random
) -> None:
    """Daily counts for the last three months, growing to today's real figures."""
    today = utcnow().date()
    for org in orgs:
        counted, levels = compute_levels(session, instance, org.id)
        now = (counted, len(levels.second), len(levels.third))
        growth = rng.uniform(0.2, 0.45)
        for days_ago in range(HISTORY_DAYS, -1, -1):
            share = 1 - growth * days_ago / HISTORY_DAYS
            noise = 1 + (rng.uniform(-0.01, 0.01) if days_ago else 0)
            values = [max(0, round(v * share * noise)) for v in now]
            session.add(
                ReachSnapshot(
                    instance_id=instance.id,
                    organisation_id=org.id,
                    day=today - timedelta(days=days_ago),
                    members=values[0],
                    second_degree=values[1],
                    third_degree=values[2],
                )
            )
    session.commit()
