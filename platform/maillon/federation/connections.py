"""Connections with people on other servers: mutual Follow, as Mastodon understands it
(decision 47b).

Remote people are ``RemoteActor`` rows of the instance that met them, never ``Member`` rows:
nothing that reads members (login, the directory, search, counts, chains, exports) can mistake
them for local people. A connection with one of them is a ``RemoteConnection`` (local member,
remote actor, status from ``lifecycle.REMOTE_CONNECTION``):

* their ``Follow`` to a reachable member → ``requested`` (the member decides on
  ``/settings/federation``; ``manuallyApprovesFollowers`` says so to their server);
* the member accepts → ``connected``: ``Accept`` with the Follow embedded, and our own
  ``Follow`` back (a stable id, ``<member actor>/follows/<connection id>``), both delivered
  signed by the member; declines → ``declined``: ``Reject``;
* their ``Undo{Follow}`` → ``removed`` (or ``withdrawn`` before an answer); their ``Accept`` or
  ``Reject`` of our Follow is recorded (``their_answer``);
* their ``Delete`` of their own actor (the account is gone) ends every connection with them;
* their ``Update`` of their own actor refreshes what this instance shows of them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from maillon.db import flush_or_find, settings, utcnow
from maillon.errors import Conflict
from maillon.federation import urls
from maillon.federation.delivery import queue_delivery
from maillon.federation.fetch import FetchFailed, fetch_json, fetch_json_following
from maillon.federation.inbox import HANDLERS
from maillon.federation.keys import ensure_key, private_key
from maillon.federation.lifecycle import (
    CONNECTED,
    DECLINED,
    IGNORED,
    PENDING,
    PROCESSED,
    REMOTE_CONNECTION,
    REMOVED,
    REQUESTED,
    WITHDRAWN,
)
from maillon.federation.membership import find_published_member
from maillon.federation.models import InboxActivity, RemoteActor, RemoteConnection
from maillon.members.models import Member
from maillon.network.signals import remote_connection_accepted
from maillon.tenancy.models import Instance

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
MAX_NAME = 200
MAX_SUMMARY = 2000
#: Requests a member may have waiting from other servers; more are ignored (a flood guard).
MAX_WAITING = 200


def _text(value: Any, limit: int) -> str:
    return " ".join(value.split())[:limit] if isinstance(value, str) else ""


def find_remote_actor(session: Session, instance: Instance, uri: str) -> RemoteActor | None:
    return session.scalar(
        select(RemoteActor).where(RemoteActor.instance_id == instance.id, RemoteActor.uri == uri)
    )


def fetch_actor(
    session: Session,
    instance: Instance,
    uri: str,
    now: datetime,
    follow: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """A remote actor's document, fetched (bounded, signed by the instance actor: servers in
    secure mode refuse unsigned fetches) and checked to be the actor it claims. With
    ``follow`` (a lookup from a pasted link), redirects are followed as
    ``fetch.fetch_json_following`` says, ``follow(host)`` checking each one, and the actor is
    the one at the last URL (its ``id``). Never called inside a write transaction."""
    signer = ensure_key(session, instance, None)
    secret = private_key(session, signer)
    dev = bool(settings(session).get("FEDERATION_DEV_NETWORK"))
    # No transaction (nor write lock) is held while fetching: ensure_key may have written, and
    # the answer may come from this very deployment (local.py), which must be free to write.
    session.commit()
    key_id = urls.key_id(urls.instance_actor(instance), signer.generation)
    if follow is None:
        document = fetch_json(uri, key_id=key_id, private_key=secret, now=now, dev_network=dev)
    else:
        uri, document = fetch_json_following(
            uri, key_id=key_id, private_key=secret, now=now, dev_network=dev, check_host=follow
        )
    inbox = document.get("inbox")
    if (
        document.get("id") != uri
        or not isinstance(inbox, str)
        or not inbox.startswith(("https://", "http://"))
    ):
        raise FetchFailed("bad_actor", f"{uri} is not an actor document")
    return document


def store_actor(
    session: Session, instance: Instance, document: dict[str, Any], now: datetime
) -> RemoteActor:
    """The instance's row for the actor of ``document`` (checked by ``fetch_actor``), made or
    refreshed."""
    from maillon.federation.text import plain_text

    uri = document["id"]
    endpoints = document.get("endpoints")
    shared = endpoints.get("sharedInbox") if isinstance(endpoints, dict) else None
    username = _text(document.get("preferredUsername"), 100)
    host = urlsplit(uri).netloc
    url = document.get("url")
    row = find_remote_actor(session, instance, uri)
    if row is None:
        row = RemoteActor(instance_id=instance.id, uri=uri)
        session.add(row)
    row.inbox = document["inbox"][:500]
    row.shared_inbox = shared[:500] if isinstance(shared, str) else None
    row.handle = f"{username}@{host}" if username else host
    row.name = _text(document.get("name"), MAX_NAME) or row.handle
    row.summary = plain_text(document.get("summary"), MAX_SUMMARY)
    row.url = url[:500] if isinstance(url, str) and url.startswith(("https://", "http://")) else ""
    accepts = document.get("acceptsIntroductions", document.get("pn:acceptsIntroductions"))
    row.accepts_introductions = accepts is True
    row.fetched_at = now
    return row


def _learn_actor(session: Session, instance: Instance, uri: str, now: datetime) -> RemoteActor:
    """The remote actor's row, from its document. Called by the worker outside any
    transaction."""
    return store_actor(session, instance, fetch_actor(session, instance, uri, now), now)


def _follow_of(activity: dict[str, Any]) -> str:
    target = activity.get("object")
    return target if isinstance(target, str) else ""


def receive_follow(session: Session, instance: Instance, row: InboxActivity) -> str:
    """Their Follow of one of our members: a request the member answers."""
    target = _follow_of(row.payload)
    prefix = urls.member_actor(instance, 0)[:-1]
    member_id = target[len(prefix) :] if target.startswith(prefix) else ""
    found = (
        find_published_member(session, instance, member_id=int(member_id))
        if member_id.isdigit() and len(member_id) < 12
        else None
    )
    if found is None:
        return IGNORED
    member = found[0]
    existing = _connection(session, instance, member.id, row.actor)
    if existing is not None and existing.status in (PENDING, CONNECTED):
        # The member asked them, or they are connected (a follow back, or a retry whose
        # Accept was lost): the member's consent is given, their Follow is accepted at once.
        actor = session.scalar(
            select(RemoteActor).where(
                RemoteActor.instance_id == instance.id, RemoteActor.id == existing.remote_actor_id
            )
        )
        assert actor is not None
        existing.follow_id = row.activity_id
        queue_answer(session, instance, member, existing, actor, accept=True, now=utcnow())
        if existing.status == PENDING:  # their Follow came before their Accept
            REMOTE_CONNECTION.apply(existing, CONNECTED)
            _tell_accepted(session, instance, existing)
        return PROCESSED
    if existing is not None and existing.status == REQUESTED:
        existing.follow_id = row.activity_id  # their retry with a new id
        return PROCESSED
    waiting = session.scalars(
        select(RemoteConnection.id).where(
            RemoteConnection.instance_id == instance.id,
            RemoteConnection.member_id == member.id,
            RemoteConnection.status == REQUESTED,
        )
    ).all()
    if len(waiting) >= MAX_WAITING:
        return IGNORED
    member_id_int, actor_uri, follow_id = member.id, row.actor, row.activity_id
    session.commit()  # no transaction held while fetching their actor
    now = utcnow()
    try:
        actor = _learn_actor(session, instance, actor_uri, now)
    except FetchFailed:
        session.rollback()
        raise  # the job retries later
    session.flush()
    connection = existing or _connection(session, instance, member_id_int, actor_uri)
    if connection is None:
        connection = RemoteConnection(
            instance_id=instance.id, member_id=member_id_int, remote_actor_id=actor.id
        )
        REMOTE_CONNECTION.apply(connection, REQUESTED)
        session.add(connection)
    else:
        REMOTE_CONNECTION.apply(connection, REQUESTED)
    connection.follow_id = follow_id
    connection.requested_at = now
    flush_or_find(session, lambda: _connection(session, instance, member_id_int, actor_uri))
    return PROCESSED


def _connection(
    session: Session, instance: Instance, member_id: int, actor_uri: str
) -> RemoteConnection | None:
    return session.scalar(
        select(RemoteConnection)
        .join(RemoteActor, RemoteActor.id == RemoteConnection.remote_actor_id)
        .where(
            RemoteConnection.instance_id == instance.id,
            RemoteConnection.member_id == member_id,
            RemoteActor.uri == actor_uri,
        )
    )


def receive_undo(session: Session, instance: Instance, row: InboxActivity) -> str:
    """Their Undo of their Follow: the connection ends (or the request is withdrawn)."""
    undone = row.payload.get("object")
    follow_id = undone.get("id") if isinstance(undone, dict) else undone
    if not isinstance(follow_id, str):
        return IGNORED
    connection = session.scalar(
        select(RemoteConnection)
        .join(RemoteActor, RemoteActor.id == RemoteConnection.remote_actor_id)
        .where(
            RemoteConnection.instance_id == instance.id,
            RemoteConnection.follow_id == follow_id,
            RemoteActor.uri == row.actor,  # only the follower undoes their follow
        )
    )
    if connection is None or connection.status not in (REQUESTED, CONNECTED):
        return IGNORED
    REMOTE_CONNECTION.apply(connection, WITHDRAWN if connection.status == REQUESTED else REMOVED)
    connection.ended_at = utcnow()
    return PROCESSED


def receive_answer(session: Session, instance: Instance, row: InboxActivity) -> str:
    """Their Accept or Reject of our Follow (by its id, or embedded)."""
    answered = row.payload.get("object")
    follow_id = answered.get("id") if isinstance(answered, dict) else answered
    prefix = urls.member_actor(instance, 0)[:-1]
    if not isinstance(follow_id, str) or not follow_id.startswith(prefix):
        return IGNORED
    connection = session.scalar(
        select(RemoteConnection)
        .join(RemoteActor, RemoteActor.id == RemoteConnection.remote_actor_id)
        .where(
            RemoteConnection.instance_id == instance.id,
            RemoteConnection.our_follow_id == follow_id,
            RemoteActor.uri == row.actor,
        )
    )
    if connection is None:
        return IGNORED
    accepted = row.type == "Accept"
    connection.their_answer = "accepted" if accepted else "rejected"
    if connection.status == PENDING:  # the member's request, answered
        REMOTE_CONNECTION.apply(connection, CONNECTED if accepted else DECLINED)
        if not accepted:
            connection.ended_at = utcnow()
        else:  # the member is told, as of a local acceptance (a repeated Accept finds it done)
            _tell_accepted(session, instance, connection)
    elif connection.status == CONNECTED and not accepted and not connection.follow_id:
        # They removed the member, and never followed them: nothing links the two any more.
        REMOTE_CONNECTION.apply(connection, REMOVED)
        connection.ended_at = utcnow()
    return PROCESSED


def _tell_accepted(session: Session, instance: Instance, connection: RemoteConnection) -> None:
    member = session.scalar(
        select(Member).where(
            Member.instance_id == instance.id, Member.id == connection.member_id
        )
    )
    person = session.scalar(
        select(RemoteActor).where(
            RemoteActor.instance_id == instance.id, RemoteActor.id == connection.remote_actor_id
        )
    )
    if member is not None and person is not None:
        remote_connection_accepted.send(
            session, connection=connection, recipient=member, person=person
        )


def receive_delete(session: Session, instance: Instance, row: InboxActivity) -> str:
    """Their Delete of their own actor (their account is gone): every connection and request
    with them ends. A Delete of anything else (a post) is not ours to act on."""
    deleted = row.payload.get("object")
    deleted_id = deleted.get("id") if isinstance(deleted, dict) else deleted
    if deleted_id != row.actor:  # the signer's own actor only (inbox: actor is the signer)
        return IGNORED
    ended = session.scalars(
        select(RemoteConnection)
        .join(RemoteActor, RemoteActor.id == RemoteConnection.remote_actor_id)
        .where(
            RemoteConnection.instance_id == instance.id,
            RemoteActor.instance_id == instance.id,
            RemoteActor.uri == row.actor,
            RemoteConnection.status.in_((REQUESTED, PENDING, CONNECTED)),
        )
    ).all()
    now = utcnow()
    for connection in ended:
        REMOTE_CONNECTION.apply(
            connection, REMOVED if connection.status == CONNECTED else WITHDRAWN
        )
        connection.ended_at = now
    return PROCESSED if ended else IGNORED


#: What an Update may carry of its actor: a profile (Mastodon's types of accounts).
UPDATABLE_TYPES = ("Person", "Service", "Organization", "Application", "Group")


def receive_update(session: Session, instance: Instance, row: InboxActivity) -> str:
    """Their Update of their own actor (a profile edit, a new key): the row this instance
    keeps of them follows, as Mastodon applies the embedded document once the signer is known
    to be that actor. Nothing is kept of someone nobody here has met, nor of an Update of
    anything else (a post)."""
    document = row.payload.get("object")
    if not isinstance(document, dict) or document.get("id") != row.actor \
            or document.get("type") not in UPDATABLE_TYPES:
        return IGNORED
    inbox = document.get("inbox")
    if not isinstance(inbox, str) or not inbox.startswith(("https://", "http://")):
        return IGNORED
    if find_remote_actor(session, instance, row.actor) is None:
        return IGNORED
    store_actor(session, instance, document, utcnow())
    return PROCESSED


HANDLERS.update(
    {
        "Update": receive_update,
        "Follow": receive_follow,
        "Undo": receive_undo,
        "Accept": receive_answer,
        "Reject": receive_answer,
        "Delete": receive_delete,
    }
)


# ---------------------------------------------------------------------- the member's side


def list_remote_connections(
    session: Session, instance: Instance, member: Member
) -> list[tuple[RemoteConnection, RemoteActor]]:
    """The member's requests from other servers and connections there (at most 200 each)."""
    rows = session.execute(
        select(RemoteConnection, RemoteActor)
        .join(RemoteActor, RemoteActor.id == RemoteConnection.remote_actor_id)
        .where(
            RemoteConnection.instance_id == instance.id,
            RemoteConnection.member_id == member.id,
            RemoteConnection.status.in_((REQUESTED, PENDING, CONNECTED)),
        )
        .order_by(RemoteConnection.requested_at.desc())
        .limit(2 * MAX_WAITING)
    ).all()
    return [(c, a) for c, a in rows]


