"""Choosing chains for a request: who to route around, how long a chain may be, how much an
extra relay costs, and what of a chain the requester may see.

The search itself is ``chains.best_chains`` (pure); this module feeds it the instance's graph,
the members it must avoid, the hop cap of both the instance and the target, the hop factor
learned from the instance's own relays, and what each link may count for (below).

Private ratings (docs/decisions.md, "Private trust"): whatever a member is offered (which
chains, their order, the chance shown) is a function of that member's own ratings, of a
coarse level of every other link (``link_level``: the sum of both ratings in three bands),
of who is connected to whom and of the instance's relay factor. A member's links count their
own rating on both sides (``own_link_prob``), so how a contact rates them never counts; the
other links count the mean rating of their band (``level_link_prob``). Chains are searched,
ranked and shown on that one score, so the order never contradicts the figure, and changing
one's own ratings only replays a function one already knows the inputs of.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select, union
from sqlalchemy.orm import Session

from maillon.db import once_per_transaction, run_built
from maillon.errors import Forbidden, ValidationFailed
from maillon.introductions.chains import (
    Chain,
    best_chains,
    chain_probability,
    default_link_prob,
)
from maillon.introductions.lifecycle import ACTED_HOP_STATUSES, PASSED_HOP_STATUSES
from maillon.introductions.models import IntroductionHop
from maillon.members.models import (
    PURPOSES,
    RELAYING_CHOICES,
    STATUSES,
    Member,
    default_contact_policy,
)
from maillon.members.services import access_member
from maillon.network.graph import graph_for
from maillon.network.graphcore import TrustGraph
from maillon.network.services import are_connected
from maillon.network.visibility import nameable_next_to
from maillon.ops.metrics import observe
from maillon.tenancy.models import Instance

#: Weight, in relay decisions, of the instance policy's prior forward rate.
RELAY_PRIOR_WEIGHT = 20
#: A hop factor small enough that one more relay outweighs any trust gain: fewest links first.
_SHORTEST = 1e-6
#: Levels of a link between two other members: (highest sum of both ratings, mean it counts
#: as). Each band leaves at least three possible values for either rating: 2-4 (each rating
#: 1-3), 5-7 (1-5), 8-10 (3-5).
LEVEL_BANDS = ((4, 1.5), (7, 3.0), (10, 4.5))


def link_level(trust_ab: np.ndarray, trust_ba: np.ndarray) -> np.ndarray:
    """The mean rating a link between two other members counts as: its band's middle."""
    total = np.asarray(trust_ab, dtype=np.int64) + np.asarray(trust_ba, dtype=np.int64)
    return np.select([total <= high for high, _ in LEVEL_BANDS[:-1]],
                     [mean for _, mean in LEVEL_BANDS[:-1]], LEVEL_BANDS[-1][1])


def level_link_prob(trust_ab: np.ndarray, trust_ba: np.ndarray) -> np.ndarray:
    """A link between two other members: the default probability of its level."""
    level = link_level(trust_ab, trust_ba)
    return default_link_prob(level, level)


def own_link_prob(given: np.ndarray, received: np.ndarray) -> np.ndarray:
    """A link of the member chains are computed for: their own rating, on both sides."""
    return default_link_prob(given, given)


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


# Built once, run without the ORM layer (``run_built``; each names the instance itself).
# Two index ranges (not relaying, not active), so that the few are found without reading
# every member: ``relaying != 'open' OR status != 'active'`` scanned them all (40 ms at 100k).
_UNAVAILABLE = union(
    select(Member.id).where(Member.instance_id == bindparam("instance_id"),
                            Member.relaying.in_([c for c in RELAYING_CHOICES if c != "open"])),
    select(Member.id).where(Member.instance_id == bindparam("instance_id"),
                            Member.status.in_([s for s in STATUSES if s != "active"])))
_RELAY_COUNTS = select(
    func.count(IntroductionHop.id).filter(IntroductionHop.status.in_(PASSED_HOP_STATUSES)),
    func.count(IntroductionHop.id).filter(IntroductionHop.status.in_(ACTED_HOP_STATUSES))).where(
    IntroductionHop.instance_id == bindparam("instance_id"))


def unavailable_ids(session: Session, instance: Instance) -> set[int]:
    """Members no chain may pass through: not relaying (busy/off) or not active.

    A small set in practice (most members relay), fetched with two index ranges, once per
    transaction (a plan across the border searches several chains).
    """
    return set(once_per_transaction(session, ("unavailable", instance.id), lambda: frozenset(
        run_built(session, _UNAVAILABLE, {"instance_id": instance.id}).scalars())))


def relay_factor(session: Session, instance: Instance) -> float:
    """Chance that a relay forwards at all: the policy prior blended with what relays here
    actually did, ``(forwards + k * prior) / (acted + k)``."""
    prior = float(instance.setting("introductions.relay_factor"))
    forwards, acted = once_per_transaction(session, ("relay_factor", instance.id), lambda: tuple(
        run_built(session, _RELAY_COUNTS, {"instance_id": instance.id}).one()))
    factor = (int(forwards or 0) + RELAY_PRIOR_WEIGHT * prior) / (int(acted or 0)
                                                                  + RELAY_PRIOR_WEIGHT)
    return min(1.0, max(0.05, factor))


