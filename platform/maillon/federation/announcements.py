"""Telling a member's connections on other servers about them: ``Update{Person}`` after a
profile edit or a key rotation, ``Delete`` when the account goes (decision 52).

* An edit (``member_changed``, or a change of the member's federation choices) of a member
  with remote connections queues one ``federation_announce`` job, absorbed by one still
  waiting (``dedupe_key``) and run FEDERATION_UPDATE_DELAY_SECONDS later: a burst of edits
  sends one Update, built when the job runs, so it carries the last state.
* The Update goes to each server once (its shared inbox, else each person's inbox) and
  replaces an Update of the member still waiting for that inbox: a server that is down for a
  day gets the last profile, not every one in between.
* A member no longer shown to other servers (out of the directory, federation withdrawn,
  suspended) sends an Update carrying Mastodon's ``suspended: true`` with nothing but the
  handle and the key: their servers hide the profile they cached, and a later Update (the
  member shown again) brings it back, as Mastodon's own reversible suspensions do.
* Deletion: ``Delete`` of the actor, the waiting Updates dropped; the actor then answers
  410 Gone (``actors.member_actor_document``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from maillon.db import settings, utcnow
from maillon.federation import urls
from maillon.federation.actors import (
    AS_CONTEXT,
    EXTENSIONS,
    SECURITY_CONTEXT,
    person_document,
)
from maillon.federation.delivery import delivery_inboxes, queue_delivery
from maillon.federation.keys import find_key
from maillon.federation.lifecycle import CONNECTED, QUEUED, REQUESTED
from maillon.federation.membership import find_federated_member, find_published_member
from maillon.federation.models import (
    ActorKey,
    Delivery,
    FederatedMember,
    RemoteActor,
    RemoteConnection,
)
from maillon.jobs.services import enqueue, job_handler
from maillon.members.models import Member
from maillon.members.signals import member_changed
from maillon.tenancy.models import Instance

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
KIND = "federation_announce"
#: Who hears of the member's deletion besides their connections: the people whose request
#: waits for them (their server shows it as pending).
TOLD_OF_DELETION = (CONNECTED, REQUESTED)


def remote_inboxes(
    session: Session,
    instance: Instance,
    member: Member,
    statuses: tuple[str, ...] = (CONNECTED,),
) -> list[str]:
    """Where the member's connections on other servers receive: each server's shared inbox
    once, else each person's inbox."""
    actors = session.scalars(
        select(RemoteActor)
        .join(RemoteConnection, RemoteConnection.remote_actor_id == RemoteActor.id)
        .where(
            RemoteConnection.instance_id == instance.id,
            RemoteActor.instance_id == instance.id,
            RemoteConnection.member_id == member.id,
            RemoteConnection.status.in_(statuses),
        )
    ).all()
    return delivery_inboxes(
        {"inbox": a.inbox, "endpoints": {"sharedInbox": a.shared_inbox or ""}} for a in actors
    )


def hidden_person_document(
    instance: Instance, member: Member, row: FederatedMember, key: ActorKey
) -> dict[str, Any]:
    """What remote servers are told of a member no longer shown to them: the actor, marked
    ``suspended`` as Mastodon marks its own, without name nor summary."""
    actor = urls.member_actor(instance, member.id)
    return {
        "@context": [AS_CONTEXT, SECURITY_CONTEXT, {**EXTENSIONS, "suspended": "toot:suspended"}],
        "id": actor,
        "type": "Person",
        "preferredUsername": row.handle,
        "name": "",
        "summary": "",
        "inbox": f"{actor}/inbox",
        "outbox": f"{actor}/outbox",
        "endpoints": {"sharedInbox": urls.shared_inbox(instance)},
        "manuallyApprovesFollowers": True,
        "discoverable": False,
        "indexable": False,
        "suspended": True,
        "publicKey": {
            "id": urls.key_id(actor, key.generation),
            "owner": actor,
            "publicKeyPem": key.public_pem,
        },
    }


def _drop_waiting_updates(session: Session, instance: Instance, member: Member) -> None:
    """Updates of the member not delivered yet: a newer one (or the Delete) replaces them.
    Their jobs find no row and end; a try in flight finds no row and records nothing."""
    actor = urls.member_actor(instance, member.id)
    session.execute(
        delete(Delivery)
        .where(
            Delivery.instance_id == instance.id,
            Delivery.member_id == member.id,
            Delivery.status == QUEUED,
            Delivery.activity_id.startswith(f"{actor}#updates/", autoescape=True),
        )
        .execution_options(synchronize_session=False)
    )


def announce_update(session: Session, instance: Instance, member: Member) -> int:
    """Queue ``Update{Person}`` (the document as now served, or the hidden one) to the
    member's remote connections, in the caller's transaction; how many inboxes."""
    key = find_key(session, instance, member)
    inboxes = remote_inboxes(session, instance, member)
    if key is None or not inboxes:
        return 0
    found = find_published_member(session, instance, member_id=member.id)
    if found is not None:
        document = person_document(session, instance, member, found[1], key)
    else:
        row = find_federated_member(session, instance, member.id)
        if row is None:
            return 0
        document = hidden_person_document(instance, member, row, key)
    actor = urls.member_actor(instance, member.id)
    activity = {
        "@context": document["@context"],
        "id": f"{actor}#updates/{int(utcnow().timestamp() * 1000)}",
        "type": "Update",
        "actor": actor,
        "to": [PUBLIC],
        "object": document,
    }
    _drop_waiting_updates(session, instance, member)
    return len(queue_delivery(session, instance, member, activity, inboxes))


def announce_delete(session: Session, instance: Instance, member: Member) -> int:
    """Queue ``Delete`` of the member's actor to their remote connections and to those whose
    request waits (the caller, the account deletion, commits); how many inboxes."""
    _drop_waiting_updates(session, instance, member)
    inboxes = remote_inboxes(session, instance, member, TOLD_OF_DELETION)
    if not inboxes or find_key(session, instance, member) is None:
        return 0
    actor = urls.member_actor(instance, member.id)
    activity = {
        "@context": AS_CONTEXT,
        "id": f"{actor}#delete",
        "type": "Delete",
        "actor": actor,
        "object": actor,
        "to": [PUBLIC],
    }
    return len(queue_delivery(session, instance, member, activity, inboxes))


def schedule_update(session: Session, member: Member) -> None:
    """After a change of what the member's actor shows: one Update soon, if anyone remote
    should hear of it (in the caller's transaction)."""
    if member.id is None or member.status == "deleted":
        return
    connected = session.scalar(
        select(RemoteConnection.id)
        .where(
            RemoteConnection.instance_id == member.instance_id,
            RemoteConnection.member_id == member.id,
            RemoteConnection.status == CONNECTED,
        )
        .limit(1)
    )
    if connected is None:
        return
    enqueue(
        session,
        KIND,
        {"member": member.id},
        instance_id=member.instance_id,
        delay=timedelta(seconds=int(settings(session)["FEDERATION_UPDATE_DELAY_SECONDS"])),
        dedupe_key=f"{KIND}:{member.instance_id}:{member.id}",
    )


@member_changed.connect
def _member_changed(session: Session, member: Member, **_: Any) -> None:
    schedule_update(session, member)


@job_handler(KIND)
def run_announcement(session: Session, job: Any) -> None:
    """The Update of one member, as they are now (a deleted member said Delete already)."""
    member = session.scalar(
        select(Member).where(
            Member.instance_id == job.instance_id, Member.id == job.payload["member"]
        )
    )
    instance = session.get(Instance, job.instance_id)
    if member is None or instance is None or member.status == "deleted":
        return
    announce_update(session, instance, member)
