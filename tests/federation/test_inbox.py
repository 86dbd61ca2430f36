"""The inbox's own rules, without a peer: the remote key is already cached, requests are
signed here (draft-cavage by our signer, RFC 9421 by hand from the RFC's rules)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy import select

from maillon.db import db, utcnow
from maillon.federation import signatures
from maillon.federation.inbox import MAX_BODY_BYTES, prune_inbox
from maillon.federation.models import InboxActivity, RemoteKey

REMOTE = "https://remote.example/users/bob"
KEY_ID = f"{REMOTE}#main-key"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def cached_key(app):
    """The remote actor's key, as a fetch would have stored it."""
    pem = KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with app.app_context():
        db.session.add(
            RemoteKey(key_id=KEY_ID, actor=REMOTE, public_pem=pem.decode(), fetched_at=utcnow())
        )
        db.session.commit()


def _activity(n: int = 1, **extra: Any) -> bytes:
    return json.dumps(
        {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"https://remote.example/activities/{n}",
            "type": "Follow",
            "actor": REMOTE,
            "object": "http://reseau.localhost/actor",
            **extra,
        }
    ).encode()


def _post(client, path: str, body: bytes, headers: dict[str, str]):
    return client.post(path, data=body, headers=headers)


def _cavage(path: str, body: bytes, **kwargs: Any) -> dict[str, str]:
    return signatures.sign_request(
        "POST",
        f"http://reseau.localhost{path}",
        key_id=KEY_ID,
        private_key=KEY,
        now=kwargs.pop("now", utcnow()),
        body=body,
        **kwargs,
    )


def test_a_post_signed_by_our_signer_is_accepted(client_for, federate, cached_key, app):
    federate("reseau")
    body = _activity()
    answer = _post(client_for("reseau"), "/inbox", body, _cavage("/inbox", body))
    assert answer.status_code == 202, answer.get_data(as_text=True)
    with app.app_context():
        row = db.session.scalar(select(InboxActivity))
        assert row is not None and row.member_id is None and row.type == "Follow"


def test_the_digest_and_the_target_must_be_signed(client_for, federate, cached_key):
    federate("reseau")
    body = _activity()
    headers = _cavage("/inbox", body)
    # The same request signed over (request-target) host date only: the body is not covered.
    values = {"(request-target)": "post /inbox", "host": headers["Host"], "date": headers["Date"]}
    message = "\n".join(f"{k}: {v}" for k, v in values.items()).encode()
    signature = base64.b64encode(KEY.sign(message, padding.PKCS1v15(), hashes.SHA256()))
    headers["Signature"] = (
        f'keyId="{KEY_ID}",algorithm="rsa-sha256",'
        f'headers="(request-target) host date",'
        f'signature="{signature.decode()}"'
    )
    answer = _post(client_for("reseau"), "/inbox", body, headers)
    assert answer.status_code == 401
    assert answer.get_json()["error"]["code"] == "bad_digest"


def _rfc9421(
    url: str,
    body: bytes,
    created: int,
    covered: tuple[str, ...] = ("@method", "@target-uri", "content-digest"),
) -> dict[str, str]:
    digest = signatures.content_digest(body)
    params = (
        "(" + " ".join(f'"{c}"' for c in covered) + f");created={created}"
        f';keyid="{KEY_ID}";alg="rsa-v1_5-sha256"'
    )
    values = {"@method": "POST", "@target-uri": url, "content-digest": digest}
    base = "\n".join(f'"{c}": {values[c]}' for c in covered) + f'\n"@signature-params": {params}'
    signature = base64.b64encode(KEY.sign(base.encode(), padding.PKCS1v15(), hashes.SHA256()))
    return {
        "Content-Type": "application/activity+json",
        "Content-Digest": digest,
        "Signature-Input": f"sig1={params}",
        "Signature": f"sig1=:{signature.decode()}:",
    }


def test_rfc_9421_signatures_are_verified(client_for, federate, cached_key):
    federate("reseau")
    client = client_for("reseau")
    body = _activity()
    now = int(utcnow().timestamp())
    answer = _post(client, "/inbox", body, _rfc9421("http://reseau.localhost/inbox", body, now))
    assert answer.status_code == 202, answer.get_data(as_text=True)
    other = _activity(2)
    tampered = _rfc9421("http://reseau.localhost/inbox", body, now)
    tampered["Content-Digest"] = signatures.content_digest(other)
    assert _post(client, "/inbox", other, tampered).get_json()["error"]["code"] == ("bad_signature")
    stale = _rfc9421("http://reseau.localhost/inbox", other, now - 7200)
    assert _post(client, "/inbox", other, stale).get_json()["error"]["code"] == "stale_date"
    unsigned_digest = _rfc9421(
        "http://reseau.localhost/inbox", other, now, covered=("@method", "@target-uri")
    )
    assert _post(client, "/inbox", other, unsigned_digest).get_json()["error"]["code"] == (
        "bad_digest"
    )


def test_what_an_inbox_refuses_before_reading_a_signature(
    client_for, federate, cached_key, create_member, opt_in
):
    client = client_for("reseau")
    body = _activity()
    # The instance federates with nobody: no inbox.
    assert _post(client, "/inbox", body, _cavage("/inbox", body)).status_code == 404
    federate("reseau")
    assert (
        client.post(
            "/inbox", data=body, headers={**_cavage("/inbox", body), "Content-Type": "text/plain"}
        ).status_code
        == 415
    )
    big = b"{" + b" " * MAX_BODY_BYTES + b"}"
    assert _post(client, "/inbox", big, _cavage("/inbox", big)).status_code == 413
    # A member's inbox exists only while they are reachable.
    member = create_member("reseau", name="In Box")
    path = f"/ap/members/{member.id}/inbox"
    assert _post(client, path, body, _cavage(path, body)).status_code == 404
    opt_in(member)
    assert _post(client, path, body, _cavage(path, body)).status_code == 202
    not_activity = json.dumps({"type": "Follow"}).encode()
    answer = _post(client, "/inbox", not_activity, _cavage("/inbox", not_activity))
    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == "not_an_activity"


def test_a_legacy_request_target_without_the_query_still_verifies():
    body = b"{}"
    headers = signatures.sign_request(
        "POST", "https://a.example/inbox", key_id=KEY_ID, private_key=KEY, now=utcnow(), body=body
    )
    lower = {k.lower(): v for k, v in headers.items()}
    parsed = signatures.parse_signature(lower)
    pem = (
        KEY.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    assert signatures.verify(parsed, pem, "POST", "https://a.example/inbox?x=1", lower)
    assert not signatures.verify(parsed, pem, "POST", "https://a.example/other", lower)


def test_old_activity_ids_are_forgotten(app, client_for, federate, cached_key):
    federate("reseau")
    body = _activity()
    assert _post(client_for("reseau"), "/inbox", body, _cavage("/inbox", body)).status_code == 202
    with app.app_context():
        row = db.session.scalar(select(InboxActivity))
        row.received_at = utcnow() - timedelta(days=8)
        db.session.commit()
        prune_inbox(db.session)
        assert db.session.scalar(select(InboxActivity)) is None
