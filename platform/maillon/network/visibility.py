"""Who may see whose contacts, shared connections, degree badges and degree circles.

Contact lists follow the owner's ``visibility["contacts_visible_to"]``; degrees come from the
in-memory graph (``maillon.network.graph``), which every process keeps current by watermark.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maillon.errors import Forbidden
from maillon.members.models import Member, default_visibility
from maillon.members.serialisation import MemberCard, member_card
from maillon.members.services import VISIBLE_STATUSES, access_member
from maillon.network.graph import degrees, graph_for, shared_connection_ids
from maillon.network.lifecycle import CONNECTED, PENDING
from maillon.network.models import Connection
from maillon.network.services import are_connected, connection_ids, find_connection_between
from maillon.tenancy.models import Instance

#: Largest degree circle computed for a search filter or boost (beyond it: no filter/boost).
CIRCLE_CAP = 50_000
DEGREE_BOOSTS = {1: 1.3, 2: 1.15, 3: 1.05}


def contacts_visible_to(owner: Member) -> str:
    return str({**default_visibility(), **(owner.visibility or {})}["contacts_visible_to"])


def can_see_contacts(session: Session, instance: Instance, viewer: Member | None,
                     owner: Member) -> bool:
    """Whether ``viewer`` may see ``owner``'s contact list (the owner always may)."""
    if viewer is None or viewer.instance_id != instance.id or owner.instance_id != instance.id:
        return False
    if viewer.id == owner.id:
        return True
    if viewer.status not in VISIBLE_STATUSES:
        return False
    setting = contacts_visible_to(owner)
    if setting == "members":
        return True
    if setting == "connections":
        return are_connected(session, instance, viewer.id, owner.id)
    if setting == "second_degree":
        return degrees(session, instance, viewer.id, [owner.id]).get(owner.id) in (1, 2)
    return False  # "nobody", or anything unknown: fail closed


def contacts_visible_among(session: Session, instance: Instance, viewer: Member,
                           owners: Iterable[Member]) -> set[int]:
    """The ids of ``owners`` whose contact list ``viewer`` may see: ``can_see_contacts`` for
    several owners at once, from one look at the graph (no query per owner)."""
    owners = list(owners)
    if viewer.instance_id != instance.id or viewer.status not in VISIBLE_STATUSES:
        return {viewer.id} & {o.id for o in owners}
    visible: set[int] = set()
    asked: dict[int, str] = {}
    for owner in owners:
        setting = contacts_visible_to(owner)
        if owner.instance_id != instance.id:
            continue
        if owner.id == viewer.id or setting == "members":
            visible.add(owner.id)
        elif setting in ("connections", "second_degree"):
            asked[owner.id] = setting
    if asked:
        found = degrees(session, instance, viewer.id, list(asked))
        visible |= {mid for mid, setting in asked.items()
                    if found.get(mid) in ((1,) if setting == "connections" else (1, 2))}
    return visible


def nameable_next_to(session: Session, instance: Instance, viewer: Member, target: Member,
                     neighbours: Iterable[Member]) -> set[int]:
    """Which ``neighbours`` (each next to ``target`` in a chain) may be named to ``viewer``.

    Naming the member next to the target says they are the target's contact. So when the
    target's contact list is hidden from the viewer, that member is named only if the viewer
    may read their own contact list (the link is on it anyway). Callers decide until when
    this holds (an introduction's requester: until the target accepts).
    """
    neighbours = list(neighbours)
    visible = contacts_visible_among(session, instance, viewer, [target, *neighbours])
    if target.id in visible:
        return {m.id for m in neighbours}
    return {m.id for m in neighbours if m.id in visible}


def list_contacts(session: Session, instance: Instance, viewer: Member, owner_id: int,
                  page: int = 1, per_page: int = 50) -> tuple[Member, int, list[Member]]:
    """(owner, total, page of contacts): 404 if the owner is not visible, 403
    ``contacts_not_visible`` if the owner's setting hides them from the viewer."""
    owner = access_member(session, instance, viewer, owner_id)
    if not can_see_contacts(session, instance, viewer, owner):
        raise Forbidden("contacts_not_visible",
                        _("%(name)s's contacts are not visible to you.", name=owner.name))
    ids = connection_ids(session, instance, owner.id)
    if not ids:
        return owner, 0, []
    per_page = max(1, min(int(per_page), 100))
    page = max(1, int(page))
    where = (Member.instance_id == instance.id, Member.id.in_(ids),
             Member.status.in_(VISIBLE_STATUSES))
    total = int(session.scalar(select(func.count(Member.id)).where(*where)) or 0)
    members = list(session.scalars(select(Member).where(*where).order_by(
        func.lower(Member.name), Member.id).offset((page - 1) * per_page).limit(per_page)))
    return owner, total, members


