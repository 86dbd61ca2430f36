"""bovine, an independent ActivityPub implementation (from PyPI), as the remote server.

The peer is an aiohttp application on a loopback port, in its own thread and event loop,
serving one actor (keys made by bovine) at ``http://bovine.localhost:<port>/actor``. What it
sends is signed by bovine's own code (``signed_post``, ``signed_get``, ``HttpSignature``);
what it receives is verified by bovine's ``SignatureChecker``. Every host name resolves to
127.0.0.1 on its side (``LoopbackResolver``); ours does the same for ``*.localhost`` names
(``federation/fetch.py``). bovine's JSON-LD module is never imported (it writes a cache file
into the working directory and fetches contexts over the network).
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.abc import AbstractResolver
from bovine.clients.signed_http_methods import signed_get, signed_post
from bovine.crypto import build_validate_http_signature_raw, generate_rsa_public_private_key
from bovine.crypto.http_signature import build_signature
from bovine.crypto.types import CryptographicIdentifier, CryptographicSecret

AS = "https://www.w3.org/ns/activitystreams"


class LoopbackResolver(AbstractResolver):
    """Every name is 127.0.0.1, the port as asked: real Host headers on loopback."""

    async def resolve(
        self, host: str, port: int = 0, family: int = socket.AF_INET
    ) -> list[dict[str, Any]]:
        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        return None


@dataclass
class Peer:
    """The bovine server: its actor, and what it saw."""

    port: int = 0
    public_pem: str = ""
    private_pem: str = ""
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path)
    verified_signers: list[str | None] = field(default_factory=list)  # of GETs it served
    received: list[dict[str, Any]] = field(default_factory=list)  # activities POSTed to it
    answers: list[int] = field(default_factory=list)  # statuses its inbox answers first
    redirects: dict[str, str] = field(default_factory=dict)  # path -> Location (301)
    # Say, as a Maillon server's actors do, that it takes introduction Offers.
    accepts_introductions: bool = False
    loop: asyncio.AbstractEventLoop | None = None
    session: aiohttp.ClientSession | None = None
    runner: web.AppRunner | None = None
    thread: threading.Thread | None = None

    @property
    def origin(self) -> str:
        return f"http://bovine.localhost:{self.port}"

    @property
    def actor_id(self) -> str:
        return f"{self.origin}/actor"

    @property
    def key_id(self) -> str:
        return f"{self.actor_id}#main-key"

    @property
    def secret(self) -> CryptographicSecret:
        return CryptographicSecret.from_pem(self.key_id, self.private_pem)

    def rotate_key(self) -> None:
        self.public_pem, self.private_pem = generate_rsa_public_private_key()

    def actor_document(self) -> dict[str, Any]:
        flag = {"acceptsIntroductions": True} if self.accepts_introductions else {}
        return {**flag,
            "@context": [AS, "https://w3id.org/security/v1"],
            "id": self.actor_id,
            "type": "Person",
            "preferredUsername": "bob",
            "name": "Bob Peer",
            "summary": "<p>Builds bridges &amp; ferries</p><p>Second line<script>x</script></p>",
            "url": f"{self.origin}/@bob",
            "inbox": f"{self.origin}/inbox",
            "outbox": f"{self.origin}/outbox",
            "publicKey": {
                "id": self.key_id,
                "owner": self.actor_id,
                "publicKeyPem": self.public_pem,
            },
        }

    # --- running bovine's code on the peer's loop, from the test's thread

    def run(self, coroutine: Awaitable[Any], timeout: float = 20) -> Any:
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(
            asyncio.wait_for(coroutine, timeout), self.loop
        ).result(timeout + 5)

    def post(self, url: str, activity: dict[str, Any] | str) -> tuple[int, str]:
        """POST signed by bovine's ``signed_post`` (Digest, Date, draft-cavage)."""
        body = activity if isinstance(activity, str) else json.dumps(activity)

        async def go() -> tuple[int, str]:
            assert self.session is not None
            from bovine.clients.signed_http import legacy_digest_method as digest

            response = await signed_post(self.session, self.secret, url, body, digest)
            return response.status, await response.text()

        return self.run(go())

    def post_raw(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        async def go() -> tuple[int, str]:
            assert self.session is not None
            async with self.session.post(url, data=body, headers=headers) as response:
                return response.status, await response.text()

        return self.run(go())

    def signed_headers(
        self,
        url: str,
        body: bytes,
        *,
        date: str,
        digest: str,
        content_type: str = "application/activity+json",
    ) -> dict[str, str]:
        """Headers signed by bovine's HttpSignature, with the Date and Digest given (to sign
        what an honest sender would not)."""
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        helper = (
            build_signature(parts.netloc, "post", parts.path)
            .with_field("date", date)
            .with_field("digest", digest)
            .with_field("content-type", content_type)
        )
        return {**helper.headers, "signature": helper.sign_for_http_draft(self.secret)}

    def get(
        self, url: str, *, signed: bool = True, accept: str = "application/activity+json"
    ) -> tuple[int, Any]:
        async def go() -> tuple[int, Any]:
            assert self.session is not None
            if signed:
                response = await signed_get(
                    self.session, self.secret, url, headers={"accept": accept}
                )
            else:
                response = await self.session.get(url, headers={"accept": accept})
            text = await response.text()
            try:
                return response.status, json.loads(text)
            except ValueError:
                return response.status, text

        return self.run(go())

    def call(self, fn: Callable[[aiohttp.ClientSession], Awaitable[Any]]) -> Any:
        assert self.session is not None
        return self.run(fn(self.session))


#: Keys the peer fetched, by keyId: like any server, it still knows the key of an actor that
#: is gone (410) and so can verify that actor's Delete.
_KNOWN_KEYS: dict[str, tuple[str, str]] = {}


async def _key_of(session: aiohttp.ClientSession, key_id: str) -> CryptographicIdentifier | None:
    """bovine's key retriever: the keyId's document, its publicKey (our actor documents);
    the key seen before when the actor is gone."""
    async with session.get(
        key_id.split("#")[0], headers={"accept": "application/activity+json"}
    ) as response:
        if response.status == 410 and key_id in _KNOWN_KEYS:
            pem, owner = _KNOWN_KEYS[key_id]
            return CryptographicIdentifier.from_pem(pem, owner)
        if response.status != 200:
            return None
        document = await response.json(content_type=None)
    key = document.get("publicKey", document)
    _KNOWN_KEYS[key["id"]] = (key["publicKeyPem"], key["owner"])
    return CryptographicIdentifier.from_pem(key["publicKeyPem"], key["owner"])


def start_peer() -> Peer:
    peer = Peer()
    peer.rotate_key()
    ready = threading.Event()

    async def actor(request: web.Request) -> web.Response:
        peer.requests.append(("GET", request.path))
        assert peer.session is not None
        validate = build_validate_http_signature_raw(lambda k: _key_of(peer.session, k))
        signer = (
            await validate(
                "get", str(request.url), {k.lower(): v for k, v in request.headers.items()}, None
            )
            if ("signature" in request.headers)
            else None
        )
        peer.verified_signers.append(signer)
        return web.json_response(peer.actor_document(), content_type="application/activity+json")

    async def webfinger(request: web.Request) -> web.Response:
        peer.requests.append(("GET", request.path))
        host = peer.origin.split("://", 1)[1]
        if request.query.get("resource") != f"acct:bob@{host}":
            return web.Response(status=404)
        return web.json_response(
            {
                "subject": f"acct:bob@{host}",
                "links": [
                    {"rel": "self", "type": "application/activity+json", "href": peer.actor_id}
                ],
            },
            content_type="application/jrd+json",
        )

    async def redirect(request: web.Request) -> web.Response:
        """Mastodon's profile link, ``/@bob``, answers 301 to the actor; tests add more
        (``peer.redirects``: path -> Location)."""
        peer.requests.append(("GET", request.path))
        target = peer.redirects.get(request.path)
        if target is None:
            return web.Response(status=404)
        return web.Response(status=301, headers={"Location": target})

    async def inbox(request: web.Request) -> web.Response:
        peer.requests.append(("POST", request.path))
        body = await request.read()
        if peer.answers:  # a server having a bad day, as told by the test
            return web.Response(status=peer.answers.pop(0))
        assert peer.session is not None
        validate = build_validate_http_signature_raw(lambda k: _key_of(peer.session, k))

        async def read() -> bytes:
            return body

        signer = await validate(
            "post", str(request.url), {k.lower(): v for k, v in request.headers.items()}, read
        )
        if signer is None:
            return web.Response(status=401)
        peer.received.append({"signer": signer, "activity": json.loads(body)})
        return web.Response(status=202)

    def serve() -> None:
        loop = asyncio.new_event_loop()
        peer.loop = loop
        asyncio.set_event_loop(loop)

        async def setup() -> None:
            app = web.Application()
            app.router.add_get("/actor", actor)
            app.router.add_get("/.well-known/webfinger", webfinger)
            app.router.add_post("/inbox", inbox)
            app.router.add_get("/{path:(@|r/).*}", redirect)
            peer.runner = web.AppRunner(app)
            await peer.runner.setup()
            site = web.TCPSite(peer.runner, "127.0.0.1", 0)
            await site.start()
            peer.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            peer.session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(resolver=LoopbackResolver())
            )

        loop.run_until_complete(setup())
        peer.redirects["/@bob"] = peer.actor_id  # as Mastodon's /@bob to /users/bob
        ready.set()
        loop.run_forever()
        loop.close()

    peer.thread = threading.Thread(target=serve, daemon=True)
    peer.thread.start()
    assert ready.wait(15), "the bovine peer did not start"
    return peer


def stop_peer(peer: Peer) -> None:
    async def close() -> None:
        if peer.session is not None:
            await peer.session.close()
        if peer.runner is not None:
            await peer.runner.cleanup()

    peer.run(close())
    assert peer.loop is not None
    peer.loop.call_soon_threadsafe(peer.loop.stop)
    assert peer.thread is not None
    peer.thread.join(10)
