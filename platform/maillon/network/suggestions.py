"""People the member may know: second-degree members, by how many of the member's contacts
know them.

A suggestion says "X knows your contact C". So it is made only through contacts whose own
contact list the member may read (``visibility.contacts_visible_among``): a contact who hides
their list lends nobody to suggestions, and the shared count shown counts only contacts whose
list the member may read, so neither a suggestion, its count nor the order tells of a hidden
link. Members who keep their profile out of the directory, inactive members, the member's
connections and anyone with an invitation pending either way are never suggested.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, or_, select, true
from sqlalchemy.orm import Session

from maillon.members.models import Member
from maillon.members.serialisation import MemberCard, member_card
from maillon.members.services import VISIBLE_STATUSES
from maillon.network.graph import graph_for
from maillon.network.lifecycle import PENDING
from maillon.network.models import Connection
from maillon.network.visibility import contacts_visible_among
from maillon.tenancy.models import Instance

#: Candidates read from the database before the final cut (the best by shared count).
CANDIDATES = 60
#: Contacts whose own contacts are counted (the lowest ids): a bounded cost for a hub.
CONTACTS_SCANNED = 500


def suggest_people(session: Session, instance: Instance, member: Member, limit: int = 6
                   ) -> list[MemberCard]:
    """Up to ``limit`` members the member may know, most shared (readable) contacts first.

    Three queries whatever the network's size: the member's contacts, their pending
    invitations, the candidates.
    """
    graph = graph_for(session, instance)
    contact_ids = graph.neighbours(member.id)
    if not contact_ids or limit <= 0:
        return []
    contacts = list(session.scalars(select(Member).where(
        Member.instance_id == instance.id, Member.id.in_(contact_ids),
        Member.status.in_(VISIBLE_STATUSES))))
    readable = contacts_visible_among(session, instance, member, contacts) - {member.id}
    known = set(contact_ids) | {member.id}
    shared: Counter[int] = Counter()
    for contact in sorted(readable)[:CONTACTS_SCANNED]:
        shared.update(other for other in graph.neighbours(contact) if other not in known)
    if not shared:
        return []
    pending = {a if b == member.id else b for a, b in session.execute(
        select(Connection.requester_id, Connection.addressee_id).where(
            Connection.instance_id == instance.id, Connection.status == PENDING,
            or_(Connection.requester_id == member.id, Connection.addressee_id == member.id)))}
    # Most shared contacts first, then the lower id: a function of what the member may read.
    ranked = [mid for mid, _n in sorted(shared.items(), key=lambda kv: (-kv[1], kv[0]))
              if mid not in pending][:CANDIDATES]
    in_directory = func.coalesce(Member.visibility["in_directory"].as_boolean(), true())
    found = {m.id: m for m in session.scalars(select(Member).where(
        Member.instance_id == instance.id, Member.id.in_(ranked),
        Member.status.in_(VISIBLE_STATUSES), in_directory.is_(true())))}
    return [member_card(found[mid], 2, shared[mid]) for mid in ranked if mid in found][:limit]
