"""Turns network events into notifications, inside the sender's transaction (never commits).

Signals are sent with the session as sender. Endorsement and recommendation signals are hooked
when the network package declares them (``recipient=`` names who is told).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from maillon.members.models import Member
from maillon.network import signals
from maillon.notifications import introductions as _introductions  # noqa: F401  (its kinds)
from maillon.notifications.services import instance_of, notify


@signals.connection_requested.connect
def _on_connection_requested(session: Session, *, connection: Any, actor: Member,
                             **extra: Any) -> None:
    notify(session, instance_of(session, connection.instance_id), connection.addressee,
           "connection_requested", actor=actor, subject=connection)


@signals.connection_accepted.connect
def _on_connection_accepted(session: Session, *, connection: Any, actor: Member,
                            **extra: Any) -> None:
    notify(session, instance_of(session, connection.instance_id), connection.requester,
           "connection_accepted", actor=actor, subject=connection)


@signals.remote_connection_accepted.connect
def _on_remote_connection_accepted(session: Session, *, connection: Any, recipient: Member,
                                   person: Any, **extra: Any) -> None:
    """Someone on another server accepted the member's request (their Accept, or their
    Follow back): no local actor, their name and server in the data."""
    notify(session, instance_of(session, recipient.instance_id), recipient,
           "remote_connection_accepted", subject=connection,
           data={"person": person.name, "server": person.server})


def _skill_name(recipient: Member, subject: Any) -> str:
    """The endorsed skill as the member spells it (endorsements keep a case-folded key)."""
    name = getattr(subject, "skill", None)
    if isinstance(name, str):
        return name
    key = getattr(subject, "skill_key", None)
    if not isinstance(key, str):
        return ""
    for skill in recipient.skills or ():
        if " ".join(skill.split()).casefold() == key:
            return str(skill)
    return key


def _relay(kind: str, subject_key: str) -> Any:
    """A receiver for an event that names its ``recipient`` and ``actor``."""

    def receive(session: Session, **kwargs: Any) -> None:
        recipient: Member = kwargs["recipient"]
        subject = kwargs.get(subject_key)
        data: dict[str, Any] = {}
        skill = _skill_name(recipient, subject)
        if skill:
            data["skill"] = skill
        notify(session, instance_of(session, recipient.instance_id), recipient, kind,
               actor=kwargs.get("actor"), subject=subject, data=data)

    receive.__name__ = f"_on_{kind}"
    return receive


# Kept referenced: blinker holds receivers weakly.
_RELAYS = {
    "skill_endorsed": _relay("skill_endorsed", "endorsement"),
    "recommendation_written": _relay("recommendation_written", "recommendation"),
    "recommendation_requested": _relay("recommendation_requested", "request"),
    "recommendation_approved": _relay("recommendation_approved", "recommendation"),
}
for _name, _receiver in _RELAYS.items():
    _signal = getattr(signals, _name, None)
    if _signal is not None:
        _signal.connect(_receiver)
