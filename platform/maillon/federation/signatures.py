"""HTTP signatures: draft-cavage ``rsa-sha256`` (what Mastodon sends, and what we send) and
RFC 9421 (verified only), with their digests. Pure functions over ``cryptography``: no
database, no HTTP; ``inbox.py`` decides what to trust.

Draft-cavage signing string: one ``name: value`` line per signed header, in the order of the
``headers`` parameter, ``(request-target)`` being ``<method> <path[?query]>``. RFC 9421
signature base: one ``"<component>": value`` line per covered component, then
``"@signature-params": <the parameters as sent in Signature-Input>``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

#: What we sign on a POST, as Mastodon does.
POST_HEADERS = ("(request-target)", "host", "date", "digest", "content-type")
GET_HEADERS = ("(request-target)", "host", "date")
MAX_SIGNATURE_HEADER = 4096


class SignatureProblem(ValueError):
    """A signature that cannot be checked or does not verify; ``code`` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def sha256_digest(body: bytes) -> str:
    """The ``Digest`` header's value (RFC 3230)."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def content_digest(body: bytes) -> str:
    """The ``Content-Digest`` header's value (RFC 9530)."""
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def _target(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    path = parts.path or "/"
    return parts.netloc, path + (f"?{parts.query}" if parts.query else "")


def sign_request(
    method: str,
    url: str,
    *,
    key_id: str,
    private_key: rsa.RSAPrivateKey,
    now: datetime,
    body: bytes | None = None,
    content_type: str = "application/activity+json",
) -> dict[str, str]:
    """The headers that sign a request (Host, Date, and on a body Digest and Content-Type,
    then Signature), draft-cavage rsa-sha256 as Mastodon sends it."""
    host, target = _target(url)
    headers = {"Host": host, "Date": http_date(now)}
    names: tuple[str, ...] = GET_HEADERS
    if body is not None:
        headers["Digest"] = sha256_digest(body)
        headers["Content-Type"] = content_type
        names = POST_HEADERS
    values = {
        "(request-target)": f"{method.lower()} {target}",
        **{k.lower(): v for k, v in headers.items()},
    }
    message = "\n".join(f"{name}: {values[name]}" for name in names).encode()
    signature = private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    headers["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",'
        f'headers="{" ".join(names)}",'
        f'signature="{base64.b64encode(signature).decode()}"'
    )
    return headers


# ---------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class ParsedSignature:
    """What a request's signature claims, before any key is fetched."""

    scheme: str  # "cavage" or "rfc9421"
    key_id: str
    covered: tuple[str, ...]  # lower-case header names, or RFC 9421 component names
    signature: bytes
    created: int | None = None
    expires: int | None = None
    params: str = ""  # RFC 9421: the Signature-Input member's value, as signed


_CAVAGE_PARAM = re.compile(r'\s*([a-zA-Z]+)\s*=\s*(?:"([^"]*)"|([^,]*))\s*(?:,|$)')


def _b64(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        raise SignatureProblem("bad_signature", "the signature is not base64") from None


def parse_signature(headers: Mapping[str, str]) -> ParsedSignature:
    """The request's signature, draft-cavage (``Signature``) or RFC 9421
    (``Signature-Input`` + ``Signature``); SignatureProblem when absent or malformed.
    ``headers`` has lower-case names."""
    raw = headers.get("signature", "")
    if not raw:
        raise SignatureProblem("unsigned", "the request is not signed")
    if len(raw) > MAX_SIGNATURE_HEADER:
        raise SignatureProblem("bad_signature", "the signature header is too long")
    if headers.get("signature-input"):
        return _parse_rfc9421(headers["signature-input"], raw)
    params: dict[str, str] = {}
    for match in _CAVAGE_PARAM.finditer(raw):
        params[match.group(1)] = match.group(2) if match.group(2) is not None else match.group(3)
    algorithm = params.get("algorithm", "hs2019").lower()
    if algorithm not in ("rsa-sha256", "hs2019"):
        raise SignatureProblem("bad_signature", f"unsupported algorithm {algorithm}")
    if not params.get("keyId") or not params.get("signature"):
        raise SignatureProblem("bad_signature", "keyId and signature are required")
    covered = tuple(params.get("headers", "date").lower().split())

    def number(name: str) -> int | None:
        value = params.get(name)
        if value is None:
            return None
        try:
            return int(float(value))
        except ValueError:
            raise SignatureProblem("bad_signature", f"{name} is not a number") from None

    return ParsedSignature(
        "cavage",
        params["keyId"],
        covered,
        _b64(params["signature"]),
        created=number("created"),
        expires=number("expires"),
    )


_INPUT_MEMBER = re.compile(r'^\s*([a-z*][a-z0-9_.*-]*)=(\([^)]*\)(?:;[a-z]+=(?:"[^"]*"|[^;,"]+))*)')


def _parse_rfc9421(signature_input: str, signature: str) -> ParsedSignature:
    # One signature is read: the first member of Signature-Input (Mastodon sends one).
    found = _INPUT_MEMBER.match(signature_input)
    if found is None:
        raise SignatureProblem("bad_signature", "Signature-Input is malformed")
    label, params = found.group(1), found.group(2)
    value = re.search(rf"(?:^|,)\s*{re.escape(label)}=:([A-Za-z0-9+/=]*):", signature)
    if value is None:
        raise SignatureProblem("bad_signature", "Signature-Input and Signature do not match")
    covered = tuple(re.findall(r'"([^"]+)"', params[: params.index(")")]))
    attributes = {k: v.strip('"') for k, v in re.findall(r';([a-z]+)=("[^"]*"|[^;]+)', params)}
    key_id = attributes.get("keyid", "")
    if not key_id or attributes.get("alg", "rsa-v1_5-sha256") != "rsa-v1_5-sha256":
        raise SignatureProblem("bad_signature", "keyid is required, alg rsa-v1_5-sha256")
    created, expires = attributes.get("created", ""), attributes.get("expires", "")
    return ParsedSignature(
        "rfc9421",
        key_id,
        covered,
        _b64(value.group(1)),
        created=int(created) if created.isdigit() else None,
        expires=int(expires) if expires.isdigit() else None,
        params=params,
    )


# ---------------------------------------------------------------------- verifying


def public_key_from_pem(pem: str) -> rsa.RSAPublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except ValueError:
        raise SignatureProblem("bad_key", "the actor's key is not a PEM public key") from None
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < 2048:
        raise SignatureProblem("bad_key", "the actor's key is not RSA of 2048 bits or more")
    return key


def _verify(key: rsa.RSAPublicKey, signature: bytes, message: str) -> bool:
    try:
        key.verify(signature, message.encode(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def cavage_message(
    parsed: ParsedSignature, method: str, target: str, headers: Mapping[str, str]
) -> str:
    lines = []
    for name in parsed.covered:
        if name == "(request-target)":
            value = f"{method.lower()} {target}"
        elif name == "(created)":
            value = str(parsed.created)
        elif name == "(expires)":
            value = str(parsed.expires)
        else:
            if name not in headers:
                raise SignatureProblem("bad_signature", f"signed header {name} is missing")
            value = headers[name].strip()
        lines.append(f"{name}: {value}")
    return "\n".join(lines)


def rfc9421_base(parsed: ParsedSignature, method: str, url: str, headers: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    lines = []
    for name in parsed.covered:
        if name == "@method":
            value = method.upper()
        elif name == "@target-uri":
            value = url
        elif name == "@authority":
            value = parts.netloc.lower()
        elif name == "@path":
            value = parts.path or "/"
        elif name == "@query":
            value = "?" + parts.query
        elif name == "@request-target":
            value = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        elif name.startswith("@"):
            raise SignatureProblem("bad_signature", f"unsupported component {name}")
        else:
            if name not in headers:
                raise SignatureProblem("bad_signature", f"signed header {name} is missing")
            value = headers[name].strip()
        lines.append(f'"{name}": {value}')
    lines.append(f'"@signature-params": {parsed.params}')
    return "\n".join(lines)


def verify(
    parsed: ParsedSignature, public_pem: str, method: str, url: str, headers: Mapping[str, str]
) -> bool:
    """Whether the signature verifies with the key. ``headers`` has lower-case names and
    ``url`` is the URL as received (scheme, the Host received, path and query). A
    draft-cavage ``(request-target)`` is tried with the query, then without (the legacy
    form some servers still sign)."""
    key = public_key_from_pem(public_pem)
    if parsed.scheme == "rfc9421":
        return _verify(key, parsed.signature, rfc9421_base(parsed, method, url, headers))
    _, target = _target(url)
    if _verify(key, parsed.signature, cavage_message(parsed, method, target, headers)):
        return True
    path = target.split("?", 1)[0]
    return path != target and _verify(
        key, parsed.signature, cavage_message(parsed, method, path, headers)
    )
