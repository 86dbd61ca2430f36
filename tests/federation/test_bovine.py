"""Against bovine, an independent ActivityPub implementation from PyPI, on loopback with real
Host names (FEDERATION.md §3.6-3.7): the refusals first (a signature check that never runs is
the classic failure: each of these tests fails when its check is removed), then WebFinger, a
signed GET of our actor, our signed fetch verified by bovine, a bovine-signed Follow verified
by us, and a rotated key refetched once.

Skipped with the reason when bovine or aiohttp is missing; a failure in CI
(MAILLON_REQUIRE_SERVICES=1), where the test extras are installed.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

from flask import Flask
from sqlalchemy import select, update

from maillon.db import db, utcnow
from maillon.federation.models import InboxActivity, RemoteKey
from maillon.jobs.models import Job

if TYPE_CHECKING:
    from tests.federation.peer import Peer


def _follow(peer: Peer, target: str, n: int = 1, actor: str | None = None) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{peer.origin}/activities/follow-{n}",
        "type": "Follow",
        "actor": actor or peer.actor_id,
        "object": target,
    }


def _digest(body: bytes) -> str:
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def _now_header(delta: timedelta = timedelta(0)) -> str:
    return format_datetime(utcnow() + delta, usegmt=True)


def _stored(app: Flask) -> list[InboxActivity]:
    with app.app_context():
        return list(db.session.scalars(select(InboxActivity).order_by(InboxActivity.id)))


def _jobs(app: Flask) -> int:
    with app.app_context():
        return len(db.session.scalars(select(Job).where(Job.kind == "federation_inbox")).all())


# ---------------------------------------------------------------------- refusals first


def test_an_unsigned_post_is_refused(app, ours, peer):
    body = json.dumps(_follow(peer, f"{ours}/actor")).encode()
    status, text = peer.post_raw(
        f"{ours}/inbox",
        body,
        {
            "content-type": "application/activity+json",
            "date": _now_header(),
            "digest": _digest(body),
        },
    )
    assert status == 401 and json.loads(text)["error"]["code"] == "unsigned"
    assert _stored(app) == []


def test_a_tampered_body_is_refused(app, ours, peer):
    url = f"{ours}/inbox"
    signed = json.dumps(_follow(peer, f"{ours}/actor")).encode()
    headers = peer.signed_headers(url, signed, date=_now_header(), digest=_digest(signed))
    tampered = json.dumps(_follow(peer, f"{ours}/actor", n=2)).encode()
    status, text = peer.post_raw(url, tampered, headers)
    assert status == 401 and json.loads(text)["error"]["code"] == "bad_digest"
    # Tampered with the digest recomputed: the signature no longer covers it.
    headers["digest"] = _digest(tampered)
    status, text = peer.post_raw(url, tampered, headers)
    assert status == 401 and json.loads(text)["error"]["code"] == "bad_signature"
    assert _stored(app) == []


def test_a_wrong_digest_is_refused_even_when_signed(app, ours, peer):
    url = f"{ours}/inbox"
    body = json.dumps(_follow(peer, f"{ours}/actor")).encode()
    wrong = _digest(body + b" ")
    status, text = peer.post_raw(
        url, body, peer.signed_headers(url, body, date=_now_header(), digest=wrong)
    )
    assert status == 401 and json.loads(text)["error"]["code"] == "bad_digest"
    assert _stored(app) == []


def test_a_stale_or_future_date_is_refused(app, ours, peer):
    url = f"{ours}/inbox"
    body = json.dumps(_follow(peer, f"{ours}/actor")).encode()
    for delta in (timedelta(hours=-2), timedelta(hours=2)):
        status, text = peer.post_raw(
            url, body, peer.signed_headers(url, body, date=_now_header(delta), digest=_digest(body))
        )
        assert status == 401 and json.loads(text)["error"]["code"] == "stale_date"
    assert _stored(app) == []


def test_a_spoofed_actor_is_refused(app, ours, peer):
    spoofed = _follow(peer, f"{ours}/actor", actor=f"{peer.origin}/someone-else")
    status, text = peer.post(f"{ours}/inbox", spoofed)
    assert status == 401 and json.loads(text)["error"]["code"] == "actor_mismatch"
    assert _stored(app) == []


def test_a_replayed_activity_is_processed_once(app, ours, peer):
    url = f"{ours}/inbox"
    body = json.dumps(_follow(peer, f"{ours}/actor")).encode()
    headers = peer.signed_headers(url, body, date=_now_header(), digest=_digest(body))
    assert peer.post_raw(url, body, headers)[0] == 202
    assert peer.post_raw(url, body, headers)[0] == 202  # as Mastodon: accepted, not redone
    assert len(_stored(app)) == 1 and _jobs(app) == 1


def test_a_blocked_server_is_refused_before_any_key_fetch(app, ours, peer, federate):
    federate("reseau", servers=[{"domain": "bovine.localhost", "severity": "suspend"}])
    status, text = peer.post(f"{ours}/inbox", _follow(peer, f"{ours}/actor"))
    assert status == 403 and json.loads(text)["error"]["code"] == "server_refused"
    assert ("GET", "/actor") not in peer.requests  # its key was never fetched
    assert _stored(app) == []
    # The operator's blocklist, too, whatever the instance says.
    federate("reseau", remove=["bovine.localhost"])
    with app.app_context():
        from maillon.federation.policy import block_server

        block_server(db.session, "bovine.localhost")
    assert peer.post(f"{ours}/inbox", _follow(peer, f"{ours}/actor"))[0] == 403
    assert ("GET", "/actor") not in peer.requests


def test_a_signed_get_from_a_blocked_server_is_refused(
    app, ours, peer, federate, opt_in, create_member
):
    member = create_member("reseau", name="Ada Lovelace")
    opt_in(member)
    actor = f"{ours}/ap/members/{member.id}"
    assert peer.get(actor)[0] == 200
    federate("reseau", servers=[{"domain": "bovine.localhost", "severity": "suspend"}])
    assert peer.get(actor)[0] == 403
    assert peer.get(actor, signed=False)[0] == 200  # unsigned: nobody in particular


# ---------------------------------------------------------------------- what works


def test_bovine_finds_a_member_by_webfinger_and_reads_the_actor(
    app, ours, peer, opt_in, create_member
):
    from bovine.clients.lookup_account import lookup_with_webfinger
    from bovine.crypto.types import CryptographicIdentifier

    member = create_member("reseau", name="Ada Lovelace")
    handle = opt_in(member)
    domain = ours.split("://", 1)[1]
    href = peer.call(
        lambda s: lookup_with_webfinger(
            s, f"{ours}/.well-known/webfinger", {"resource": f"acct:{handle}@{domain}"}
        )
    )
    assert href == f"{ours}/ap/members/{member.id}"
    status, document = peer.get(href)  # a signed GET, as a server in secure mode sends
    assert status == 200 and document["preferredUsername"] == handle
    identity = CryptographicIdentifier.from_public_key(document["publicKey"])
    assert identity.controller == href


def test_our_signed_fetch_verifies_with_bovine(app, ours, peer):
    from maillon.federation.remote_keys import fetch_remote_key
    from tests.federation.conftest import instance_row

    with app.app_context():
        owner, pem = fetch_remote_key(db.session, instance_row("reseau"), peer.key_id, utcnow())
    assert owner == peer.actor_id and pem == peer.public_pem
    # bovine fetched our instance actor's key and found our GET's signature valid.
    assert peer.verified_signers[-1] == f"{ours}/actor"


def test_a_follow_signed_by_bovine_is_verified_and_queued(app, ours, peer, run_jobs):
    status, _ = peer.post(f"{ours}/inbox", _follow(peer, f"{ours}/actor"))
    assert status == 202
    [row] = _stored(app)
    assert (row.type, row.actor, row.status) == ("Follow", peer.actor_id, "received")
    run_jobs()
    [row] = _stored(app)
    assert row.status in ("processed", "ignored")
    # An unknown type is accepted and ignored.
    status, _ = peer.post(
        f"{ours}/inbox",
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "type": "Wiggle",
            "id": f"{peer.origin}/activities/wiggle",
            "actor": peer.actor_id,
        },
    )
    assert status == 202
    run_jobs()
    assert _stored(app)[-1].status == "ignored"


def test_a_rotated_key_is_refetched_once_and_not_more_often(app, ours, peer):
    assert peer.post(f"{ours}/inbox", _follow(peer, f"{ours}/actor", n=1))[0] == 202
    fetches = peer.requests.count(("GET", "/actor"))
    peer.rotate_key()
    # The cached copy is fresh: no refetch, refused.
    status, text = peer.post(f"{ours}/inbox", _follow(peer, f"{ours}/actor", n=2))
    assert status == 401 and json.loads(text)["error"]["code"] == "bad_signature"
    assert peer.requests.count(("GET", "/actor")) == fetches
    with app.app_context():
        db.session.execute(update(RemoteKey).values(fetched_at=utcnow() - timedelta(minutes=10)))
        db.session.commit()
    # An older copy: fetched once more, verified with the new key.
    assert peer.post(f"{ours}/inbox", _follow(peer, f"{ours}/actor", n=3))[0] == 202
    assert peer.requests.count(("GET", "/actor")) == fetches + 1
