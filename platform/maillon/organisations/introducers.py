""" "Who among us can introduce us to X": the organisation's members from whom a chain to a
member (or to anyone of another organisation) is likeliest to succeed.

One search backwards from the target(s) over the graph (``reachcore.best_starts``), scored as
the asking member may see it (decision 14, applied here by decision 40): the asker's own links
count the asker's own rating, every other link its level (the band of the sum of both
ratings), and the instance's relay factor; members who do not relay are never relays. So the
order and the chances shown never tell a rating the asker could not know. Only colleagues the
directory lists (or the asker) are named; one named at one link from a member target is that
target's contact, so they are named only as far as the asker may read one of the two contact
lists (``nameable_next_to``), as on a chain's last relay (decision 16).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.errors import ValidationFailed
from maillon.introductions.chains import link_prob_table
from maillon.introductions.routing import (
    contact_policy,
    hop_cap,
    level_link_prob,
    own_link_prob,
    relay_factor,
    unavailable_ids,
)
from maillon.members.models import Member
from maillon.members.services import VISIBLE_STATUSES, access_member
from maillon.network.graph import graph_for
from maillon.network.visibility import contacts_visible_among, nameable_next_to
from maillon.ops.metrics import observe
from maillon.organisations.models import Organisation
from maillon.organisations.reach import access_reach_viewer
from maillon.organisations.reachcore import best_starts
from maillon.organisations.services import access_organisation, current_member_ids
from maillon.tenancy.models import Instance

#: Starting points shown at most.
MAX_INTRODUCERS = 20
#: Members of a target organisation aimed at, at most (the largest first by id: bounded work).
MAX_TARGETS = 5_000


@dataclass(frozen=True)
class Introducer:
    member: Member
    hops: int  # links from them to the target (0: they are one of the target organisation)
    chance: float  # the chain's expected success as the asker may see it


def _costs(factor: float) -> tuple[np.ndarray, np.ndarray]:
    level = -np.log(link_prob_table(level_link_prob) * factor)
    own = -np.log(link_prob_table(own_link_prob) * factor)
    return np.maximum(level, 0.0), np.maximum(own, 0.0)


def _listed(member: Member, viewer: Member) -> bool:
    visibility = member.visibility or {}
    return member.id == viewer.id or bool(visibility.get("in_directory", True))


@observe("organisation_introducers")
def find_introducers(
    session: Session,
    instance: Instance,
    viewer: Member,
    org_id: int,
    *,
    target_id: int | None = None,
    target_organisation_id: int | None = None,
    limit: int = 10,
) -> list[Introducer]:
    """The best starting points among the organisation's current members, best first."""
    org = access_reach_viewer(session, instance, viewer, org_id)
    if (target_id is None) == (target_organisation_id is None):
        raise ValidationFailed(
            {"target_id": _("Name either a member or an organisation to reach.")}
        )
    limit = max(1, min(int(limit), MAX_INTRODUCERS))
    target: Member | None = None
    if target_id is not None:
        target = access_member(session, instance, viewer, target_id)
        if not contact_policy(target).get("introductions", True):
            return []
        targets = [target.id]
        cap = hop_cap(instance, target)
    else:
        assert target_organisation_id is not None
        other = access_organisation(session, instance, viewer, target_organisation_id)
        ids = current_member_ids(session, instance, other.id)[:MAX_TARGETS]
        people: list[Member] = (
            list(
                session.scalars(
                    select(Member).where(Member.instance_id == instance.id, Member.id.in_(ids))
                )
            )
            if ids
            else []
        )
        targets = [m.id for m in people if contact_policy(m).get("introductions", True)]
        cap = int(instance.setting("introductions.max_hops"))
    blocked = unavailable_ids(session, instance)
    colleagues = {
        m.id: m
        for m in session.scalars(
            select(Member).where(
                Member.instance_id == instance.id,
                Member.id.in_(current_member_ids(session, instance, org.id)),
                Member.status.in_(VISIBLE_STATUSES),
            )
        )
    }
    starts = [
        m
        for m in colleagues.values()
        if _listed(m, viewer) and m.id not in blocked and (target is None or m.id != target.id)
    ]
    if not targets or not starts:
        return []
    factor = relay_factor(session, instance)
    level_cost, own_cost = _costs(factor)
    found = best_starts(
        graph_for(session, instance),
        targets,
        [m.id for m in starts],
        max_hops=cap,
        level_cost=level_cost,
        viewer=viewer.id,
        viewer_cost=own_cost,
        blocked=sorted(blocked),
        k=3 * limit,
    )
    # Named at one link from the target, a colleague is the target's contact.
    next_to = [colleagues[s.member_id] for s in found if s.hops == 1]
    if next_to and target is not None:
        nameable = nameable_next_to(session, instance, viewer, target, next_to)
    elif next_to:
        nameable = contacts_visible_among(session, instance, viewer, next_to)
    else:
        nameable = set()
    shown = []
    for start in found:
        if start.hops == 1 and start.member_id not in nameable:
            continue
        # Cost per link is -log(p * factor); the chain pays the factor once per relay.
        chance = 1.0 if start.hops == 0 else min(1.0, math.exp(-start.cost) / factor)
        shown.append(Introducer(colleagues[start.member_id], start.hops, round(chance, 4)))
    return shown[:limit]


@dataclass(frozen=True)
class IntroducersView:
    """The answer page: who asks through which organisation, whom they aim at, the ranking."""

    organisation: Organisation
    target_member: Member | None
    target_organisation: Organisation | None
    introducers: list[Introducer]
    takes_introductions: bool


def introducers_page(
    session: Session,
    instance: Instance,
    viewer: Member,
    org_id: int,
    *,
    target_id: int | None = None,
    target_organisation_id: int | None = None,
) -> IntroducersView:
    found = find_introducers(
        session,
        instance,
        viewer,
        org_id,
        target_id=target_id,
        target_organisation_id=target_organisation_id,
    )
    org = access_organisation(session, instance, viewer, org_id)
    member = access_member(session, instance, viewer, target_id) if target_id else None
    other = (
        access_organisation(session, instance, viewer, target_organisation_id)
        if target_organisation_id
        else None
    )
    takes = member is None or bool(contact_policy(member).get("introductions", True))
    return IntroducersView(org, member, other, found, takes)
