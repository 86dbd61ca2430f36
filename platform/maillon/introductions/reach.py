"""Chains that continue on another server (decision 61), on both sides.

A member asks to meet a person T on another server whom nobody here knows. Some members here
are connected to people on T's server (the *border*). The asking server finds which of those
people it can reach, then asks T's server once, with a signed ``GET /ap/reach``, how far each
of them is from T; it picks the best whole chain: here to a local member M, across to M's
contact X there, and on to T along the chain T's server plans itself when the Offer arrives.

The answering server (``answer_reach``) speaks only of what it would let its own members see:
only about members reachable from other servers (opted in, active, listed) and relaying, to a
target who takes introductions; scores are computed with every link at its level (never with
anyone's private rating, not even X's own), and it names the people between X and T only when
its chain visibility is ``full`` and they are reachable from outside; the one next to T never
(their contact lists may be private). The asking server shows its own part as its policy
allows, and the other server's part as that answer named it.

Bounded on both sides: at most MAX_ENTRIES people asked about, links within the instance's
cap (three at most here, through ``degree_of``), one exchange of at most REACH_SECONDS.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import quote, urlsplit

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from maillon.db import settings, utcnow
from maillon.errors import Forbidden, ServiceError
from maillon.federation import urls
from maillon.federation.fetch import FetchFailed, fetch_json
from maillon.federation.keys import ensure_key, private_key
from maillon.federation.lifecycle import CONNECTED
from maillon.federation.membership import find_published_member, published
from maillon.federation.models import FederatedMember, RemoteActor, RemoteConnection
from maillon.introductions.chains import Chain, best_chains
from maillon.introductions.routing import (
    chains_between,
    check_target_policy,
    contact_policy,
    hop_cap,
    level_link_prob,
    relay_factor,
    shown_chance,
    unavailable_ids,
    visible_in_paths,
)
from maillon.members.models import PURPOSES, Member
from maillon.network.graph import graph_for
from maillon.tenancy.models import Instance

log = logging.getLogger(__name__)

#: People of the other server asked about in one query (the nearest first).
MAX_ENTRIES = 50
#: Border rows read here for one plan (members connected to people of the target's server).
MAX_BORDER = 5000
#: Whole chains whose local part is searched exactly (the best guesses first).
MAX_EXACT = 10
#: How long the other server has to answer.
REACH_SECONDS = 3.0
#: Links on the other server, at most (the whole chain stays within the instance's cap).
MAX_REMOTE_LINKS = 5


def _member_id_of(instance: Instance, uri: str) -> int | None:
    prefix = urls.member_actor(instance, 0)[:-1]
    tail = uri[len(prefix):] if isinstance(uri, str) and uri.startswith(prefix) else ""
    return int(tail) if tail.isdigit() and len(tail) < 12 else None


# ------------------------------------------------------------------ the answering server


def answer_reach(session: Session, instance: Instance, to: str, sources: list[str],
                 max_links: int, purpose: str | None = None) -> dict[str, Any]:
    """How far each of ``sources`` (actor ids of our members) is from ``to`` (one of ours),
    within ``max_links``: ``{"to", "maxHops", "reach": [{"from", "hops", "chance", "via"}]}``,
    nearest first. 404 when ``to`` is nobody other servers may see (as an unknown id)."""
    target_id = _member_id_of(instance, to)
    found = find_published_member(session, instance, member_id=target_id) \
        if target_id is not None else None
    if found is None:
        raise NotFound()
    target = found[0]
    answer: dict[str, Any] = {"to": to, "maxHops": hop_cap(instance, target), "reach": []}
    if not contact_policy(target).get("introductions", True):
        return answer  # no chain reaches someone who takes no introductions
    if purpose is not None:
        if purpose not in PURPOSES:
            raise ServiceError("invalid_purpose", "purpose: unknown", status=422)
        check_target_policy(target, purpose)
    max_links = max(1, min(int(max_links), MAX_REMOTE_LINKS, hop_cap(instance, target)))
    wanted = {mid: uri for uri in dict.fromkeys(sources[:MAX_ENTRIES])
              if (mid := _member_id_of(instance, uri)) is not None and mid != target.id}
    blocked = unavailable_ids(session, instance)
    entries = _reachable_members(session, instance, [m for m in wanted if m not in blocked])
    if not entries:
        return answer
    graph = graph_for(session, instance)
    # The graph is undirected: T's distance to each entry is the entry's distance to T.
    near = graph.degree_of(target.id, sorted(entries), max_degree=min(3, max_links))
    order = sorted((d, m) for m, d in near.items() if d is not None)
    if max_links > 3:  # beyond three links: an exact search for those not found nearer
        order += [(max_links, m) for m, d in sorted(near.items()) if d is None]
    factor = relay_factor(session, instance)
    chained: list[tuple[int, Chain]] = []
    for _degree, member_id in order[:MAX_EXACT]:
        # Every link at its level, the entry's own too: nobody's private rating shapes this.
        chains = best_chains(graph, member_id, target.id, max_links, factor, k=1,
                             avoid=blocked, link_prob=level_link_prob)
        if chains:
            chained.append((member_id, chains[0]))
    named = _nameable(session, instance, {m for _e, chain in chained
                                          for m in chain.intermediaries[:-1]})
    reach: list[dict[str, Any]] = [
        {"from": wanted[member_id], "hops": chain.hops, "chance": round(chain.probability, 4),
         "via": [{"id": urls.member_actor(instance, m), "name": named[m]} if m in named
                 and m != chain.intermediaries[-1] else {"id": None, "name": None}
                 for m in chain.intermediaries]}
        for member_id, chain in chained]
    reach.sort(key=lambda r: (int(r["hops"]), -float(r["chance"]), str(r["from"])))
    answer["reach"] = reach
    return answer


def _reachable_members(session: Session, instance: Instance, ids: list[int]) -> set[int]:
    """Those of ``ids`` other servers may see (who relays is ``unavailable_ids``' part)."""
    if not ids:
        return set()
    rows = session.execute(
        select(Member, FederatedMember)
        .join(FederatedMember, (FederatedMember.member_id == Member.id)
              & (FederatedMember.instance_id == instance.id))
        .where(Member.instance_id == instance.id, Member.id.in_(ids))).all()
    return {m.id for m, row in rows if published(m, row)}


def _nameable(session: Session, instance: Instance, between: set[int]) -> dict[int, str]:
    """The names of those of ``between`` another server may read: when the chain visibility
    is ``full``, the ones reachable from outside (the caller leaves out the one next to the
    target); otherwise nobody, only counted."""
    if instance.setting("introductions.chain_visibility") != "full" or not between:
        return {}
    named = _reachable_members(session, instance, sorted(between))
    rows = session.execute(select(Member.id, Member.name).where(
        Member.instance_id == instance.id, Member.id.in_(named))).all() if named else []
    return {int(member_id): str(name) for member_id, name in rows}


# ---------------------------------------------------------------------- the asking server


@dataclass
class CrossingPlan:
    """A chain to a person on another server: ``path`` here (requester first, ending with
    ``-remote.id``), and when it continues over there, the ``entry`` the Offer goes to and
    the people after them as their server showed them (``beyond``)."""

    path: list[int]
    entry: RemoteActor | None = None
    beyond: list[dict[str, Any]] = field(default_factory=list)
    chance: float = 0.0

    @property
    def hops(self) -> int:
        """Links of the whole chain, both sides."""
        across = len(self.beyond) + 1 if self.entry is not None else 0
        return len(self.path) - 1 + across


def _server_origin(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


class _Entry(NamedTuple):
    """Someone on the target's server, connected with a member here (a border row)."""

    id: int
    uri: str


#: A whole chain chosen: the nodes here, the entry there, the people after them, its chance.
_Choice = tuple[list[int], _Entry, list[dict[str, Any]], float]


def _border(session: Session, instance: Instance, requester: Member, origin: str,
            avoid: set[int]) -> list[tuple[int, _Entry]]:
    """(local member, their contact on ``origin``'s server who takes introductions): members
    here who relay and are reachable from other servers (the Offer carries their key), and
    the requester themself (their own contact there carries it on). Plain columns: at a
    border of hundreds, loading objects cost more than the search."""
    rows = session.execute(
        select(Member.id, Member.visibility, RemoteActor.id, RemoteActor.uri)
        .join(RemoteConnection, (RemoteConnection.member_id == Member.id)
              & (RemoteConnection.instance_id == instance.id))
        .join(RemoteActor, (RemoteActor.id == RemoteConnection.remote_actor_id)
              & (RemoteActor.instance_id == instance.id))
        .join(FederatedMember, (FederatedMember.member_id == Member.id)
              & (FederatedMember.instance_id == instance.id))
        .where(Member.instance_id == instance.id, RemoteConnection.status == CONNECTED,
               Member.status == "active", FederatedMember.enabled.is_(True),
               or_(Member.relaying == "open", Member.id == requester.id),
               RemoteActor.accepts_introductions.is_(True),
               RemoteActor.uri.startswith(origin + "/", autoescape=True))
        .order_by(RemoteActor.id, Member.id).limit(MAX_BORDER)).all()
    # Listed in the directory, as ``membership.published`` says (its other terms are above).
    return [(member_id, _Entry(actor_id, uri)) for member_id, visibility, actor_id, uri in rows
            if (visibility or {}).get("in_directory", True)
            and member_id not in avoid and -actor_id not in avoid]


def ask_reach(session: Session, instance: Instance, to: str, sources: list[str],
              max_links: int, purpose: str) -> dict[str, Any]:
    """The other server's answer to a reach query, signed by the instance actor; the caller's
    transaction is committed first (nothing is held while they answer)."""
    key = ensure_key(session, instance, None)
    key_id = urls.key_id(urls.instance_actor(instance), key.generation)
    secret = private_key(session, key)
    dev = bool(settings(session).get("FEDERATION_DEV_NETWORK"))
    session.commit()
    query = "&".join([f"to={quote(to, safe='')}", f"max={max_links}",
                      f"purpose={quote(purpose, safe='')}",
                      *(f"from={quote(s, safe='')}" for s in sources)])
    return fetch_json(f"{_server_origin(to)}/ap/reach?{query}", key_id=key_id,
                      private_key=secret, now=utcnow(), dev_network=dev,
                      seconds=REACH_SECONDS)


def _not_reachable() -> Forbidden:
    return Forbidden("target_not_reachable", _(
        "No chain of contacts reaches this person at the moment."))


def plan_across(session: Session, instance: Instance, requester: Member, remote: RemoteActor,
                *, purpose: str = "", avoid: list[int] | None = None) -> CrossingPlan:
    """The best chain to ``remote`` through the border: fewest links in all, then the better
    chance (ours times theirs), then the lowest ids. ``avoid``: members here, and entries
    there as ``-remote_actor.id``, that stopped this request before."""
    skip = set(avoid or ())
    cap = int(instance.setting("introductions.max_hops"))
    if cap < 3:
        raise _not_reachable()  # one link here, one across, one there at least
    origin = _server_origin(remote.uri)
    border = [(m, x) for m, x in _border(session, instance, requester, origin, skip)
              if x.id != remote.id]
    if not border:
        raise _not_reachable()
    graph = graph_for(session, instance)
    local_max = min(3, cap - 2)
    degree = graph.degree_of(requester.id, sorted({m for m, _x in border}),
                             max_degree=local_max)
    degree[requester.id] = 0  # their own contact there: the request crosses at once
    # Each entry there at the distance of its nearest contact here.
    nearest: dict[int, tuple[int, _Entry]] = {}
    for member_id, entry in border:
        d = degree.get(member_id)
        if d is not None and (entry.id not in nearest or d < nearest[entry.id][0]):
            nearest[entry.id] = (d, entry)
    asked = sorted(nearest.values(), key=lambda item: (item[0], item[1].id))[:MAX_ENTRIES]
    if not asked:
        raise _not_reachable()
    try:
        answer = ask_reach(session, instance, remote.uri, [x.uri for _d, x in asked],
                           cap - 1 - asked[0][0], purpose or PURPOSES[0])
    except FetchFailed as exc:
        log.info("reach query to %s failed: %s", origin, exc)
        if exc.code in ("http_403", "http_404", "http_410"):
            raise _not_reachable() from None  # refused, hidden, gone: no chain for us
        raise ServiceError("remote_unreachable", _(
            "Their server did not answer in time. Try again later."), status=502) from None
    cap = min(cap, _int(answer.get("maxHops"), cap))
    by_uri = {x.uri: x for _d, x in asked}
    options = []
    listed = answer.get("reach")
    for item in listed if isinstance(listed, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("from"), str):
            continue
        found_entry = by_uri.get(item["from"])
        hops = _int(item.get("hops"), 0)
        if found_entry is None or not 1 <= hops <= MAX_REMOTE_LINKS:
            continue  # only about whom we asked, in links we can count
        entry = found_entry
        via = item.get("via")
        beyond = [_person(p, origin) for p in via][:hops - 1] if isinstance(via, list) else []
        if len(beyond) != hops - 1:
            continue
        chance = min(1.0, max(0.0, float(_number(item.get("chance")))))
        for member_id, x in border:
            d = degree.get(member_id)
            if x.id == entry.id and d is not None and d + 1 + hops <= cap:
                options.append((d + 1 + hops, -chance, member_id, entry, beyond, chance))
    options.sort(key=lambda o: (o[0], o[1], o[2], o[3].id))
    best: tuple[tuple[int, float, int, int], _Choice] | None = None
    for total, _neg, member_id, entry, beyond, chance in options[:MAX_EXACT]:
        if best is not None and total > best[0][0]:
            break
        if member_id == requester.id:
            nodes, here = [requester.id], 1.0
        elif degree.get(member_id) == 1:
            nodes = [requester.id, member_id]
            here = shown_chance(graph, nodes, relay_factor(session, instance))
        else:
            found = chains_between(session, instance, requester.id, member_id,
                                   max_hops=cap - 1 - (len(beyond) + 1), k=1,
                                   avoid={m for m in skip if m > 0})
            if not found:
                continue
            nodes, here = list(found[0].nodes), found[0].probability
        score = (len(nodes) - 1 + 1 + len(beyond) + 1, -here * chance, member_id, entry.id)
        if best is None or score < best[0]:
            best = (score, (nodes, entry, beyond, here * chance))
    if best is None:
        raise _not_reachable()
    nodes, entry, beyond, chance = best[1]
    return CrossingPlan(path=[*nodes, -remote.id], beyond=beyond, chance=chance,
                        entry=session.scalar(select(RemoteActor).where(
                            RemoteActor.instance_id == instance.id,
                            RemoteActor.id == entry.id)))


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else 0.0


def _person(value: Any, origin: str) -> dict[str, Any]:
    """One person between the entry and the target, as their server named them (a name only
    with an id of that server)."""
    if isinstance(value, dict) and isinstance(value.get("id"), str) \
            and value["id"].startswith(origin + "/") and isinstance(value.get("name"), str):
        return {"uri": value["id"][:500], "name": " ".join(value["name"].split())[:200]}
    return {"uri": None, "name": None}


def shown_beyond(instance: Instance, intro_beyond: list[dict[str, Any]] | None
                 ) -> list[dict[str, Any]]:
    """The people over there as the requester may see them: as their server named them, and
    only if this instance shows whole chains."""
    people = list(intro_beyond or [])
    if not all(visible_in_paths(instance, [0, 0])):
        return [{"uri": None, "name": None} for _p in people]
    return people


def plan_to_remote(session: Session, instance: Instance, requester: Member,
                   remote: RemoteActor, *, purpose: str, via_member_id: int | None = None,
                   avoid: list[int] | None = None) -> CrossingPlan:
    """The chain a request to ``remote`` takes: through a member here who knows them
    (``crossing.plan_crossing``), else, for a person on a server that relays introductions,
    on through the border (``plan_across``: one exchange with their server, after a commit)."""
    from maillon.introductions.crossing import plan_crossing

    try:
        return CrossingPlan(path=plan_crossing(session, instance, requester, remote,
                                               via_member_id=via_member_id, avoid=avoid))
    except Forbidden as exc:
        if exc.code != "target_not_reachable" or via_member_id is not None \
                or not remote.accepts_introductions:
            raise
    return plan_across(session, instance, requester, remote, purpose=purpose, avoid=avoid)


def replan_here(session: Session, instance: Instance, intro: Any, requester: Member
                ) -> CrossingPlan:
    """A new local part for a request to a person on another server (a held request whose
    relays stopped relaying), without asking their server again: to the same last relay and
    entry when the chain continues there."""
    from maillon.introductions.crossing import plan_crossing
    from maillon.network.services import are_connected

    remote = intro.remote_target
    if intro.remote_entry_id is None:
        return CrossingPlan(path=plan_crossing(session, instance, requester, remote,
                                               avoid=intro.avoid))
    carrier = intro.path[-2]
    beyond = list(intro.remote_beyond or [])
    if are_connected(session, instance, requester.id, carrier):
        nodes = [requester.id, carrier]
    else:
        budget = int(instance.setting("introductions.max_hops")) - 1 - (len(beyond) + 1)
        found = chains_between(session, instance, requester.id, carrier, max_hops=budget,
                               k=1, avoid={m for m in intro.avoid if m > 0}) \
            if budget >= 2 else []
        if not found:
            raise _not_reachable()
        nodes = list(found[0].nodes)
    return CrossingPlan(path=[*nodes, -remote.id], entry=intro.remote_entry, beyond=beyond)