def access_remote_connection(
    session: Session, instance: Instance, member: Member, connection_id: int
) -> tuple[RemoteConnection, RemoteActor]:
    """One of the member's own; anyone else's, or another instance's, is a 404."""
    found = session.execute(
        select(RemoteConnection, RemoteActor)
        .join(RemoteActor, RemoteActor.id == RemoteConnection.remote_actor_id)
        .where(
            RemoteConnection.instance_id == instance.id,
            RemoteConnection.member_id == member.id,
            RemoteConnection.id == connection_id,
        )
    ).first()
    if found is None:
        raise NotFound()
    return found[0], found[1]


def answer_remote_request(
    session: Session, instance: Instance, member: Member, connection_id: int, accept: bool
) -> RemoteConnection:
    """Accept (Accept, then our own Follow back) or decline (Reject) a request; answering
    again the same way changes nothing."""
    connection, actor = access_remote_connection(session, instance, member, connection_id)
    wanted = CONNECTED if accept else DECLINED
    if connection.status == wanted:
        return connection
    if connection.status != REQUESTED:
        raise Conflict("not_requested", "This request is no longer waiting for an answer.")
    now = utcnow()
    queue_answer(session, instance, member, connection, actor, accept=accept, now=now)
    REMOTE_CONNECTION.apply(connection, wanted)
    if accept:
        queue_follow(session, instance, member, connection, actor, now)
    session.commit()
    return connection


