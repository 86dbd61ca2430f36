"""Finding people across the communities of one deployment (decision 59), on both sides.

The answering community serves ``GET /ap/search?q=`` to servers it lets discover its members:
the request must carry a verified HTTP signature (draft-cavage or RFC 9421) of a server its
policy allows without limit, and its policy must say ``discoverable``. It searches its own
index, within the members who chose to be reachable *and* searchable from other servers
(``indexable``), listed in the directory and active (a hidden profile never), and answers at
most MAX_RESULTS of them: what their actor documents already publish.

The asking community puts the question to its sister communities only (the instances this
deployment serves, reached in process by ``local.py``): a search page does not wait on remote
servers. Each sister its policy does not refuse is asked once per search, with the instance
actor's signature; a sister that refuses, is not discoverable or fails adds nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.db import begin_read, begin_write, settings, utcnow
from maillon.errors import Forbidden, ServiceError
from maillon.federation import local, signatures, urls
from maillon.federation.fetch import FetchFailed, fetch_json
from maillon.federation.inbox import _check_date, _refuse, verify_signer
from maillon.federation.keys import ensure_key, private_key
from maillon.federation.membership import published
from maillon.federation.models import FederatedMember
from maillon.federation.policy import ALLOWED, REFUSED, federates, find_policy, server_access
from maillon.federation.remote_keys import store_remote_key
from maillon.finder.services import search_members
from maillon.members.models import Member
from maillon.tenancy.models import Instance

log = logging.getLogger(__name__)

MAX_QUERY = 200
MAX_RESULTS = 10
#: At most this many sister communities are asked per search.
MAX_SISTERS = 5


def verified_server(session: Session, instance: Instance, method: str, url: str,
                    headers: Mapping[str, str], now: datetime | None = None) -> str:
    """The host of the server that signed this request, checked as the inbox checks a POST
    (signature, date, key, the key's owner on that host); 401 unsigned or unverified, 403 for
    a server the instance's policy refuses or limits."""
    now = now or utcnow()
    begin_read(session)
    try:
        parsed = signatures.parse_signature(headers)
    except signatures.SignatureProblem as exc:
        raise _refuse(exc.code, str(exc)) from None
    host = urlsplit(parsed.key_id).hostname or ""
    if server_access(session, instance, host) != ALLOWED:
        raise Forbidden("server_refused", "this community does not answer your server")
    if parsed.scheme == "rfc9421":
        if "@target-uri" not in parsed.covered or "@method" not in parsed.covered:
            raise _refuse("bad_signature", "@method and @target-uri must be signed")
    elif "(request-target)" not in parsed.covered:
        raise _refuse("bad_signature", "(request-target) must be signed")
    _check_date(parsed, headers, now)
    owner, fetched = verify_signer(session, instance, parsed, method, url, headers, now)
    if (urlsplit(owner).hostname or "") != host:
        raise _refuse("actor_mismatch", "the key's owner is not on the signing server")
    if fetched is not None:
        begin_write(session)
        store_remote_key(session, parsed.key_id, fetched[0], fetched[1], now)
        session.commit()
    return host


def _searchable_ids(session: Session, instance: Instance) -> dict[int, FederatedMember]:
    rows = session.execute(
        select(Member, FederatedMember)
        .join(FederatedMember, (FederatedMember.member_id == Member.id)
              & (FederatedMember.instance_id == instance.id))
        .where(Member.instance_id == instance.id, FederatedMember.enabled.is_(True),
               FederatedMember.indexable.is_(True), Member.status == "active")).all()
    return {m.id: row for m, row in rows if published(m, row)}


def search_for_server(session: Session, instance: Instance, host: str, text: str
                      ) -> list[dict[str, Any]]:
    """The instance's members another server (``host``, verified) finds with ``text``."""
    text = text.strip()
    if not text or len(text) > MAX_QUERY:
        raise ServiceError("invalid_query", f"q: 1 to {MAX_QUERY} characters", status=422)
    policy = find_policy(session, instance)
    if not federates(session, instance) or policy is None or not policy.discoverable:
        raise Forbidden("not_discoverable", "this community is not searchable from elsewhere")
    rows = _searchable_ids(session, instance)
    if not rows:
        return []
    outcome = search_members(session, instance, None, text=text, per_page=MAX_RESULTS,
                             within_ids=frozenset(rows))
    domain = urls.handle_domain(instance)
    return [{"id": urls.member_actor(instance, hit.member.id),
             "handle": f"{rows[hit.member.id].handle}@{domain}",
             "name": hit.member.name, "headline": hit.member.headline,
             "location": hit.member.location,
             "url": f"{urls.origin(instance)}/members/{hit.member.id}"}
            for hit in outcome.hits if hit.member.id in rows]


@dataclass(frozen=True)
class SisterHit:
    """Someone a sister community found for a search (as its answer says)."""

    uri: str
    handle: str
    name: str
    headline: str
    location: str
    community: str


def _text(value: Any, limit: int) -> str:
    return " ".join(value.split())[:limit] if isinstance(value, str) else ""


def search_sisters(session: Session, instance: Instance, text: str) -> list[SisterHit]:
    """What the sister communities this one federates with find for ``text`` (nothing when
    the instance federates with nobody, or for an empty or too long query)."""
    text = text.strip()
    if not text or len(text) > MAX_QUERY or not federates(session, instance):
        return []
    sisters = []
    for slug in sorted(set(local.local_origins().values()) - {instance.slug}):
        origin = urls.origin_of_slug(slug)
        if server_access(session, instance, urlsplit(origin).hostname or "") != REFUSED:
            sisters.append((slug, origin))
    if not sisters:
        return []
    key = ensure_key(session, instance, None)
    key_id = urls.key_id(urls.instance_actor(instance), key.generation)
    secret = private_key(session, key)
    dev = bool(settings(session).get("FEDERATION_DEV_NETWORK"))
    session.commit()  # no transaction is held while the sisters answer (they may write)
    found: list[SisterHit] = []
    for slug, origin in sisters[:MAX_SISTERS]:
        try:
            answer = fetch_json(f"{origin}/ap/search?q={quote(text)}", key_id=key_id,
                                private_key=secret, now=utcnow(), dev_network=dev)
        except FetchFailed as exc:  # refused, not discoverable, unavailable: nothing from it
            log.info("sister %s gave no search results: %s", slug, exc)
            continue
        community = local.community_name(origin + "/") or slug
        results = answer.get("results")
        for item in (results if isinstance(results, list) else [])[:MAX_RESULTS]:
            uri = item.get("id") if isinstance(item, dict) else None
            if not isinstance(uri, str) or not uri.startswith(origin + "/ap/members/"):
                continue  # only people of the community that answered
            found.append(SisterHit(uri=uri, handle=_text(item.get("handle"), 300),
                                   name=_text(item.get("name"), 200) or uri,
                                   headline=_text(item.get("headline"), 200),
                                   location=_text(item.get("location"), 120),
                                   community=community))
    return found
