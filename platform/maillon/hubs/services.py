"""Hubs and who belongs to them: creating a hub, joining (at once or by request), hub
moderators, and what a member may do in a hub (``HubAccess``).

Who reads a hub: every active member of the instance for an open hub; only its members for a
hub "by request" (its name and description are listed for everyone, so people can ask to
join). Instance staff read and moderate every hub. Another instance's hub is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from werkzeug.exceptions import NotFound

from maillon.db import begin_write, flush_or_find, utcnow
from maillon.errors import Conflict, Forbidden, ServiceError
from maillon.hubs.lifecycle import ACTIVE, MEMBERSHIP, PENDING
from maillon.hubs.models import HUB_ROLES, Hub, HubMembership
from maillon.hubs.notifications import tell_join_approved, tell_join_requested
from maillon.hubs.signals import hub_renamed
from maillon.hubs.validation import HubFields
from maillon.members.models import Member
from maillon.pagination import MAX_ID, MAX_PAGE, MAX_PER_PAGE
from maillon.tenancy.models import Instance
from maillon.validation import check

#: Hubs one member (not staff) may create in ``CREATION_WINDOW``: enough for a real need,
#: too few to flood the list.
CREATION_LIMIT = 5
CREATION_WINDOW = timedelta(days=30)
#: A second "create" of the same name by the same member within this delay is a repeated
#: click: it shows the first hub instead of refusing the name.
REPLAY_WINDOW = timedelta(minutes=10)
MODERATOR, MEMBER = HUB_ROLES[1], HUB_ROLES[0]


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def is_staff(member: Member) -> bool:
    return member.status == "active" and member.is_moderator


@dataclass(frozen=True)
class HubAccess:
    """A hub as one member may use it."""

    hub: Hub
    member: Member
    membership: HubMembership | None
    staff: bool

    @property
    def is_member(self) -> bool:
        return self.membership is not None and self.membership.status == ACTIVE

    @property
    def is_pending(self) -> bool:
        return self.membership is not None and self.membership.status == PENDING

    @property
    def can_read(self) -> bool:
        return self.staff or self.hub.visibility == "open" or self.is_member

    @property
    def can_moderate(self) -> bool:
        return self.staff or (self.is_member and self.membership is not None
                              and self.membership.role == MODERATOR)

    @property
    def is_hub_moderator(self) -> bool:
        return self.is_member and self.membership is not None and \
            self.membership.role == MODERATOR


def _acting(instance: Instance, member: Member | None) -> Member:
    if member is None or member.instance_id != instance.id or member.status != "active":
        raise NotFound()
    return member


def find_hub(session: Session, instance: Instance, hub_id: int) -> Hub | None:
    if not 0 < hub_id <= MAX_ID:
        return None
    return session.scalar(select(Hub).where(Hub.instance_id == instance.id, Hub.id == hub_id))


def find_membership(session: Session, instance: Instance, hub_id: int, member_id: int
                    ) -> HubMembership | None:
    return session.scalar(select(HubMembership).where(
        HubMembership.instance_id == instance.id, HubMembership.hub_id == hub_id,
        HubMembership.member_id == member_id))


def access_hub(session: Session, instance: Instance, member: Member | None, hub_id: int
               ) -> HubAccess:
    """The hub with what ``member`` may do there; 404 when it is not a hub of this instance
    (or the member is not an active member of it). Reading rights are the caller's check."""
    member = _acting(instance, member)
    hub = find_hub(session, instance, hub_id)
    if hub is None:
        raise NotFound()
    return HubAccess(hub, member, find_membership(session, instance, hub.id, member.id),
                     is_staff(member))


def readable(access: HubAccess) -> HubAccess:
    if not access.can_read:
        raise Forbidden("hub_members_only", _(
            "Only the members of this hub read it. Ask to join it first."))
    return access


