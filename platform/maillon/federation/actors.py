"""The documents other servers read: WebFinger (RFC 7033), NodeInfo 2.1, actor documents.

Each is per instance: a community's handles, name and keys are its own. What is served to
whom is decided here (``membership.find_published_member``); the views only shape HTTP.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import unquote, urlsplit

from markupsafe import escape
from sqlalchemy.orm import Session
from werkzeug.exceptions import Gone, NotFound

from maillon.errors import Forbidden, ServiceError
from maillon.federation import urls
from maillon.federation.keys import ensure_key
from maillon.federation.membership import find_published_member, member_departed
from maillon.federation.models import ActorKey, FederatedMember
from maillon.federation.policy import REFUSED, server_access
from maillon.federation.signatures import SignatureProblem, parse_signature
from maillon.members.models import Member
from maillon.members.services import count_members
from maillon.tenancy.models import Instance

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
ACTIVITY_JSON = "application/activity+json"
JRD_JSON = "application/jrd+json"
NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.1"
#: The instance actor's preferredUsername; no member handle may take it.
INSTANCE_ACTOR_NAME = "instance.actor"
MAX_RESOURCE = 512

EXTENSIONS = {
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "toot": "http://joinmastodon.org/ns#",
    "discoverable": "toot:discoverable",
    "indexable": "toot:indexable",
    # Maillon's terms (decision 56b): a member's actor takes introduction Offers.
    "pn": "https://maillon.org/ns#",
    "acceptsIntroductions": "pn:acceptsIntroductions",
}


class BadResource(ServiceError):
    """RFC 7033 §4.2: a missing or malformed ``resource`` is a 400."""

    status = 400


def _software_version() -> str:
    try:
        return version("maillon")
    except PackageNotFoundError:  # a source tree without an install
        return "0"


def _key(
    session: Session,
    instance: Instance,
    member: Member | None,
    actor: str,
    key: ActorKey | None = None,
) -> dict[str, str]:
    key = key or ensure_key(session, instance, member)
    return {
        "id": urls.key_id(actor, key.generation),
        "owner": actor,
        "publicKeyPem": key.public_pem,
    }


def instance_actor_document(session: Session, instance: Instance) -> dict[str, Any]:
    """The instance's own actor (an Application): what signs the instance's fetches; served
    to anyone unsigned, or two servers that both want signed fetches would wait on each
    other's keys forever."""
    actor = urls.instance_actor(instance)
    return {
        "@context": [AS_CONTEXT, SECURITY_CONTEXT, EXTENSIONS],
        "id": actor,
        "type": "Application",
        "preferredUsername": INSTANCE_ACTOR_NAME,
        "name": instance.name,
        "url": urls.origin(instance) + "/",
        "inbox": urls.shared_inbox(instance),
        "outbox": f"{actor}/outbox",
        "endpoints": {"sharedInbox": urls.shared_inbox(instance)},
        "manuallyApprovesFollowers": True,
        "discoverable": False,
        "indexable": False,
        "publicKey": _key(session, instance, None, actor),
    }


def _summary(member: Member) -> str:
    parts = [p for p in (member.headline, member.summary) if p]
    return "".join(f"<p>{escape(p)}</p>" for p in parts)


def person_document(
    session: Session,
    instance: Instance,
    member: Member,
    row: FederatedMember,
    key: ActorKey | None = None,
) -> dict[str, Any]:
    """The member's actor document (with ``key``: that key, none made here)."""
    actor = urls.member_actor(instance, member.id)
    return {
        "@context": [AS_CONTEXT, SECURITY_CONTEXT, EXTENSIONS],
        "id": actor,
        "type": "Person",
        "preferredUsername": row.handle,
        "name": member.name,
        "summary": _summary(member),
        "url": f"{urls.origin(instance)}/members/{member.id}",
        "inbox": f"{actor}/inbox",
        "outbox": f"{actor}/outbox",
        "endpoints": {"sharedInbox": urls.shared_inbox(instance)},
        # Connections need both sides' consent, as on the pages.
        "manuallyApprovesFollowers": True,
        "discoverable": row.discoverable,
        "indexable": row.indexable,
        # Servers that see this send introductions as Offers; others get a direct message.
        "acceptsIntroductions": True,
        "published": row.created_at.isoformat().replace("+00:00", "Z"),
        "publicKey": _key(session, instance, member, actor, key),
    }


