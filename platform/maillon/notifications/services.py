"""Notifications: a registry of kinds, in-app rows and e-mails per member preferences.

``notify`` writes in the caller's transaction and never commits: the in-app row and the queued
e-mail (a job in the outbox) exist exactly when the change that caused them does. Domains add
their own kinds with ``register_kind`` (introductions will); each kind declares its sentence,
its link, its e-mail template and whether in-app and e-mail are on by default.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload
from werkzeug.exceptions import NotFound

from maillon.db import begin_write, utcnow
from maillon.errors import ValidationFailed
from maillon.members.models import Member, former_member_label
from maillon.notifications.mail import queue_email
from maillon.notifications.models import Notification
from maillon.tenancy.models import Instance

Link = tuple[str, dict[str, Any]]  # (endpoint, url values)
CHANNELS = ("app", "email")


@dataclass(frozen=True)
class NotificationKind:
    """What one kind of event says, where it links, and its default channels."""

    name: str
    label: LazyString | str  # shown in the preferences form
    # The sentence in the current locale: fn(actor name, data) → text.
    sentence: Callable[[str, Mapping[str, Any]], str]
    link_builder: Callable[[Notification], Link]
    default_app: bool = True
    default_email: bool = False
    email_template: str = field(default="")
    # Moderation decisions: in-app and by e-mail whatever the preferences and even to a
    # suspended account; not offered in the preferences form.
    required: bool = False
    # Another kind whose channels this one follows (not offered in the form): a remote
    # acceptance is told as the member chose for acceptances.
    channels_of: str = ""

    def template(self) -> str:
        return self.email_template or f"notifications/email/{self.name}"


KINDS: dict[str, NotificationKind] = {}


def register_kind(kind: NotificationKind) -> NotificationKind:
    """Declare a kind once; later domains (introductions) register theirs the same way."""
    KINDS[kind.name] = kind
    return kind


def optional_kinds() -> dict[str, NotificationKind]:
    """The kinds a member may switch on or off (the preferences form)."""
    return {name: kind for name, kind in KINDS.items()
            if not kind.required and not kind.channels_of}


def get_kind(name: str) -> NotificationKind:
    try:
        return KINDS[name]
    except KeyError:
        raise LookupError(f"unknown notification kind {name!r}") from None


def _actor_profile(n: Notification) -> Link:
    return "members.profile", {"member_id": n.actor_id or n.member_id}


def _own_profile(n: Notification) -> Link:
    return "members.profile", {"member_id": n.member_id}


def _invitations(n: Notification) -> Link:
    return "network.my_network", {}


def _my_recommendations(n: Notification) -> Link:
    return "feedback.manage", {}


def _recommend_actor(n: Notification) -> Link:
    if n.actor_id is None:
        return _own_profile(n)
    return "feedback.recommend", {"member_id": n.actor_id}


def _remote_contacts(n: Notification) -> Link:
    return "network.my_network", {"_anchor": "remote"}


def _trust_prompt(n: Notification) -> Link:
    if n.subject_type == "connections" and n.subject_id is not None:
        return "network.trust", {"connection_id": n.subject_id}
    return _actor_profile(n)


register_kind(NotificationKind(
    "connection_requested", _l("Invitations to connect"),
    lambda actor, data: _("%(actor)s wants to connect with you", actor=actor),
    _invitations, default_email=True))
register_kind(NotificationKind(
    "connection_accepted", _l("Accepted invitations"),
    lambda actor, data: _("%(actor)s accepted your invitation to connect", actor=actor),
    _trust_prompt, default_email=True))
register_kind(NotificationKind(
    "remote_connection_accepted", _l("Accepted invitations"),
    lambda actor, data: _("%(person)s (%(server)s) accepted your request to connect",
                          person=data.get("person", ""), server=data.get("server", "")),
    _remote_contacts, channels_of="connection_accepted"))
register_kind(NotificationKind(
    "skill_endorsed", _l("Skill endorsements"),
    lambda actor, data: _("%(actor)s endorsed you for %(skill)s", actor=actor,
                          skill=data.get("skill", "")),
    _own_profile))
register_kind(NotificationKind(
    "recommendation_written", _l("Recommendations written about you"),
    lambda actor, data: _("%(actor)s wrote a recommendation for you", actor=actor),
    _my_recommendations, default_email=True))
register_kind(NotificationKind(
    "recommendation_requested", _l("Requests for a recommendation"),
    lambda actor, data: _("%(actor)s asks you for a recommendation", actor=actor),
    _recommend_actor, default_email=True))
register_kind(NotificationKind(
    "recommendation_approved", _l("Recommendations approved"),
    lambda actor, data: _("%(actor)s approved your recommendation", actor=actor),
    _actor_profile))


def actor_name(notification: Notification) -> str:
    actor = notification.actor
    return actor.name if actor is not None else _("A former member")


def describe(notification: Notification) -> str:
    """The notification's sentence in the current locale."""
    kind = KINDS.get(notification.kind)
    if kind is None:  # a kind whose domain was removed: say something neutral
        return _("Something happened in your network")
    data = dict(notification.data or {})
    for key in data.pop("former_members", ()):  # names erased when the account was deleted
        data[key] = former_member_label()
    return kind.sentence(actor_name(notification), data)


