"""Who holds which role in an instance: admins name moderators and other admins (and the
deployment's operator anyone, from the command line); every change audited.

Rules: only an admin (or the operator) changes a role; nobody changes their own; the last
active admin of an instance stays one (else nobody could run it); a member who is not active
(pending, suspended, deleted) cannot be made staff.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from maillon.errors import Conflict, Forbidden, ValidationFailed
from maillon.members.models import ROLES, Member
from maillon.moderation.services import access_staff, record_audit
from maillon.tenancy.models import Instance

MAX_REASON = 1000


def change_role(session: Session, instance: Instance, actor: Member | None, member_id: int,
                role: str, *, reason: str = "", ip: str = "", operator: bool = False,
                operator_name: str = "operator") -> Member:
    """Give ``member_id`` the ``role`` (``member``, ``moderator`` or ``admin``). ``actor`` is
    an admin of the instance, or None with ``operator`` (the command line). Audited as
    ``role_changed`` (old and new roles); changing nothing changes and records nothing."""
    if not operator:
        access_staff(instance, actor, admin=True)
    if role not in ROLES:
        raise ValidationFailed({"role": _("Choose member, moderator or administrator.")})
    reason = " ".join((reason or "").split())
    if len(reason) > MAX_REASON:
        raise ValidationFailed({"reason": _("At most %(num)d characters.", num=MAX_REASON)})
    target = session.scalar(select(Member).where(Member.instance_id == instance.id,
                                                 Member.id == member_id).with_for_update())
    if target is None or target.status == "deleted":
        raise NotFound()
    if actor is not None and target.id == actor.id:
        raise Forbidden("cannot_change_own_role", _("Another administrator must change your role."))
    if target.role == role:
        return target
    if role != "member" and target.status != "active":
        raise Conflict("member_not_active", _("Only an active member can be given a staff role."))
    if target.role == "admin" and not session.scalar(select(Member.id).where(
            Member.instance_id == instance.id, Member.role == "admin",
            Member.status == "active", Member.id != target.id).limit(1)):
        raise Conflict("last_admin", _("This is the community's only administrator: make "
                                       "someone else an administrator first."))
    old, target.role = target.role, role
    entry = record_audit(session, instance, actor, "role_changed", subject=target,
                         reason=reason, ip=ip, old=old, new=role)
    if actor is None:
        entry.actor_name = operator_name
    session.commit()
    return target