def moderated(access: HubAccess) -> HubAccess:
    if not access.can_moderate:
        raise Forbidden("forbidden", _("Only this hub's moderators may do this."))
    return access


# ---------------------------------------------------------------------- hubs


def _find_by_name(session: Session, instance: Instance, key: str) -> Hub | None:
    return session.scalar(select(Hub).where(Hub.instance_id == instance.id,
                                            Hub.name_key == key))


def create_hub(session: Session, instance: Instance, creator: Member,
               data: dict[str, object]) -> tuple[Hub, bool]:
    """A new hub, its creator its first moderator: (the hub, whether it is new).

    Any active member may create one, at most ``CREATION_LIMIT`` in 30 days (staff: no limit;
    decision 41). The same name again by its creator just after is a replay."""
    fields = check(HubFields, data)
    begin_write(session)
    creator = _acting(instance, creator)
    key = name_key(fields.name)
    existing = _find_by_name(session, instance, key)
    if existing is not None:
        if existing.created_by_id == creator.id and \
                existing.created_at > utcnow() - REPLAY_WINDOW:
            return existing, False
        raise Conflict("hub_name_taken", _("A hub of this name exists already."),
                       fields={"name": _("A hub of this name exists already.")})
    if not is_staff(creator):
        recent = int(session.scalar(select(func.count(Hub.id)).where(
            Hub.instance_id == instance.id, Hub.created_by_id == creator.id,
            Hub.created_at > utcnow() - CREATION_WINDOW)) or 0)
        if recent >= CREATION_LIMIT:
            raise ServiceError("hub_limit_reached", _(
                "You have created %(n)d hubs in the last 30 days: that is the limit for now.",
                n=CREATION_LIMIT), status=429)
    now = utcnow()
    hub = Hub(instance_id=instance.id, name=fields.name, name_key=key,
              description=fields.description, visibility=fields.visibility,
              created_by_id=creator.id, created_at=now, last_activity_at=now, member_count=1,
              thread_count=0)
    session.add(hub)
    replayed = flush_or_find(session, lambda: _find_by_name(session, instance, key))
    if replayed is not None:
        if replayed.created_by_id == creator.id:
            return replayed, False
        raise Conflict("hub_name_taken", _("A hub of this name exists already."),
                       fields={"name": _("A hub of this name exists already.")})
    membership = HubMembership(instance_id=instance.id, hub_id=hub.id, member_id=creator.id,
                               role=MODERATOR, created_at=now)
    MEMBERSHIP.apply(membership, ACTIVE)
    session.add(membership)
    session.commit()
    return hub, True


def update_hub(session: Session, instance: Instance, moderator: Member, hub_id: int,
               data: dict[str, object]) -> Hub:
    """Its moderators (or staff) rename a hub, describe it again or change who reads it. A hub
    made open lets in those who were waiting for approval (they asked; anyone joins now)."""
    fields = check(HubFields, data)
    begin_write(session)
    access = moderated(access_hub(session, instance, moderator, hub_id))
    hub = access.hub
    key = name_key(fields.name)
    if key != hub.name_key:
        other = _find_by_name(session, instance, key)
        if other is not None and other.id != hub.id:
            raise Conflict("hub_name_taken", _("A hub of this name exists already."),
                           fields={"name": _("A hub of this name exists already.")})
    renamed = fields.name != hub.name
    hub.name, hub.name_key, hub.description = fields.name, key, fields.description
    if fields.visibility == "open" and hub.visibility != "open":
        waiting = list(session.scalars(select(HubMembership).options(
            joinedload(HubMembership.member)).where(
            HubMembership.instance_id == instance.id, HubMembership.hub_id == hub.id,
            HubMembership.status == PENDING)))
        for row in waiting:
            MEMBERSHIP.apply(row, ACTIVE)
            hub.member_count += 1
            tell_join_approved(session, instance, row.member, access.member, hub)
    hub.visibility = fields.visibility
    try:
        session.flush()
    except IntegrityError:  # the same name taken by another hub meanwhile (PostgreSQL)
        session.rollback()
        raise Conflict("hub_name_taken", _("A hub of this name exists already."),
                       fields={"name": _("A hub of this name exists already.")}) from None
    if renamed:
        hub_renamed.send(session, hub=hub)
    session.commit()
    return hub