def _active(session: Session, instance: Instance, ids: list[int]) -> list[Member]:
    if not ids:
        return []
    return list(session.scalars(select(Member).where(
        Member.instance_id == instance.id, Member.id.in_(ids),
        Member.status.in_(VISIBLE_STATUSES)).order_by(func.lower(Member.name), Member.id)))


def shared_connections_for(session: Session, instance: Instance, viewer: Member,
                           other: Member) -> list[Member]:
    """The viewer's connections also connected to ``other`` (active members only)."""
    if viewer.id == other.id:
        return []
    return _active(session, instance, shared_connection_ids(session, instance, viewer.id,
                                                             other.id))


@dataclass(frozen=True)
class Badge:
    """What a member list shows next to a member: degree from the viewer, shared count."""

    degree: int | None
    shared: int


def badges_for(session: Session, instance: Instance, viewer: Member | None,
               member_ids: list[int]) -> dict[int, Badge]:
    """Degree and shared-connection count of each listed member, seen from ``viewer``."""
    if viewer is None or not member_ids:
        return {}
    graph = graph_for(session, instance)
    found = graph.degree_of(viewer.id, member_ids)
    shared = graph.shared_counts(viewer.id, member_ids)
    return {mid: Badge(found.get(mid), shared[mid] if mid != viewer.id else 0)
            for mid in member_ids}


def member_cards(session: Session, instance: Instance, viewer: Member | None,
                 members: list[Member]) -> list[MemberCard]:
    """The cards of a member list, with each one's degree badge and shared count."""
    badges = badges_for(session, instance, viewer, [m.id for m in members])
    no_badge = Badge(None, 0)
    return [member_card(m, badges.get(m.id, no_badge).degree, badges.get(m.id, no_badge).shared)
            for m in members]


def degree_circles(session: Session, instance: Instance, viewer_id: int, max_degree: int = 3,
                   cap: int = CIRCLE_CAP) -> list[set[int]]:
    """Members at exactly degree 1, 2, … ``max_degree`` from the viewer (breadth-first).

    Stops (returning fewer circles) once the members seen would pass ``cap``: the caller then
    treats further degrees as "unknown" instead of scanning a whole big community.
    """
    graph = graph_for(session, instance)
    src = int(graph.index_of([viewer_id])[0])
    if src < 0:
        return [set() for _ in range(max_degree)]
    seen = np.zeros(graph.node_count, dtype=bool)
    seen[src] = True
    frontier = np.asarray([src], dtype=np.int64)
    circles: list[set[int]] = []
    total = 0
    for _level in range(max_degree):
        if not len(frontier):
            circles.append(set())
            continue
        _, nbrs, _codes = graph.expand(frontier)
        nxt = np.unique(np.asarray(nbrs, dtype=np.int64))
        nxt = nxt[~seen[nxt]]
        total += len(nxt)
        if total > cap:
            break
        seen[nxt] = True
        circles.append({int(x) for x in graph.id_of(nxt)})
        frontier = nxt
    return circles


def ids_within_degree(session: Session, instance: Instance, viewer_id: int, degree: int,
                      cap: int = CIRCLE_CAP) -> set[int] | None:
    """Members at degree ≤ ``degree`` from the viewer; None if that circle is too large."""
    circles = degree_circles(session, instance, viewer_id, degree, cap)
    if len(circles) < degree:
        return None
    return set().union(*circles)


@dataclass(frozen=True)
class ProfileNetwork:
    """The network side of a profile page, as the viewer may see it."""

    degree: int | None
    shared_count: int
    shared: list[Member]  # listed only where the owner's contacts are visible to the viewer
    contacts_visible: bool
    connection: Connection | None  # the pair's row, pending or connected; None otherwise
    state: str  # self | none | connected | pending_out | pending_in


def profile_network(session: Session, instance: Instance, viewer: Member,
                    member: Member) -> ProfileNetwork:
    """Degree, shared connections, contact visibility and the pair's connection state."""
    if viewer.id == member.id:
        return ProfileNetwork(None, 0, [], True, None, "self")
    shared = shared_connections_for(session, instance, viewer, member)
    visible = can_see_contacts(session, instance, viewer, member)
    row = find_connection_between(session, instance, viewer.id, member.id)
    state = "none"
    if row is not None and row.status == CONNECTED:
        state = "connected"
    elif row is not None and row.status == PENDING:
        state = "pending_out" if row.requester_id == viewer.id else "pending_in"
    else:
        row = None
    degree = degrees(session, instance, viewer.id, [member.id]).get(member.id)
    return ProfileNetwork(degree, len(shared), shared if visible else [], visible, row, state)