def queue_answer(
    session: Session,
    instance: Instance,
    member: Member,
    connection: RemoteConnection,
    actor: RemoteActor,
    *,
    accept: bool,
    now: datetime,
) -> None:
    """Queue the member's Accept or Reject of the remote person's Follow (embedded: Mastodon
    finds the request by its id, then by the object)."""
    me = urls.member_actor(instance, member.id)
    follow = {"id": connection.follow_id, "type": "Follow", "actor": actor.uri, "object": me}
    answer = {
        "@context": AS_CONTEXT,
        "id": f"{me}/answers/{connection.id}/{int(now.timestamp() * 1000)}",
        "type": "Accept" if accept else "Reject",
        "actor": me,
        "to": [actor.uri],
        "object": follow,
    }
    queue_delivery(session, instance, member, answer, [actor.inbox])


def queue_follow(
    session: Session,
    instance: Instance,
    member: Member,
    connection: RemoteConnection,
    actor: RemoteActor,
    now: datetime,
) -> None:
    """Queue the member's own Follow of the remote person, with a new stable id kept on the
    row (their Accept or Reject names it; our Undo too)."""
    me = urls.member_actor(instance, member.id)
    connection.our_follow_id = f"{me}/follows/{connection.id}/{int(now.timestamp() * 1000)}"
    connection.their_answer = None
    queue_delivery(
        session,
        instance,
        member,
        {
            "@context": AS_CONTEXT,
            "id": connection.our_follow_id,
            "type": "Follow",
            "actor": me,
            "object": actor.uri,
            "to": [actor.uri],
        },
        [actor.inbox],
    )