@dataclass(frozen=True)
class HubListing:
    hub: Hub
    membership: HubMembership | None


def list_hubs(session: Session, instance: Instance, member: Member, *, page: int = 1,
              per_page: int = 20, mine: bool = False) -> tuple[int, list[HubListing]]:
    """The instance's hubs (or only the member's), most recently active first, each with the
    member's membership. Hubs by request are listed too: their threads are not."""
    member = _acting(instance, member)
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, min(page, MAX_PAGE))
    query = select(Hub).where(Hub.instance_id == instance.id)
    if mine:
        query = query.where(Hub.id.in_(select(HubMembership.hub_id).where(
            HubMembership.instance_id == instance.id, HubMembership.member_id == member.id)))
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    hubs = list(session.scalars(query.order_by(Hub.last_activity_at.desc(), Hub.id.desc())
                                .offset((page - 1) * per_page).limit(per_page)))
    memberships = {m.hub_id: m for m in session.scalars(select(HubMembership).where(
        HubMembership.instance_id == instance.id, HubMembership.member_id == member.id,
        HubMembership.hub_id.in_([h.id for h in hubs])))} if hubs else {}
    return total, [HubListing(h, memberships.get(h.id)) for h in hubs]


# ---------------------------------------------------------------------- memberships


def join_hub(session: Session, instance: Instance, member: Member, hub_id: int
             ) -> tuple[HubMembership, bool]:
    """Join an open hub, or ask to join one by request (its moderators are told): (the
    membership, whether it is new). Joining again changes nothing."""
    begin_write(session)
    access = access_hub(session, instance, member, hub_id)
    if access.membership is not None:
        return access.membership, False
    return _add_member(session, instance, access), True


def ensure_member(session: Session, instance: Instance, access: HubAccess) -> None:
    """Posting in an open hub joins it (as replying in a Discourse category needs nothing
    more); a hub by request needs an approved membership, except for staff, who write in
    every hub they moderate without joining it. No commit."""
    if access.is_member or (access.staff and access.hub.visibility != "open"):
        return
    if access.hub.visibility != "open":
        raise Forbidden("hub_members_only", _(
            "Only the members of this hub write in it. Ask to join it first."))
    if access.membership is None:
        _add_member(session, instance, access, commit=False)


def _add_member(session: Session, instance: Instance, access: HubAccess, *,
                commit: bool = True) -> HubMembership:
    hub, member = access.hub, access.member
    status = ACTIVE if hub.visibility == "open" else PENDING
    row = HubMembership(instance_id=instance.id, hub_id=hub.id, member_id=member.id,
                        role=MEMBER, created_at=utcnow())
    MEMBERSHIP.apply(row, status)
    session.add(row)
    replayed = flush_or_find(session, lambda: find_membership(session, instance, hub.id,
                                                              member.id))
    if replayed is not None:
        return replayed
    if status == ACTIVE:
        hub.member_count += 1
    else:
        for moderator in _moderators(session, instance, hub):
            tell_join_requested(session, instance, moderator, member, hub)
    if commit:
        session.commit()
    return row


def _moderators(session: Session, instance: Instance, hub: Hub) -> list[Member]:
    return list(session.scalars(select(Member).join(
        HubMembership, HubMembership.member_id == Member.id).where(
        HubMembership.instance_id == instance.id, HubMembership.hub_id == hub.id,
        HubMembership.role == MODERATOR, HubMembership.status == ACTIVE,
        Member.status == "active").order_by(Member.id).limit(50)))


