"""Connections a member starts with someone on another server (decision 53).

The member names them as ``@user@server`` (or ``user@server``) or by their actor URL. Looking
them up is two bounded fetches done in the request, in read mode, before any write: WebFinger
(``https://server/.well-known/webfinger``, RFC 7033) for a handle, then the actor document
(signed by the instance actor), each as ``fetch.py`` bounds them (about 5 s, 256 KiB, https
only and public addresses, except under FEDERATION_DEV_NETWORK). Refused first, before any
fetch: federation off for the instance, the member not reachable from other servers (their
server could not check the member's signature), a server refused by the operator or the
instance. Then:

* ``look_up_remote_person``: what the page shows before asking (name, summary, server);
* ``connect_remote_person``: the ``RemoteActor`` row and a ``pending`` connection, our
  ``Follow`` (a stable id kept on the row) queued for delivery signed by the member. Asking
  again while pending or connected changes nothing; asking someone whose request waits
  accepts it; their ``Accept`` makes the connection (``connections.receive_answer``);
* ``remove_remote_connection``: the member withdraws a pending request (``Undo{Follow}``) or
  ends a connection (``Undo`` of our Follow and ``Reject`` of theirs, which is how Mastodon
  removes a follower).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from ipaddress import ip_address
from typing import Any
from urllib.parse import quote, urlsplit

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maillon.db import begin_read, begin_write, flush_or_find, settings, utcnow
from maillon.errors import Forbidden, ServiceError, ValidationFailed
from maillon.federation import local, urls
from maillon.federation.connections import (
    AS_CONTEXT,
    access_remote_connection,
    answer_remote_request,
    fetch_actor,
    find_remote_actor,
    queue_answer,
    queue_follow,
    store_actor,
)
from maillon.federation.delivery import queue_delivery
from maillon.federation.fetch import FetchFailed, exchange
from maillon.federation.lifecycle import (
    CONNECTED,
    PENDING,
    REMOTE_CONNECTION,
    REMOVED,
    REQUESTED,
    WITHDRAWN,
)
from maillon.federation.membership import find_published_member
from maillon.federation.models import RemoteActor, RemoteConnection
from maillon.federation.policy import REFUSED, federates, server_access
from maillon.members.models import Member
from maillon.tenancy.models import Instance

MAX_ADDRESS = 300
#: Requests a member may have waiting on other servers at once (a flood guard; Mastodon
#: limits follows per day, LinkedIn pending invitations).
MAX_PENDING = 200
ACCT_RE = re.compile(r"^@?(?P<user>[^@\s/:?#]{1,100})@(?P<host>[a-z0-9.-]{1,253}(?::\d{1,5})?)$")
#: Actor types a connection makes sense with (Group is a forum, not a person).
PERSON_TYPES = ("Person", "Service", "Organization", "Application")
SELF_TYPES = (
    "application/activity+json",
    'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
)


class Unreachable(ServiceError):
    """The remote server did not answer usefully in time (502: a gateway's failure)."""

    status = 502


@dataclass(frozen=True)
class RemoteProfile:
    """A remote person as the lookup found them (nothing stored yet)."""

    uri: str
    handle: str
    name: str
    summary: str
    server: str
    url: str
    document: dict[str, Any]


def _bad_address() -> ValidationFailed:
    message = _("Enter an address such as @name@server.example or the link to their profile.")
    return ValidationFailed({"address": message}, message)


def parse_address(text: str) -> tuple[str, str, str]:
    """``("acct", user, host)`` or ``("url", url, host)``; ValidationFailed otherwise."""
    text = (text or "").strip()
    if not text or len(text) > MAX_ADDRESS:
        raise _bad_address()
    if text.startswith(("https://", "http://")):
        parts = urlsplit(text)
        if not parts.hostname or parts.username or parts.password:
            raise _bad_address()
        return "url", text.split("#", 1)[0], parts.netloc.lower()
    found = ACCT_RE.match(text.lower() if "@" in text else "")
    if found is None:
        raise _bad_address()
    return "acct", found["user"], found["host"]


def _loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


def _refuse_unless_allowed(session: Session, instance: Instance, host: str) -> None:
    if server_access(session, instance, host) == REFUSED:
        raise Forbidden(
            "server_refused", _("This community does not exchange with %(server)s.", server=host)
        )


def _unreachable(host: str) -> Unreachable:
    return Unreachable(
        "remote_unreachable",
        _("%(server)s did not answer. Try again later.", server=host),
    )


def _local_member() -> ServiceError:
    return ServiceError(
        "local_member",
        _("This is the address of a member here: connect from their profile."),
        status=422,
    )


def _not_found(address: str) -> ServiceError:
    return ServiceError(
        "remote_not_found", _("Nobody answers to %(address)s.", address=address), status=404
    )


def _webfinger(session: Session, user: str, host: str, address: str, now: datetime) -> str:
    """The actor URL of ``user@host``, from the server's WebFinger."""
    dev = bool(settings(session).get("FEDERATION_DEV_NETWORK"))
    # A sister community of this deployment is asked at its own origin, whatever its scheme.
    local_http = local.local_slug(f"http://{host}/") is not None
    scheme = "http" if (dev and _loopback(host)) or local_http else "https"
    resource = quote(f"acct:{user}@{host}", safe=":@")
    try:
        status, raw = exchange(
            "GET",
            f"{scheme}://{host}/.well-known/webfinger?resource={resource}",
            key_id=None,
            private_key=None,
            now=now,
            dev_network=dev,
        )
    except FetchFailed:
        raise _unreachable(host) from None
    if status in (404, 410):
        raise _not_found(address)
    if status != 200:
        raise _unreachable(host)
    try:
        document = json.loads(raw)
    except ValueError:
        raise _unreachable(host) from None
    links = document.get("links") if isinstance(document, dict) else None
    for link in links if isinstance(links, list) else []:
        if (
            isinstance(link, dict)
            and link.get("rel") == "self"
            and link.get("type") in SELF_TYPES
            and isinstance(link.get("href"), str)
        ):
            return str(link["href"])
    raise _not_found(address)


def _check_member(session: Session, instance: Instance, member: Member) -> None:
    if not federates(session, instance):
        raise Forbidden(
            "federation_off", _("This community does not exchange with other servers.")
        )
    if find_published_member(session, instance, member_id=member.id) is None:
        # Their server checks our Follow's signature against the member's actor, which
        # exists only for members reachable from other servers.
        raise Forbidden(
            "not_federated",
            _(
                "First let people on other servers reach your profile "
                "(Settings, Other servers)."
            ),
        )


def look_up_remote_person(
    session: Session, instance: Instance, member: Member, address: str, now: datetime | None = None
) -> RemoteProfile:
    """Find the person behind ``address`` on their server (bounded fetches, no write)."""
    kind, value, host = parse_address(address)
    begin_read(session)
    _check_member(session, instance, member)
    if host == urls.handle_domain(instance).lower():
        raise _local_member()
    _refuse_unless_allowed(session, instance, host)
    origin = urls.origin(instance)
    session.commit()  # nothing was written: no transaction is held while fetching
    now = now or utcnow()
    uri = _webfinger(session, value, host, address, now) if kind == "acct" else value
    actor_host = urlsplit(uri).netloc.lower()
    if actor_host != host:  # a display domain served by another host: checked too
        _refuse_unless_allowed(session, instance, actor_host)
    if uri.startswith(origin + "/"):
        raise _local_member()

    def check_redirect(host: str) -> None:
        """A redirect's target is checked as the address was, before it is fetched."""
        if host == urls.handle_domain(instance).lower():
            raise _local_member()
        _refuse_unless_allowed(session, instance, host)
        session.commit()  # a read only: nothing is held during the next request

    try:
        document = fetch_actor(session, instance, uri, now, follow=check_redirect)
    except FetchFailed as exc:
        if exc.code in (
            "http_404", "http_410", "bad_actor", "not_json", "too_many_redirects", "bad_redirect"
        ):
            raise _not_found(address) from None
        if exc.code == "bad_url":
            raise _bad_address() from None
        raise _unreachable(actor_host) from None
    if document["id"] != uri:  # a link that redirected (``https://server/@bob``)
        uri = document["id"]
        actor_host = urlsplit(uri).netloc.lower()
        if uri.startswith(origin + "/"):
            raise _local_member()
    if document.get("type") not in PERSON_TYPES:
        raise _not_found(address)
    username = document.get("preferredUsername")
    handle = f"{username}@{actor_host}" if isinstance(username, str) and username else actor_host
    from maillon.federation.text import plain_text

    name = document.get("name")
    url = document.get("url")
    return RemoteProfile(
        uri=uri,
        handle=handle[:300],
        name=(" ".join(name.split())[:200] if isinstance(name, str) else "") or handle[:200],
        summary=plain_text(document.get("summary"), 2000),
        server=actor_host,
        url=url if isinstance(url, str) and url.startswith(("https://", "http://")) else "",
        document=document,
    )


def _connection_with(
    session: Session, instance: Instance, member: Member, actor: RemoteActor
) -> RemoteConnection | None:
    return session.scalar(
        select(RemoteConnection).where(
            RemoteConnection.instance_id == instance.id,
            RemoteConnection.member_id == member.id,
            RemoteConnection.remote_actor_id == actor.id,
        )
    )


def remember_remote_person(
    session: Session, instance: Instance, member: Member, address: str
) -> RemoteActor:
    """The person behind ``address``, looked up and kept as a ``RemoteActor`` (refreshed if
    known), in a write transaction the caller commits; a double click finds the same row."""
    profile = look_up_remote_person(session, instance, member, address)
    now = utcnow()
    begin_write(session)
    actor = store_actor(session, instance, profile.document, now)
    raced = flush_or_find(session, lambda: find_remote_actor(session, instance, profile.uri))
    if raced is not None:  # a double click stored them first: refresh theirs
        actor = store_actor(session, instance, profile.document, now)
        session.flush()
    return actor


def connect_remote_person(
    session: Session, instance: Instance, member: Member, address: str
) -> tuple[RemoteConnection, RemoteActor, bool]:
    """Ask the person behind ``address`` to connect: (the connection, the person, whether a
    request was sent now). Asking again changes nothing."""
    actor = remember_remote_person(session, instance, member, address)
    now = utcnow()
    connection = _connection_with(session, instance, member, actor)
    if connection is not None and connection.status in (PENDING, CONNECTED):
        session.commit()
        return connection, actor, False
    if connection is not None and connection.status == REQUESTED:
        connection_id, actor_id = connection.id, actor.id
        session.commit()
        # They asked first: asking back is accepting.
        answered = answer_remote_request(session, instance, member, connection_id, accept=True)
        found = session.scalar(
            select(RemoteActor).where(
                RemoteActor.instance_id == instance.id, RemoteActor.id == actor_id
            )
        )
        assert found is not None
        return answered, found, True
    waiting = session.scalar(
        select(func.count(RemoteConnection.id)).where(
            RemoteConnection.instance_id == instance.id,
            RemoteConnection.member_id == member.id,
            RemoteConnection.status == PENDING,
        )
    )
    if (waiting or 0) >= MAX_PENDING:
        raise Forbidden(
            "quota_exceeded",
            _("You have %(n)d requests waiting on other servers: withdraw some first.",
              n=MAX_PENDING),
        )
    if connection is None:
        connection = RemoteConnection(
            instance_id=instance.id, member_id=member.id, remote_actor_id=actor.id
        )
        REMOTE_CONNECTION.apply(connection, PENDING)
        session.add(connection)
        raced_connection = flush_or_find(
            session, lambda: _connection_with(session, instance, member, actor)
        )
        if raced_connection is not None:  # the other click made it: replay its answer
            session.commit()
            return raced_connection, actor, False
    else:
        REMOTE_CONNECTION.apply(connection, PENDING)
    send_follow(session, instance, member, connection, actor, now)
    session.commit()
    return connection, actor, True


def send_follow(session: Session, instance: Instance, member: Member,
                connection: RemoteConnection, actor: RemoteActor, now: datetime) -> None:
    """The member's pending request, asked (again) from now: a new Follow to them."""
    connection.follow_id = ""
    connection.requested_at = now
    connection.ended_at = None
    queue_follow(session, instance, member, connection, actor, now)


def remove_remote_connection(
    session: Session, instance: Instance, member: Member, connection_id: int
) -> RemoteConnection:
    """Withdraw the member's request, end a connection, or decline their request; repeating
    changes nothing."""
    begin_write(session)
    connection, actor = access_remote_connection(session, instance, member, connection_id)
    if connection.status == REQUESTED:
        return answer_remote_request(session, instance, member, connection_id, accept=False)
    if connection.status not in (PENDING, CONNECTED):
        session.commit()
        return connection  # already ended
    now = utcnow()
    me = urls.member_actor(instance, member.id)
    if connection.our_follow_id:
        queue_delivery(
            session,
            instance,
            member,
            {
                "@context": AS_CONTEXT,
                "id": f"{me}/undo/{connection.id}/{int(now.timestamp() * 1000)}",
                "type": "Undo",
                "actor": me,
                "to": [actor.uri],
                "object": {
                    "id": connection.our_follow_id,
                    "type": "Follow",
                    "actor": me,
                    "object": actor.uri,
                },
            },
            [actor.inbox],
        )
    if connection.status == CONNECTED and connection.follow_id:
        # Their Follow of the member ends too: a Reject is how Mastodon removes a follower.
        queue_answer(session, instance, member, connection, actor, accept=False, now=now)
    REMOTE_CONNECTION.apply(connection, WITHDRAWN if connection.status == PENDING else REMOVED)
    connection.ended_at = now
    session.commit()
    return connection


@dataclass(frozen=True)
class RemoteNetwork:
    """The member's side of the federation on their network page."""

    available: bool  # the instance federates: the lookup form is offered
    reachable: bool  # the member's own profile is reachable from other servers
    connected: list[tuple[RemoteConnection, RemoteActor]]
    pending: list[tuple[RemoteConnection, RemoteActor]]
    requested: list[tuple[RemoteConnection, RemoteActor]]


def remote_network(session: Session, instance: Instance, member: Member) -> RemoteNetwork:
    """The member's connections, sent and received requests with people on other servers."""
    from maillon.federation.connections import list_remote_connections

    available = federates(session, instance)
    rows = list_remote_connections(session, instance, member) if available else []
    return RemoteNetwork(
        available=available,
        reachable=available and find_published_member(session, instance, member_id=member.id)
        is not None,
        connected=[r for r in rows if r[0].status == CONNECTED],
        pending=[r for r in rows if r[0].status == PENDING],
        requested=[r for r in rows if r[0].status == REQUESTED],
    )


def connection_state(
    session: Session, instance: Instance, member: Member, uri: str
) -> str | None:
    """The status of the member's connection with the remote person ``uri``, if any."""
    return session.scalar(
        select(RemoteConnection.status)
        .join(RemoteActor, RemoteActor.id == RemoteConnection.remote_actor_id)
        .where(
            RemoteConnection.instance_id == instance.id,
            RemoteActor.instance_id == instance.id,
            RemoteConnection.member_id == member.id,
            RemoteActor.uri == uri,
        )
    )


def list_remote_contacts(
    session: Session, instance: Instance, viewer: Member, owner_id: int
) -> list[RemoteActor]:
    """The owner's connections on other servers, on their contacts page: shown exactly to
    whom the owner's setting shows their contacts (403 ``contacts_not_visible`` otherwise, as
    for local contacts), at most MAX_PENDING, by name."""
    from maillon.members.services import access_member
    from maillon.network.visibility import can_see_contacts

    owner = access_member(session, instance, viewer, owner_id)
    if not can_see_contacts(session, instance, viewer, owner):
        raise Forbidden(
            "contacts_not_visible",
            _("%(name)s's contacts are not visible to you.", name=owner.name),
        )
    return list(
        session.scalars(
            select(RemoteActor)
            .join(RemoteConnection, RemoteConnection.remote_actor_id == RemoteActor.id)
            .where(
                RemoteConnection.instance_id == instance.id,
                RemoteActor.instance_id == instance.id,
                RemoteConnection.member_id == owner.id,
                RemoteConnection.status == CONNECTED,
            )
            .order_by(func.lower(RemoteActor.name), RemoteActor.id)
            .limit(MAX_PENDING)
        )
    )
