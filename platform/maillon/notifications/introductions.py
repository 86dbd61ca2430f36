"""Introduction steps as notifications: whoever must act now, the requester's outcomes, the
chain's thanks, and direct messages.

Receivers run inside the introduction's transaction (``notify`` never commits). Names go into
the notification only as the chain-visibility policy lets the recipient see them: an actor the
recipient may not know about is left out, and the requester is never told who declined or let a
step expire (those signals carry no actor, and these kinds never name one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.introductions import signals
from maillon.introductions.models import Introduction, IntroductionEvent
from maillon.introductions.records import current_hop_row
from maillon.introductions.views_data import visible_path_ids
from maillon.members.models import Member
from maillon.notifications.models import Notification
from maillon.notifications.services import (
    Link,
    NotificationKind,
    instance_of,
    notify,
    register_kind,
)

SNIPPET = 140  # characters of a direct message quoted in the in-app sentence


# --- Kinds -------------------------------------------------------------------------------------

def _introduction(n: Notification) -> Link:
    if n.subject_type == "introductions" and n.subject_id is not None:
        return "introductions.detail", {"intro_id": n.subject_id}
    return "introductions.index", {}


def _messages(n: Notification) -> Link:
    return "introductions.messages", {}


def _kind(name: str, label: Any, sentence: Callable[[str, Mapping[str, Any]], str], *,
          email: bool, link: Callable[[Notification], Link] = _introduction) -> None:
    register_kind(NotificationKind(name, label, sentence, link, default_email=email))


def _requested(actor: str, data: Mapping[str, Any]) -> str:
    return _("%(actor)s asks you to pass on an introduction to %(target)s", actor=actor,
             target=data.get("target", ""))


def _forwarded(actor: str, data: Mapping[str, Any]) -> str:
    return _("%(actor)s asks you to pass on a request from %(requester)s to meet %(target)s",
             actor=actor, requester=data.get("requester", ""), target=data.get("target", ""))


def _delivered(actor: str, data: Mapping[str, Any]) -> str:
    if data.get("direct"):
        return _("%(requester)s asks to be introduced to you",
                 requester=data.get("requester", ""))
    return _("%(actor)s passed you a request from %(requester)s to be introduced to you",
             actor=actor, requester=data.get("requester", ""))


def _declined(actor: str, data: Mapping[str, Any]) -> str:
    return _("Your request to meet %(target)s stopped on the way; you can try another chain",
             target=data.get("target", ""))


def _expired(actor: str, data: Mapping[str, Any]) -> str:
    return _("Your request to meet %(target)s got no answer in time; you can try another "
             "chain", target=data.get("target", ""))


def _advised(actor: str, data: Mapping[str, Any]) -> str:
    if data.get("anonymous"):
        return _("You received advice instead of an introduction to %(target)s",
                 target=data.get("target", ""))
    return _("%(actor)s sent you advice instead of an introduction to %(target)s",
             actor=actor, target=data.get("target", ""))


def _accepted(actor: str, data: Mapping[str, Any]) -> str:
    return _("%(target)s accepted your introduction request", target=data.get("target", ""))


def _rejected(actor: str, data: Mapping[str, Any]) -> str:
    return _("%(target)s declined your introduction request", target=data.get("target", ""))


def _concluded(actor: str, data: Mapping[str, Any]) -> str:
    names = {"requester": data.get("requester", ""), "target": data.get("target", "")}
    outcome = data.get("outcome")
    if outcome == "accepted":
        return _("The introduction from %(requester)s to %(target)s was accepted", **names)
    if outcome == "rejected":
        return _("The introduction from %(requester)s to %(target)s was declined", **names)
    return _("The request from %(requester)s to meet %(target)s ended with advice instead "
             "of an introduction", **names)


def _thanked(actor: str, data: Mapping[str, Any]) -> str:
    return _("%(actor)s thanks you for passing on the introduction from %(requester)s",
             actor=actor, requester=data.get("requester", ""))


def _withdrawn(actor: str, data: Mapping[str, Any]) -> str:
    return _("%(requester)s withdrew the request to meet %(target)s: nothing more to do",
             requester=data.get("requester", ""), target=data.get("target", ""))


def _blocked(actor: str, data: Mapping[str, Any]) -> str:
    return _("The moderators stopped your request to meet %(target)s: %(reason)s",
             target=data.get("target", ""), reason=data.get("reason", ""))


def _released(actor: str, data: Mapping[str, Any]) -> str:
    return _("The request from %(requester)s to meet %(target)s was stopped: nothing more to "
             "do", requester=data.get("requester", ""), target=data.get("target", ""))


def _direct_message(actor: str, data: Mapping[str, Any]) -> str:
    return _("%(actor)s sent you a message: “%(text)s”", actor=actor,
             text=data.get("text", ""))


# E-mail by default for what asks the recipient to act, and for the requester's outcomes.
_kind("introduction_requested", _l("Introduction requests to pass on"), _requested,
      email=True)
_kind("introduction_forwarded", _l("Introduction requests passed on to you"), _forwarded,
      email=True)
_kind("introduction_delivered", _l("Introduction requests addressed to you"), _delivered,
      email=True)
_kind("introduction_declined", _l("Your introduction requests that stopped on the way"),
      _declined, email=True)
_kind("introduction_expired", _l("Your introduction requests that got no answer in time"),
      _expired, email=True)
_kind("introduction_advised", _l("Advice instead of an introduction"), _advised, email=True)
_kind("introduction_accepted", _l("Your introduction requests accepted"), _accepted,
      email=True)
_kind("introduction_rejected", _l("Your introduction requests declined"), _rejected,
      email=True)
_kind("introduction_concluded", _l("Outcomes of introductions you passed on"), _concluded,
      email=False)
_kind("introduction_thanked", _l("Thanks for introductions you passed on"), _thanked,
      email=False)
_kind("introduction_withdrawn", _l("Requests withdrawn while you held them"), _withdrawn,
      email=False)
_kind("direct_message", _l("Direct messages"), _direct_message, email=True, link=_messages)
# A moderator's block is a moderation decision: the requester is told why, in-app and by
# e-mail whatever their preferences (as sanctions are).
register_kind(NotificationKind("introduction_blocked", _l("My introduction requests stopped "
                               "by the moderators"), _blocked, _introduction, required=True))
_kind("introduction_released", _l("Requests stopped while you held them"), _released,
      email=False)



def _from_other_servers(n: Notification) -> Link:
    return "introductions.from_other_servers", {}


# Someone on another server asks, through the member's connection there (decision 56a): told
# as the member chose for introductions that reach them.
def _from_other_server(actor: str, data: Mapping[str, Any]) -> str:
    names = {"requester": data.get("requester", ""), "server": data.get("server", ""),
             "carrier": data.get("carrier", "")}
    if data.get("relayed"):  # the chain continued here: ``carrier`` is the relay here
        return _("%(requester)s (%(server)s) asks to be introduced to you; %(carrier)s passed "
                 "the request on to you", **names)
    return _("%(requester)s (%(server)s) asks to be introduced to you, through %(carrier)s",
             **names)


def _relay_from_other_server(actor: str, data: Mapping[str, Any]) -> str:
    return _("%(previous)s asks you to pass on a request from %(requester)s (%(server)s) to "
             "meet %(target)s", previous=data.get("previous", ""),
             requester=data.get("requester", ""), server=data.get("server", ""),
             target=data.get("target", ""))


def _from_other_server_ended(actor: str, data: Mapping[str, Any]) -> str:
    names = {"requester": data.get("requester", ""), "server": data.get("server", ""),
             "target": data.get("target", "")}
    outcome = data.get("outcome")
    if outcome == "accepted":
        return _("%(target)s accepted the introduction from %(requester)s (%(server)s) that "
                 "you passed on", **names)
    if outcome == "rejected":
        return _("%(target)s declined the introduction from %(requester)s (%(server)s) that "
                 "you passed on", **names)
    if outcome == "withdrawn":
        return _("%(requester)s (%(server)s) withdrew the request to meet %(target)s: "
                 "nothing more to do", **names)
    return _("The request from %(requester)s (%(server)s) to meet %(target)s stopped on the "
             "way: nothing more to do", **names)


register_kind(NotificationKind(
    "introduction_from_other_server", _l("Introduction requests addressed to you"),
    _from_other_server, _from_other_servers, channels_of="introduction_delivered"))
# A chain from another server that continues here (decision 62): a relay's turn is told as
# local relays' turns are, and how it ended as the outcomes of introductions one passed on.
register_kind(NotificationKind(
    "introduction_relay_from_other_server", _l("Introduction requests passed on to you"),
    _relay_from_other_server, _from_other_servers, channels_of="introduction_forwarded"))
register_kind(NotificationKind(
    "introduction_from_other_server_ended", _l("Outcomes of introductions you passed on"),
    _from_other_server_ended, _from_other_servers, channels_of="introduction_concluded"))


# --- Receivers ---------------------------------------------------------------------------------


def _tell(session: Session, intro: Introduction, recipients: Iterable[Member], kind: str,
          actor: Member | None, **data: Any) -> None:
    """Notify each recipient, naming the actor only if the recipient may see them."""
    instance = instance_of(session, intro.instance_id)
    names = {"requester": intro.requester.name, "target": intro.target_name}
    for member in recipients:
        shown = actor
        if actor is not None and actor.id not in visible_path_ids(session, instance, intro,
                                                                  member):
            shown = None
        notify(session, instance, member, kind, actor=shown, subject=intro,
               data={**names, **data, "anonymous": actor is not None and shown is None})


def _note_for_holder(session: Session, intro: Introduction) -> str:
    hop = current_hop_row(session, intro)
    return hop.note_from_previous if hop is not None else ""


def _note_for_target(session: Session, intro: Introduction) -> str:
    """The last relay's note to the target (kept only in the trail's forward event)."""
    events = session.scalars(select(IntroductionEvent).where(
        IntroductionEvent.introduction_id == intro.id,
        IntroductionEvent.attempt == intro.attempt,
        IntroductionEvent.kind.in_(("forwarded", "rerouted")))
        .order_by(IntroductionEvent.id.desc()))
    for event in events:
        if (event.data or {}).get("to") == intro.target_id:
            return str(event.data.get("note") or "")
    return ""


def _on_requested(session: Session, *, introduction: Introduction, actor: Member,
                  recipients: list[Member], **extra: Any) -> None:
    _tell(session, introduction, recipients, "introduction_requested", actor,
          note=_note_for_holder(session, introduction))


def _on_forwarded(session: Session, *, introduction: Introduction, actor: Member,
                  recipients: list[Member], **extra: Any) -> None:
    _tell(session, introduction, recipients, "introduction_forwarded", actor,
          note=_note_for_holder(session, introduction))


def _on_delivered(session: Session, *, introduction: Introduction, actor: Member,
                  recipients: list[Member], **extra: Any) -> None:
    _tell(session, introduction, recipients, "introduction_delivered", actor,
          direct=actor.id == introduction.requester_id,
          note=_note_for_target(session, introduction))


def _stopped(kind: str) -> Callable[..., None]:
    """Declined or expired: the requester learns that it stopped, never where or by whom."""

    def receive(session: Session, *, introduction: Introduction, recipients: list[Member],
                **extra: Any) -> None:
        _tell(session, introduction, recipients, kind, None)

    receive.__name__ = f"_on_{kind}"
    return receive


def _outcome(kind: str, outcome: str) -> Callable[..., None]:
    """Accepted, rejected or advised: the requester gets ``kind``; the relays a summary."""

    def receive(session: Session, *, introduction: Introduction, actor: Member,
                recipients: list[Member], **extra: Any) -> None:
        requester = [m for m in recipients if m.id == introduction.requester_id]
        relays = [m for m in recipients if m.id != introduction.requester_id]
        _tell(session, introduction, requester, kind, actor)
        _tell(session, introduction, relays, "introduction_concluded", actor, outcome=outcome)

    receive.__name__ = f"_on_{kind}"
    return receive


def _thanks_message(session: Session, intro: Introduction) -> str:
    event = session.scalar(select(IntroductionEvent).where(
        IntroductionEvent.introduction_id == intro.id, IntroductionEvent.kind == "thanked")
        .order_by(IntroductionEvent.id.desc()).limit(1))
    return str((event.data or {}).get("message") or "") if event is not None else ""


def _on_thanked(session: Session, *, introduction: Introduction, actor: Member,
                recipients: list[Member], **extra: Any) -> None:
    _tell(session, introduction, recipients, "introduction_thanked", actor,
          message=_thanks_message(session, introduction))


def _on_withdrawn(session: Session, *, introduction: Introduction, actor: Member,
                  recipients: list[Member], **extra: Any) -> None:
    _tell(session, introduction, recipients, "introduction_withdrawn", actor)


def _on_blocked(session: Session, *, introduction: Introduction, recipients: list[Member],
                reason: str = "", **extra: Any) -> None:
    _tell(session, introduction, recipients, "introduction_blocked", None, reason=reason)


def _on_released(session: Session, *, introduction: Introduction, recipients: list[Member],
                 **extra: Any) -> None:
    _tell(session, introduction, recipients, "introduction_released", None)


def _on_direct_message(session: Session, *, message: Any, actor: Member,
                       recipients: list[Member], **extra: Any) -> None:
    text = " ".join(str(message.text).split())
    if len(text) > SNIPPET:
        text = text[:SNIPPET - 1].rstrip() + "…"
    for member in recipients:
        notify(session, instance_of(session, member.instance_id), member, "direct_message",
               actor=actor, subject=message, data={"text": text})


# Kept referenced here: blinker holds receivers weakly.
_RECEIVERS: dict[str, Callable[..., None]] = {
    "introduction_requested": _on_requested,
    "introduction_forwarded": _on_forwarded,
    "introduction_delivered": _on_delivered,
    "introduction_declined": _stopped("introduction_declined"),
    "introduction_expired": _stopped("introduction_expired"),
    "introduction_advised": _outcome("introduction_advised", "advised"),
    "introduction_accepted": _outcome("introduction_accepted", "accepted"),
    "introduction_rejected": _outcome("introduction_rejected", "rejected"),
    "introduction_thanked": _on_thanked,
    "introduction_withdrawn": _on_withdrawn,
    "introduction_blocked": _on_blocked,
    "introduction_released": _on_released,
    "direct_message_sent": _on_direct_message,
}
for _name, _receiver in _RECEIVERS.items():
    getattr(signals, _name).connect(_receiver)