def _moderator_count(session: Session, instance: Instance, hub: Hub) -> int:
    return int(session.scalar(select(func.count(HubMembership.id)).where(
        HubMembership.instance_id == instance.id, HubMembership.hub_id == hub.id,
        HubMembership.role == MODERATOR, HubMembership.status == ACTIVE)) or 0)


def leave_hub(session: Session, instance: Instance, member: Member, hub_id: int) -> bool:
    """Leave a hub, or withdraw one's request; False when not a member. The last moderator of
    a hub with other members names another first."""
    begin_write(session)
    access = access_hub(session, instance, member, hub_id)
    row = access.membership
    if row is None:
        return False
    if access.is_hub_moderator and _moderator_count(session, instance, access.hub) == 1 \
            and access.hub.member_count > 1:
        raise Conflict("last_moderator", _(
            "You are this hub's only moderator: name another moderator before you leave."))
    if row.status == ACTIVE:
        access.hub.member_count = max(0, access.hub.member_count - 1)
    session.delete(row)
    session.commit()
    return True


def decide_request(session: Session, instance: Instance, moderator: Member, hub_id: int,
                   member_id: int, *, approve: bool) -> HubMembership | None:
    """A hub moderator approves (the member is told) or refuses a request to join; the
    approved membership, or None when refused. Deciding again answers the same."""
    begin_write(session)
    access = moderated(access_hub(session, instance, moderator, hub_id))
    row = find_membership(session, instance, access.hub.id, member_id)
    if row is None:
        if approve:
            raise NotFound()
        return None
    if row.status == ACTIVE:
        if approve:
            return row
        raise Conflict("already_member", _("This member has already joined the hub."))
    if approve:
        MEMBERSHIP.apply(row, ACTIVE)
        access.hub.member_count += 1
        tell_join_approved(session, instance, row.member, access.member, access.hub)
    else:
        session.delete(row)
    session.commit()
    return row if approve else None


def set_hub_role(session: Session, instance: Instance, moderator: Member, hub_id: int,
                 member_id: int, role: str) -> HubMembership:
    """A hub moderator (or staff) names a member of the hub moderator, or makes a moderator a
    member again; a hub never loses its last moderator this way."""
    if role not in HUB_ROLES:
        raise ServiceError("validation_failed", _("Choose member or moderator."), status=422,
                           fields={"role": ", ".join(HUB_ROLES)})
    begin_write(session)
    access = moderated(access_hub(session, instance, moderator, hub_id))
    row = find_membership(session, instance, access.hub.id, member_id)
    if row is None or row.status != ACTIVE:
        raise NotFound()
    if row.role == MODERATOR and role == MEMBER and \
            _moderator_count(session, instance, access.hub) == 1:
        raise Conflict("last_moderator", _("A hub keeps at least one moderator."))
    row.role = role
    session.commit()
    return row


def list_memberships(session: Session, instance: Instance, viewer: Member, hub_id: int, *,
                     pending: bool = False, page: int = 1, per_page: int = 50
                     ) -> tuple[int, list[HubMembership]]:
    """The hub's members, moderators first then by name (readers of the hub), or the
    requests waiting (its moderators only), oldest first."""
    access = readable(access_hub(session, instance, viewer, hub_id))
    if pending:
        moderated(access)
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, min(page, MAX_PAGE))
    query = select(HubMembership).join(Member, Member.id == HubMembership.member_id).where(
        HubMembership.instance_id == instance.id, HubMembership.hub_id == access.hub.id,
        HubMembership.status == (PENDING if pending else ACTIVE),
        Member.status == "active")
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    order = (HubMembership.id,) if pending else (
        (HubMembership.role == MODERATOR).desc(), func.lower(Member.name), Member.id)
    rows = list(session.scalars(query.options(joinedload(HubMembership.member))
                                .order_by(*order).offset((page - 1) * per_page)
                                .limit(per_page)))
    return total, rows