@observe("chains")
def chains_between(session: Session, instance: Instance, source: int, target: int, *,
                   max_hops: int, k: int = 3, avoid: Iterable[int] = ()) -> list[Chain]:
    """The best ``k`` chains from ``source`` to ``target``, around unavailable members,
    scored as ``source`` may see them: their own ratings on their links, every other link at
    its level (see the module docstring)."""
    blocked = unavailable_ids(session, instance) | set(avoid)
    graph = graph_for(session, instance)
    return best_chains(graph, source, target, max_hops, relay_factor(session, instance), k=k,
                       avoid=blocked, link_prob=level_link_prob, source_link_prob=own_link_prob)


def degree_between(graph: TrustGraph, source: int, target: int, max_hops: int) -> int | None:
    """Fewest links from source to target within the cap (None beyond it)."""
    if source == target:
        return 0
    badge = graph.degree_of(source, [target], max_degree=min(3, max_hops))[target]
    if badge is not None or max_hops <= 3:
        return badge
    found = best_chains(graph, source, target, max_hops, _SHORTEST, k=1)
    return found[0].hops if found else None


def reachable_among(session: Session, instance: Instance, viewer_id: int,
                    targets: Iterable[Member]) -> set[int]:
    """Which of ``targets`` a chain from the viewer reaches now: what the "Get introduced" page
    would find (within each target's hop cap, around members who do not relay), for members
    who take introductions at all. One graph and one list of unavailable members for all."""
    wanted = [t for t in targets if t.id != viewer_id and t.is_active
              and contact_policy(t).get("introductions", True)]
    if not wanted:
        return set()
    graph = graph_for(session, instance)
    blocked = unavailable_ids(session, instance)

    def reached(target: Member) -> bool:
        cap = hop_cap(instance, target)
        # Most hits in reach are two links away: one shared contact who relays settles it.
        if cap >= 2 and not set(graph.shared_connections(viewer_id, target.id)) <= blocked:
            return True
        return bool(best_chains(graph, viewer_id, target.id, cap, _SHORTEST, k=1,
                                avoid=blocked))

    return {t.id for t in wanted if reached(t)}


def visible_in_paths(instance: Instance, intermediaries: Collection[int]) -> list[bool]:
    """Which intermediaries of a proposed chain the requester may see (chain visibility).

    ``full`` shows all; ``first_link`` and ``stepwise`` show only the first one, the
    requester's own contact who will carry the request. (``find_chains`` also hides the one
    next to a target whose contacts are hidden from the viewer.)
    """
    mode = instance.setting("introductions.chain_visibility")
    return [mode == "full" or i == 0 for i in range(len(intermediaries))]


def shown_chance(graph: TrustGraph, nodes: Sequence[int], hop_factor: float) -> float:
    """The chance of a chain as shown to its first member ``nodes[0]``, and what chains are
    ranked on: their own rating on their link, every other link at its level."""
    return chain_probability(graph, nodes, hop_factor, level_link_prob, own_link_prob)


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
    # Best first on the score shown (see the module docstring): the greedy alternatives of
    # the search come in that order, so a shorter list is the start of a longer one.
    chains = chains_between(session, instance, viewer.id, target.id, max_hops=cap,
                            k=max(1, min(limit, 10)))
    wanted = {m for chain in chains for m in chain.intermediaries}
    members = {m.id: m for m in session.scalars(select(Member).where(
        Member.instance_id == instance.id, Member.id.in_(wanted)))} if wanted else {}
    # The member next to the target is the target's contact: named only as far as the
    # target's contact list (or their own) is visible to the viewer.
    nameable = nameable_next_to(session, instance, viewer, target, [
        members[c.intermediaries[-1]] for c in chains
        if c.intermediaries and c.intermediaries[-1] in members])
    paths = []
    for chain in chains:
        shown = visible_in_paths(instance, chain.intermediaries)
        if chain.intermediaries and chain.intermediaries[-1] not in nameable:
            shown[-1] = False
        paths.append(PathView(hops=chain.hops, trust=chain.probability, chain=chain, members=[
            members.get(m) if ok else None for m, ok in zip(chain.intermediaries, shown,
                                                              strict=True)]))
    return ChainsView(degree=degree, paths=paths)


def rank_reroutes(session: Session, instance: Instance, holder_id: int, target_id: int, *,
                  budget: int, avoid: set[int], limit: int) -> list[tuple[int, float]]:
    """The holder's contacts from which the target is likeliest reached within ``budget``
    more links: (member id, chance of the chain holder → contact → ... → target).

    Scored as the holder may see it (their own rating of the contact, every link after it at
    its level: see the module docstring), best first; equal chances by fewer links, then by
    member id, never by anything private.
    """
    if budget < 1:
        return []
    graph = graph_for(session, instance)
    blocked = unavailable_ids(session, instance) | avoid
    factor = relay_factor(session, instance)
    scored: list[tuple[float, int, int]] = []
    for contact in graph.neighbours(holder_id)[:500]:
        if contact in blocked or contact == holder_id:
            continue
        if contact == target_id:
            scored.append((shown_chance(graph, [holder_id, target_id], factor), 1, contact))
            continue
        if budget < 2:
            continue
        tail = best_chains(graph, contact, target_id, budget - 1, factor, k=1,
                           avoid=blocked | {holder_id}, link_prob=level_link_prob)
        if tail:
            nodes = [holder_id, *tail[0].nodes]
            scored.append((shown_chance(graph, nodes, factor), len(nodes) - 1, contact))
    scored.sort(key=lambda item: (-item[0], item[1], item[2]))
    return [(contact, chance) for chance, _hops, contact in scored[:limit]]


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