def check_fetcher(session: Session, instance: Instance, signature: str) -> None:
    """A signed fetch names its server: a refused one gets 403 (nothing is fetched to know
    it). An unsigned fetch cannot be attributed and gets what anyone gets."""
    if not signature:
        return
    try:
        key_id = parse_signature({"signature": signature}).key_id
    except SignatureProblem:
        return
    if server_access(session, instance, urlsplit(key_id).hostname or "") == REFUSED:
        raise Forbidden("server_refused", "this server does not serve yours")


def member_actor_document(session: Session, instance: Instance, member_id: int) -> dict[str, Any]:
    """A member's actor document; 404 unless other servers may see them."""
    found = find_published_member(session, instance, member_id=member_id)
    if found is None:
        if member_departed(session, instance, member_id=member_id):
            raise Gone()
        raise NotFound()
    return person_document(session, instance, *found)


def tombstone(instance: Instance, member_id: int) -> dict[str, Any]:
    """What a deleted member's actor URL answers, with 410 Gone."""
    return {
        "@context": AS_CONTEXT,
        "id": urls.member_actor(instance, member_id),
        "type": "Tombstone",
        "formerType": "Person",
    }


def empty_outbox(instance: Instance, actor: str) -> dict[str, Any]:
    """Outboxes are empty: what members do stays on their instance (Mastodon reads outboxes
    only to backfill posts)."""
    return {
        "@context": AS_CONTEXT,
        "id": f"{actor}/outbox",
        "type": "OrderedCollection",
        "totalItems": 0,
        "orderedItems": [],
    }


def member_outbox(session: Session, instance: Instance, member_id: int) -> dict[str, Any]:
    if find_published_member(session, instance, member_id=member_id) is None:
        raise NotFound()
    return empty_outbox(instance, urls.member_actor(instance, member_id))


def webfinger(session: Session, instance: Instance, resource: str | None) -> dict[str, Any]:
    """The JRD of ``acct:handle@domain`` or of an actor's URL, on this instance's domain."""
    if not resource or len(resource) > MAX_RESOURCE:
        raise BadResource("bad_resource", "resource: acct:name@domain or an actor URL")
    domain = urls.handle_domain(instance)
    if resource.startswith("acct:"):
        name, at, host = unquote(resource[5:]).lstrip("@").rpartition("@")
        if not at or not name:
            raise BadResource("bad_resource", "resource: acct:name@domain")
        if host.lower() != domain:
            raise NotFound()
        if name == INSTANCE_ACTOR_NAME:
            return _jrd(f"acct:{name}@{domain}", urls.instance_actor(instance))
        found = find_published_member(session, instance, handle=name.lower())
    elif resource.startswith(("https://", "http://")):
        # Only this instance's own actor URLs (its origin) are answered.
        if resource == urls.instance_actor(instance):
            return _jrd(f"acct:{INSTANCE_ACTOR_NAME}@{domain}", resource)
        prefix = urls.member_actor(instance, 0)[:-1]
        tail = resource[len(prefix) :] if resource.startswith(prefix) else ""
        found = (
            find_published_member(session, instance, member_id=int(tail))
            if tail.isdigit() and len(tail) < 12
            else None
        )
    else:
        raise BadResource("bad_resource", "resource: acct:name@domain or an actor URL")
    if found is None:
        if resource.startswith("acct:") and member_departed(
            session, instance, handle=name.lower()
        ):
            raise Gone()
        raise NotFound()
    member, row = found
    return _jrd(
        f"acct:{row.handle}@{domain}",
        urls.member_actor(instance, member.id),
        profile=f"{urls.origin(instance)}/members/{member.id}",
    )


def _jrd(subject: str, actor: str, profile: str | None = None) -> dict[str, Any]:
    links: list[dict[str, str]] = [{"rel": "self", "type": ACTIVITY_JSON, "href": actor}]
    if profile:
        links.append(
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile}
        )
    return {"subject": subject, "aliases": [actor], "links": links}


def nodeinfo_links(instance: Instance) -> dict[str, Any]:
    return {"links": [{"rel": NODEINFO_SCHEMA, "href": f"{urls.origin(instance)}/nodeinfo/2.1"}]}


def nodeinfo(session: Session, instance: Instance) -> dict[str, Any]:
    """NodeInfo 2.1 with the instance's own name; the member count is the directory's, which
    the home page already shows."""
    return {
        "version": "2.1",
        "software": {"name": "maillon", "version": _software_version()},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": instance.setting("registration.policy") == "open",
        "usage": {"users": {"total": count_members(session, instance)}},
        "metadata": {"nodeName": instance.name, "nodeDescription": instance.setting("tagline")},
    }