def link_for(notification: Notification) -> Link:
    kind = KINDS.get(notification.kind)
    return kind.link_builder(notification) if kind else _own_profile(notification)


# --- Preferences -------------------------------------------------------------------------------

def preferences(member: Member) -> dict[str, dict[str, bool]]:
    """Every registered kind's channels for the member: their choice, else the kind's default."""
    stored = member.notification_prefs or {}
    result: dict[str, dict[str, bool]] = {}
    for name, kind in KINDS.items():
        if kind.required:
            result[name] = {"app": True, "email": True}
            continue
        chosen = stored.get(name) or {}
        result[name] = {
            "app": bool(chosen.get("app", kind.default_app)),
            "email": bool(chosen.get("email", kind.default_email)),
        }
    for name, kind in KINDS.items():
        if kind.channels_of and not kind.required:
            result[name] = dict(result[kind.channels_of])
    return result


def update_preferences(session: Session, instance: Instance, member: Member,
                       prefs: Mapping[str, Mapping[str, bool]]) -> dict[str, dict[str, bool]]:
    """Save the member's channels per kind (kinds not named keep their values)."""
    if member.instance_id != instance.id:
        raise NotFound()
    problems = {name: "unknown" for name in prefs if name not in KINDS}
    for name, channels in prefs.items():
        if name in KINDS and (not isinstance(channels, Mapping) or any(
                key not in CHANNELS or not isinstance(value, bool)
                for key, value in channels.items())):
            problems[name] = "invalid"
    if problems:
        raise ValidationFailed(problems)
    merged = {name: dict(value) for name, value in (member.notification_prefs or {}).items()
              if name in KINDS}
    for name, channels in prefs.items():
        merged.setdefault(name, {}).update(channels)
    member.notification_prefs = merged  # a new dict: JSON columns do not track mutation
    session.commit()
    return preferences(member)


# --- Sending -----------------------------------------------------------------------------------

def _subject_ref(subject: Any) -> tuple[str, int | None]:
    if subject is None:
        return "", None
    if isinstance(subject, tuple):
        return str(subject[0]), int(subject[1])
    return str(subject.__tablename__), int(subject.id)


