"""Actor keys: RSA-2048 per member and per instance, the private half sealed at rest.

A key is made the first time an actor needs one (its document is served, it signs something),
not when the member registers: generating one costs tens of milliseconds of CPU, most members
of a community that federates with nobody never need one, and a registration's write
transaction must stay short (decision 44). Generation happens before the write transaction; two
requests racing for the same actor keep the first key written (unique owner and generation).

Private keys are sealed with AES-256-GCM under ``FEDERATION_KEY_SECRET`` (by default derived
from SECRET_KEY), with the key row's owner as associated data, so a sealed key copied onto
another row does not open. They never leave this module but as a key object for signing.
"""

from __future__ import annotations

import base64
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.db import begin_write, flush_or_find, settings
from maillon.federation.models import ActorKey
from maillon.members.models import Member
from maillon.tenancy.models import Instance

KEY_BITS = 2048
SEAL_VERSION = "v1"


class KeyUnreadable(RuntimeError):
    """A sealed private key that the configured secret does not open (the secret changed)."""


def _sealing_key(secret: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"maillon federation private keys"
    ).derive(secret.encode())


def sealing_secret(session: Session) -> str:
    config = settings(session)
    return str(config.get("FEDERATION_KEY_SECRET") or config["SECRET_KEY"])


def seal(secret: str, plaintext: bytes, owner: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_sealing_key(secret)).encrypt(nonce, plaintext, owner.encode())
    return f"{SEAL_VERSION}:" + base64.b64encode(nonce + sealed).decode()


def unseal(secret: str, sealed: str, owner: str) -> bytes:
    version, _, payload = sealed.partition(":")
    raw = base64.b64decode(payload)
    if version != SEAL_VERSION or len(raw) < 13:
        raise KeyUnreadable("unknown sealed key format")
    try:
        return AESGCM(_sealing_key(secret)).decrypt(raw[:12], raw[12:], owner.encode())
    except Exception as exc:  # InvalidTag: another secret, or another row's key
        raise KeyUnreadable(
            "the private key does not open with FEDERATION_KEY_SECRET; was the secret changed?"
        ) from exc


def owner_of(member: Member | None) -> str:
    return "instance" if member is None else f"m{member.id}"


def generate_pair() -> tuple[str, bytes]:
    """A new key: the public half as SPKI PEM, the private half as unencrypted PKCS#8 PEM."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return public_pem, private_pem


def find_key(session: Session, instance: Instance, member: Member | None) -> ActorKey | None:
    """The actor's key in use (its newest generation), or None."""
    return session.scalar(
        select(ActorKey)
        .where(ActorKey.instance_id == instance.id, ActorKey.owner == owner_of(member))
        .order_by(ActorKey.generation.desc())
        .limit(1)
    )


def _store(
    session: Session,
    instance: Instance,
    member: Member | None,
    generation: int,
    public_pem: str,
    private_pem: bytes,
) -> ActorKey:
    owner = owner_of(member)
    key = ActorKey(
        instance_id=instance.id,
        owner=owner,
        member_id=member.id if member else None,
        generation=generation,
        public_pem=public_pem,
        private_sealed=seal(sealing_secret(session), private_pem, owner),
    )
    session.add(key)
    return key


def ensure_key(session: Session, instance: Instance, member: Member | None) -> ActorKey:
    """The actor's key, made now (and committed) if it has none."""
    key = find_key(session, instance, member)
    if key is not None:
        return key
    public_pem, private_pem = generate_pair()  # the slow part, before the write lock
    begin_write(session)
    key = find_key(session, instance, member)
    if key is not None:  # made meanwhile
        return key
    _store(session, instance, member, 1, public_pem, private_pem)
    raced = flush_or_find(session, lambda: find_key(session, instance, member))
    if raced is not None:
        return raced
    session.commit()
    stored = find_key(session, instance, member)
    assert stored is not None
    return stored


def rotate_key(session: Session, instance: Instance, member: Member | None) -> ActorKey:
    """A new key for the actor (the caller commits); the old ones stay for the record but are
    no longer served or used."""
    public_pem, private_pem = generate_pair()
    begin_write(session)
    current = find_key(session, instance, member)
    generation = current.generation + 1 if current is not None else 1
    return _store(session, instance, member, generation, public_pem, private_pem)


@lru_cache(maxsize=256)
def _loaded(key_id: int, sealed: str, owner: str, secret: str) -> rsa.RSAPrivateKey:
    private = serialization.load_pem_private_key(unseal(secret, sealed, owner), password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    return private


def private_key(session: Session, key: ActorKey) -> rsa.RSAPrivateKey:
    """The key object to sign with (cached per process: loading a PEM costs milliseconds)."""
    return _loaded(key.id, key.private_sealed, key.owner, sealing_secret(session))


def actors_with_keys(session: Session, instance: Instance) -> list[int | None]:
    """The actors of the instance that have a key: None for the instance actor, else member
    ids (what ``maillon federation rotate-keys`` rotates)."""
    owners = session.execute(
        select(ActorKey.owner, ActorKey.member_id)
        .where(ActorKey.instance_id == instance.id)
        .distinct()
    ).all()
    return sorted({member_id for _, member_id in owners}, key=lambda m: -1 if m is None else m)
