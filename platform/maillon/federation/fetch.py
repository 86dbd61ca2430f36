"""Fetching a remote ActivityPub document: one signed GET, bounded in time, size and
addresses, so that it may run even inside a web request (the inbox's key fetch).

* time: FETCH_SECONDS for the whole exchange (connect, headers, body), checked while reading;
* size: at most MAX_DOCUMENT_BYTES read, a larger document is refused;
* addresses: https only, and never an address of this machine or a private network (a remote
  server must not make us fetch from our own network), unless FEDERATION_DEV_NETWORK is on
  (development and the tests' loopback peers). Names under ``.localhost`` resolve to
  127.0.0.1 (RFC 6761), which only that setting lets through. The address is resolved once
  and connected to directly, so a second DNS answer cannot redirect the request.
* redirects are not followed (a document's id must be where it is served), except by
  ``fetch_json_following``, the lookup of a person from a pasted link (Mastodon's
  ``https://server/@bob`` answers 301 to ``/users/bob``): at most MAX_REDIRECTS, each target
  re-checked as a first request is (https, or http under FEDERATION_DEV_NETWORK; the address
  rules) and by the caller's ``check_host`` (the federation policies), never from https down
  to http, and the document's id must be the last URL;
* an address of another instance of this deployment is not fetched over the network: the
  same signed request is handed to the application in this process (``local.py``).
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import ssl
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from maillon.federation import local
from maillon.federation.signatures import sign_request

FETCH_SECONDS = 5.0
MAX_DOCUMENT_BYTES = 256 * 1024
ACCEPT = (
    "application/activity+json, "
    'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
)
USER_AGENT = "Maillon (ActivityPub)"
MAX_REDIRECTS = 3
REDIRECTS = (301, 302, 303, 307, 308)


class FetchFailed(Exception):
    """A document that could not be fetched; ``code`` is stable (logs, the inbox's answer)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def resolve(host: str, port: int, *, dev_network: bool) -> str:
    """The one address to connect to, checked."""
    if host == "localhost" or host.endswith(".localhost"):
        address = "127.0.0.1"
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise FetchFailed("unresolved", f"{host} does not resolve") from None
        if not infos:
            raise FetchFailed("unresolved", f"{host} does not resolve")
        address = str(infos[0][4][0])
    ip = ipaddress.ip_address(address)
    if not dev_network and not ip.is_global:
        raise FetchFailed("private_address", f"{host} is on a private network")
    return address


class _Pinned(http.client.HTTPConnection):
    def __init__(self, address: str, host: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    def __init__(self, address: str, host: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def exchange(
    method: str,
    url: str,
    *,
    key_id: str | None,
    private_key: rsa.RSAPrivateKey | None,
    now: datetime,
    body: bytes | None = None,
    dev_network: bool = False,
    seconds: float = FETCH_SECONDS,
    answer_headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    """One signed request (GET, or POST of ``body``), bounded as the module says: the status
    and at most MAX_DOCUMENT_BYTES of the answer (its headers, lower-case, put in
    ``answer_headers`` when given). FetchFailed when no answer came."""
    parts = urlsplit(url)
    headers = {"Accept": ACCEPT, "User-Agent": USER_AGENT}
    if key_id is not None and private_key is not None:
        headers.update(
            sign_request(method, url, key_id=key_id, private_key=private_key, now=now, body=body)
        )
    else:
        headers["Host"] = parts.netloc
    if local.local_slug(url) is not None:
        # Another instance of this deployment: the same request, handed to the app here.
        status, answer = local.exchange(method, url, headers, body, MAX_DOCUMENT_BYTES,
                                        answer_headers)
        if len(answer) > MAX_DOCUMENT_BYTES:
            raise FetchFailed("too_large", f"{url} is larger than {MAX_DOCUMENT_BYTES} bytes")
        return status, answer
    https = parts.scheme == "https"
    if not (https or (parts.scheme == "http" and dev_network)) or not parts.hostname:
        raise FetchFailed("bad_url", "only https URLs are used")
    port = parts.port or (443 if https else 80)
    address = resolve(parts.hostname, port, dev_network=dev_network)
    deadline = time.monotonic() + seconds
    connection = (_PinnedTLS if https else _Pinned)(address, parts.hostname, port, seconds)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(method, target, body=body, headers=headers)
        response = connection.getresponse()
        if answer_headers is not None:
            answer_headers.update((k.lower(), v) for k, v in response.getheaders())
        chunks, size = [], 0
        while True:
            if time.monotonic() > deadline:
                raise FetchFailed("timeout", f"{url} took longer than {seconds} s")
            chunk = response.read(16384)
            if not chunk:
                break
            size += len(chunk)
            if size > MAX_DOCUMENT_BYTES:
                raise FetchFailed("too_large", f"{url} is larger than {MAX_DOCUMENT_BYTES} bytes")
            chunks.append(chunk)
    except (OSError, http.client.HTTPException) as exc:
        raise FetchFailed("unreachable", f"{url}: {exc}") from None
    finally:
        connection.close()
    return response.status, b"".join(chunks)


def fetch_json(
    url: str,
    *,
    key_id: str | None,
    private_key: rsa.RSAPrivateKey | None,
    now: datetime,
    dev_network: bool = False,
    seconds: float = FETCH_SECONDS,
) -> dict[str, Any]:
    """The JSON object at ``url``, fetched with a GET signed by ``key_id`` (the instance
    actor's key: servers in secure mode refuse unsigned fetches)."""
    status, raw = exchange(
        "GET",
        url,
        key_id=key_id,
        private_key=private_key,
        now=now,
        dev_network=dev_network,
        seconds=seconds,
    )
    return _document(url, status, raw)


def fetch_json_following(
    url: str,
    *,
    key_id: str | None,
    private_key: rsa.RSAPrivateKey | None,
    now: datetime,
    check_host: Callable[[str], None],
    dev_network: bool = False,
    redirects: int = MAX_REDIRECTS,
) -> tuple[str, dict[str, Any]]:
    """The URL the JSON object was found at after at most ``redirects`` redirects, and the
    object. ``check_host(netloc)`` is called before each redirect is followed (it raises to
    refuse); every request is bounded and address-checked as ``exchange`` does."""
    for _ in range(redirects + 1):
        headers: dict[str, str] = {}
        status, raw = exchange(
            "GET",
            url,
            key_id=key_id,
            private_key=private_key,
            now=now,
            dev_network=dev_network,
            answer_headers=headers,
        )
        if status not in REDIRECTS:
            return url, _document(url, status, raw)
        location = headers.get("location", "").strip()
        target = urljoin(url, location).split("#", 1)[0]
        parts = urlsplit(target)
        if not location or not parts.hostname or parts.username or parts.password:
            raise FetchFailed("bad_redirect", f"{url} redirects nowhere usable")
        if urlsplit(url).scheme == "https" and parts.scheme != "https":
            raise FetchFailed("bad_redirect", f"{url} redirects away from https")
        check_host(parts.netloc.lower())
        url = target
    raise FetchFailed("too_many_redirects", f"more than {redirects} redirects")


def _document(url: str, status: int, raw: bytes) -> dict[str, Any]:
    if status != 200:
        raise FetchFailed(f"http_{status}", f"{url} answered {status}")
    try:
        document = json.loads(raw)
    except ValueError:
        raise FetchFailed("not_json", f"{url} is not JSON") from None
    if not isinstance(document, dict):
        raise FetchFailed("not_json", f"{url} is not a JSON object")
    return document
