"""Choosing chains for a request: who to route around, how long a chain may be, how much an
extra relay costs, and what of a chain the requester may see.

The search itself is ``chains.best_chains`` (pure); this module feeds it the instance's graph,
the members it must avoid, the hop cap of both the instance and the target, and the hop factor
learned from the instance's own relays.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from maillon.db import once_per_transaction
from maillon.errors import Forbidden, ValidationFailed
from maillon.introductions.chains import (
    Chain,
    best_chains,
    chain_probability,
    default_link_prob,
)
from maillon.introductions.models import IntroductionHop
from maillon.members.models import PURPOSES, Member, default_contact_policy
from maillon.members.services import access_member
from maillon.network.graph import graph_for
from maillon.network.graphcore import TRUST_DEFAULT, TrustGraph
from maillon.network.services import are_connected
from maillon.ops.metrics import observe
from maillon.tenancy.models import Instance

#: Weight, in relay decisions, of the instance policy's prior forward rate.
RELAY_PRIOR_WEIGHT = 20
#: A hop factor small enough that one more relay outweighs any trust gain: fewest links first.
_SHORTEST = 1e-6
_FORWARDED = ("forwarded", "rerouted")
_ACTED = ("forwarded", "rerouted", "declined", "expired", "advised")


@dataclass(frozen=True)
class PathView:
    """A chain as the viewer may see it: intermediaries in order, None where hidden."""

    hops: int
    trust: float
    members: list[Member | None]
    chain: Chain = field(repr=False)


@dataclass(frozen=True)
class ChainsView:
    degree: int | None
    paths: list[PathView]


def contact_policy(member: Member) -> dict[str, object]:
    return {**default_contact_policy(), **(member.contact_policy or {})}


def hop_cap(instance: Instance, target: Member) -> int:
    """Longest chain allowed: the instance's cap, lowered by the target's own."""
    target_cap = int(contact_policy(target).get("max_hops") or 6)  # type: ignore[call-overload]
    return max(1, min(int(instance.setting("introductions.max_hops")), target_cap))


def check_target_policy(target: Member, purpose: str) -> None:
    """The target's own rules: introductions at all, and for which purposes."""
    policy = contact_policy(target)
    if not policy.get("introductions", True):
        raise Forbidden("target_not_reachable", _(
            "This member does not accept introduction requests."))
    if purpose not in (policy.get("purposes") or PURPOSES):  # type: ignore[operator]
        raise Forbidden("purpose_not_accepted", _(
            "This member does not accept requests for this purpose."))


def unavailable_ids(session: Session, instance: Instance) -> set[int]:
    """Members no chain may pass through: not relaying (busy/off) or not active.

    A small set in practice (most members relay), fetched with one indexed query.
    """
    return set(session.scalars(select(Member.id).where(
        Member.instance_id == instance.id,
        or_(Member.relaying != "open", Member.status != "active"))))


def relay_factor(session: Session, instance: Instance) -> float:
    """Chance that a relay forwards at all: the policy prior blended with what relays here
    actually did, ``(forwards + k * prior) / (acted + k)``."""
    prior = float(instance.setting("introductions.relay_factor"))
    forwards, acted = once_per_transaction(session, ("relay_factor", instance.id), lambda: tuple(
        session.execute(select(
            func.count(IntroductionHop.id).filter(IntroductionHop.status.in_(_FORWARDED)),
            func.count(IntroductionHop.id).filter(IntroductionHop.status.in_(_ACTED))).where(
            IntroductionHop.instance_id == instance.id)).one()))
    factor = (int(forwards or 0) + RELAY_PRIOR_WEIGHT * prior) / (int(acted or 0)
                                                                  + RELAY_PRIOR_WEIGHT)
    return min(1.0, max(0.05, factor))


@observe("chains")
def chains_between(session: Session, instance: Instance, source: int, target: int, *,
                   max_hops: int, k: int = 3, avoid: Iterable[int] = ()) -> list[Chain]:
    """The best ``k`` chains from ``source`` to ``target``, around unavailable members."""
    blocked = unavailable_ids(session, instance) | set(avoid)
    graph = graph_for(session, instance)
    return best_chains(graph, source, target, max_hops, relay_factor(session, instance), k=k,
                       avoid=blocked)


def degree_between(graph: TrustGraph, source: int, target: int, max_hops: int) -> int | None:
    """Fewest links from source to target within the cap (None beyond it)."""
    if source == target:
        return 0
    badge = graph.degree_of(source, [target], max_degree=min(3, max_hops))[target]
    if badge is not None or max_hops <= 3:
        return badge
    found = best_chains(graph, source, target, max_hops, _SHORTEST, k=1)
    return found[0].hops if found else None