def notify(session: Session, instance: Instance, recipient: Member, kind: str, *,
           actor: Member | None = None, subject: Any = None,
           data: Mapping[str, Any] | None = None) -> Notification | None:
    """Tell a member about an event, in-app and/or by e-mail per their preferences (no commit).

    ``subject`` is a model row (or a ``(type, id)`` pair) the notification is about.
    """
    spec = get_kind(kind)
    if recipient.instance_id != instance.id or (actor is not None and (
            actor.instance_id != instance.id or actor.id == recipient.id)):
        return None  # never across instances; nobody is told about their own action
    channels = preferences(recipient)[kind]
    subject_type, subject_id = _subject_ref(subject)
    row = Notification(instance_id=instance.id, member_id=recipient.id, kind=kind,
                       actor_id=actor.id if actor is not None else None,
                       subject_type=subject_type, subject_id=subject_id,
                       data=dict(data or {}), created_at=utcnow())
    if channels["app"]:
        session.add(row)
    if channels["email"] and (recipient.status == "active" or (
            spec.required and recipient.status == "suspended")):
        from maillon.tenancy.links import absolute_url

        endpoint, values = link_for(row)
        queue_email(session, instance, to=recipient.email, template=spec.template(),
                    locale=recipient.locale, recipient=recipient,
                    actor_name=actor.name if actor is not None else "",
                    data=row.data, subject=subject,
                    link=absolute_url(instance, endpoint, **values),
                    settings_link=absolute_url(instance, "notifications.settings"))
    return row if channels["app"] else None


# --- Reading -----------------------------------------------------------------------------------

def _mine(instance: Instance, member: Member) -> Any:
    return (Notification.instance_id == instance.id) & (Notification.member_id == member.id)


def unread_count(session: Session, instance: Instance, member: Member) -> int:
    return int(session.scalar(select(func.count(Notification.id)).where(
        _mine(instance, member), Notification.read_at.is_(None))) or 0)


def list_notifications(session: Session, instance: Instance, member: Member, *, page: int = 1,
                       per_page: int = 20, unread_only: bool = False
                       ) -> tuple[int, list[Notification]]:
    """The member's notifications, newest first."""
    query = select(Notification).where(_mine(instance, member))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = list(session.scalars(
        query.options(selectinload(Notification.actor))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((max(page, 1) - 1) * per_page).limit(per_page)))
    return total, rows


def access_notification(session: Session, instance: Instance, member: Member,
                        notification_id: int) -> Notification:
    """One of the member's notifications; anyone else's (or another instance's) is a 404."""
    row = session.scalar(select(Notification).where(
        _mine(instance, member), Notification.id == notification_id))
    if row is None:
        raise NotFound()
    return row


def mark_read(session: Session, instance: Instance, member: Member,
              ids: Iterable[int] | None = None) -> int:
    """Mark some (``ids``) or all of the member's notifications read; returns how many."""
    begin_write(session)  # also called from pages read with GET
    stmt = update(Notification).where(_mine(instance, member), Notification.read_at.is_(None))
    if ids is not None:
        wanted = [int(i) for i in ids]
        if not wanted:
            return 0
        stmt = stmt.where(Notification.id.in_(wanted))
    result = session.execute(stmt.values(read_at=utcnow()).execution_options(
        synchronize_session=False))
    session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def read_notifications(session: Session, instance: Instance, member: Member, *, page: int = 1,
                       per_page: int = 20) -> tuple[int, list[Notification], set[int]]:
    """A page of notifications, which of them were unread, and mark those read (seen now)."""
    total, rows = list_notifications(session, instance, member, page=page, per_page=per_page)
    unread = {row.id for row in rows if row.read_at is None}
    mark_read(session, instance, member, unread)
    return total, rows, unread


def open_notification(session: Session, instance: Instance, member: Member,
                      notification_id: int) -> Link:
    """Mark one notification read and return where it leads."""
    begin_write(session)  # a GET link that writes
    row = access_notification(session, instance, member, notification_id)
    if row.read_at is None:
        row.read_at = utcnow()
        session.commit()
    return link_for(row)


def instance_of(session: Session, instance_id: int) -> Instance:
    """The instance a notified row belongs to (receivers get rows, not the instance)."""
    instance = session.get(Instance, instance_id)
    if instance is None:
        raise LookupError(f"no instance {instance_id}")
    return instance
