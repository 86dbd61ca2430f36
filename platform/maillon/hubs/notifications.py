"""What hubs tell members: a mention, a reply in a followed thread, a request to join (to the
hub's moderators) and its approval. Kinds of the notifications registry: each member chooses
in-app and e-mail per kind (``/settings/notifications``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from maillon.members.models import Member
from maillon.notifications.models import Notification
from maillon.notifications.services import Link, NotificationKind, notify, register_kind
from maillon.tenancy.models import Instance


def _thread(n: Notification) -> Link:
    return "hubs.thread", {"thread_id": int((n.data or {}).get("thread_id", 0))}


def _hub(n: Notification) -> Link:
    return "hubs.hub", {"hub_id": int((n.data or {}).get("hub_id", 0))}


def _mentioned(actor: str, data: Mapping[str, Any]) -> str:
    return _("%(actor)s mentioned you in “%(title)s”", actor=actor, title=data.get("title", ""))


def _replied(actor: str, data: Mapping[str, Any]) -> str:
    return _("%(actor)s replied in “%(title)s”", actor=actor, title=data.get("title", ""))


def _join_requested(actor: str, data: Mapping[str, Any]) -> str:
    return _("%(actor)s asks to join the hub %(hub)s", actor=actor, hub=data.get("hub", ""))


def _join_approved(actor: str, data: Mapping[str, Any]) -> str:
    return _("You are now a member of the hub %(hub)s", hub=data.get("hub", ""))


register_kind(NotificationKind("hub_mention", _l("Mentions in hubs"), _mentioned, _thread,
                               default_email=True, email_template="hubs/email/hub_mention"))
register_kind(NotificationKind("thread_reply", _l("Replies in threads I follow"), _replied,
                               _thread, email_template="hubs/email/thread_reply"))
register_kind(NotificationKind("hub_join_requested", _l("Requests to join hubs I moderate"),
                               _join_requested, _hub, default_email=True,
                               email_template="hubs/email/hub_join_requested"))
register_kind(NotificationKind("hub_join_approved", _l("My requests to join hubs"),
                               _join_approved, _hub, default_email=True,
                               email_template="hubs/email/hub_join_approved"))


def tell_mentioned(session: Session, instance: Instance, recipient: Member, author: Member,
                   post: Any, title: str, excerpt: str) -> None:
    notify(session, instance, recipient, "hub_mention", actor=author, subject=post,
           data={"thread_id": post.thread_id, "title": title, "excerpt": excerpt})


def tell_replied(session: Session, instance: Instance, recipient: Member, author: Member,
                 post: Any, title: str, excerpt: str) -> None:
    notify(session, instance, recipient, "thread_reply", actor=author, subject=post,
           data={"thread_id": post.thread_id, "title": title, "excerpt": excerpt})


def tell_join_requested(session: Session, instance: Instance, moderator: Member,
                        member: Member, hub: Any) -> None:
    notify(session, instance, moderator, "hub_join_requested", actor=member, subject=hub,
           data={"hub_id": hub.id, "hub": hub.name})


def tell_join_approved(session: Session, instance: Instance, member: Member,
                       moderator: Member, hub: Any) -> None:
    notify(session, instance, member, "hub_join_approved", actor=moderator, subject=hub,
           data={"hub_id": hub.id, "hub": hub.name})