def visible_in_paths(instance: Instance, intermediaries: Collection[int]) -> list[bool]:
    """Which intermediaries of a proposed chain the requester may see (chain visibility).

    ``full`` shows all; ``first_link`` and ``stepwise`` show only the first one, the
    requester's own contact who will carry the request.
    """
    mode = instance.setting("introductions.chain_visibility")
    return [mode == "full" or i == 0 for i in range(len(intermediaries))]


def shown_chance(graph: TrustGraph, nodes: Sequence[int], viewer_id: int,
                 hop_factor: float) -> float:
    """The chance of a chain as shown to ``viewer_id``: from the viewer's own ratings only.

    Chains are ranked on everyone's real ratings, but a figure computed from them would let
    the viewer solve for another member's private rating (their own rating and the formula
    are known). So the links the viewer is on count the viewer's rating on both sides, and
    every other link counts as neutral.
    """
    chance = hop_factor ** max(len(nodes) - 2, 0)
    for a, b in zip(nodes, nodes[1:], strict=False):
        if viewer_id in (a, b):
            ratings = graph.trust_between(viewer_id, b if a == viewer_id else a)
            own = ratings[0] if ratings is not None else TRUST_DEFAULT
        else:
            own = TRUST_DEFAULT
        chance *= float(default_link_prob(np.asarray(own), np.asarray(own)))
    return chance


def find_chains(session: Session, instance: Instance, viewer: Member, target_id: int,
                limit: int = 3) -> ChainsView:
    """The chains from the viewer to a member, best first, as the instance lets them be seen.

    No chains when the target takes no introductions; ``degree`` is the network distance
    within the hop cap whatever the policies.
    """
    target = access_member(session, instance, viewer, target_id)
    cap = hop_cap(instance, target)
    graph = graph_for(session, instance)
    degree = degree_between(graph, viewer.id, target.id, cap)
    if target.id == viewer.id or degree is None or not contact_policy(target).get(
            "introductions", True):
        return ChainsView(degree=degree, paths=[])
    chains = chains_between(session, instance, viewer.id, target.id, max_hops=cap,
                            k=max(1, min(limit, 10)))
    wanted = {m for chain in chains for m in chain.intermediaries}
    members = {m.id: m for m in session.scalars(select(Member).where(
        Member.instance_id == instance.id, Member.id.in_(wanted)))} if wanted else {}
    paths = []
    factor = relay_factor(session, instance)
    for chain in chains:
        shown = visible_in_paths(instance, chain.intermediaries)
        trust = shown_chance(graph, chain.nodes, viewer.id, factor)
        paths.append(PathView(hops=chain.hops, trust=trust, chain=chain, members=[
            members.get(m) if ok else None for m, ok in zip(chain.intermediaries, shown,
                                                              strict=True)]))
    return ChainsView(degree=degree, paths=paths)


def rank_reroutes(session: Session, instance: Instance, holder_id: int, target_id: int, *,
                  budget: int, avoid: set[int], limit: int) -> list[tuple[int, float]]:
    """The holder's contacts from which the target is likeliest reached within ``budget``
    more links: (member id, chance of the chain holder → contact → ... → target)."""
    if budget < 1:
        return []
    graph = graph_for(session, instance)
    blocked = unavailable_ids(session, instance) | avoid
    factor = relay_factor(session, instance)
    scored: list[tuple[int, float, float]] = []
    for contact in graph.neighbours(holder_id)[:500]:
        if contact in blocked or contact == holder_id:
            continue
        if contact == target_id:
            scored.append((contact, chain_probability(graph, [holder_id, target_id], factor),
                           shown_chance(graph, [holder_id, target_id], holder_id, factor)))
            continue
        if budget < 2:
            continue
        tail = best_chains(graph, contact, target_id, budget - 1, factor, k=1,
                           avoid=blocked | {holder_id})
        if tail:
            nodes = [holder_id, *tail[0].nodes]
            scored.append((contact, chain_probability(graph, nodes, factor),
                           shown_chance(graph, nodes, holder_id, factor)))
    # Ranked on the real chances, shown with the holder's own ratings only (see shown_chance).
    scored.sort(key=lambda item: -item[1])
    return [(contact, shown) for contact, _real, shown in scored[:limit]]


def plan_path(session: Session, instance: Instance, requester: Member, target: Member, *,
              avoid: Iterable[int] = (), path_index: int = 0) -> list[int]:
    """Member ids of the chain a request takes: straight to a first-degree connection, else
    the ``path_index``-th best chain around ``avoid``."""
    if are_connected(session, instance, requester.id, target.id):
        return [requester.id, target.id]
    chains = chains_between(session, instance, requester.id, target.id,
                            max_hops=hop_cap(instance, target), k=max(path_index, 0) + 1,
                            avoid=avoid)
    if not chains:
        raise Forbidden("target_not_reachable", _(
            "No chain of contacts reaches this member at the moment."))
    if not 0 <= path_index < len(chains):
        raise ValidationFailed({"path": _("This chain is no longer available.")})
    return list(chains[path_index].nodes)
