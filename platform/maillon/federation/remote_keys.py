"""Remote actors' public keys: read from the cache, else fetched once (bounded), refetched
at most every REFETCH_AFTER when a signature stops verifying (the remote rotated its key)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.db import settings
from maillon.federation import urls
from maillon.federation.fetch import FetchFailed, fetch_json
from maillon.federation.keys import ensure_key, private_key
from maillon.federation.models import RemoteKey
from maillon.tenancy.models import Instance

#: A key that fails to verify is fetched again only if the copy is older than this (Mastodon
#: rate-limits its refetches the same way): a flood of bad signatures costs one fetch.
REFETCH_AFTER = timedelta(minutes=5)


def find_remote_key(session: Session, key_id: str) -> RemoteKey | None:
    return session.scalar(select(RemoteKey).where(RemoteKey.key_id == key_id))


def _key_in(document: dict[str, Any], key_id: str) -> tuple[str, str] | None:
    """(owner, PEM) of ``key_id`` in an actor document (``publicKey`` may be a list)."""
    keys = document.get("publicKey")
    for key in keys if isinstance(keys, list) else [keys]:
        if isinstance(key, dict) and key.get("id") == key_id:
            owner, pem = key.get("owner"), key.get("publicKeyPem")
            if isinstance(owner, str) and isinstance(pem, str):
                return owner, pem
    return None


def fetch_remote_key(
    session: Session, instance: Instance, key_id: str, now: datetime
) -> tuple[str, str]:
    """(owner, PEM) fetched from the key's actor document, the owner checked: the document
    that holds the key is the actor it names as owner. No write: the caller stores it."""
    url = key_id.split("#", 1)[0]
    signer = ensure_key(session, instance, None)
    secret = private_key(session, signer)
    dev = bool(settings(session).get("FEDERATION_DEV_NETWORK"))
    # No transaction (nor write lock) is held while fetching: ensure_key may have written, and
    # the answer may come from this very deployment (local.py), which must be free to write.
    session.commit()
    document = fetch_json(
        url,
        key_id=urls.key_id(urls.instance_actor(instance), signer.generation),
        private_key=secret,
        now=now,
        dev_network=dev,
    )
    found = _key_in(document, key_id)
    if found is None:
        raise FetchFailed("no_key", f"{url} does not hold the key {key_id}")
    owner, pem = found
    if document.get("id") != owner:
        raise FetchFailed("key_owner", f"the key {key_id} is not owned by {url}")
    return owner, pem


def store_remote_key(
    session: Session, key_id: str, owner: str, pem: str, now: datetime
) -> RemoteKey:
    """Insert or refresh the cached key (the caller is in a write transaction and commits)."""
    row = find_remote_key(session, key_id)
    if row is None:
        row = RemoteKey(key_id=key_id, actor=owner, public_pem=pem, fetched_at=now)
        session.add(row)
    else:
        row.actor, row.public_pem, row.fetched_at = owner, pem, now
    return row
