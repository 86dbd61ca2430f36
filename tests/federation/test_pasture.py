"""fediverse-pasture's ``verify_actor`` against a member's actor: its six test actors (served
by pasture's own app on loopback) fetch the actor, unsigned and signed, and post to its inbox,
unsigned and signed; the actor's WebFinger must give the same actor back. Without the package
the test skips with the reason; in CI (MAILLON_REQUIRE_SERVICES=1) it fails."""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import skip_or_fail
from tests.processes import free_port

MISSING = [
    name
    for name in ("fediverse_pasture", "quart", "hypercorn", "bovine")
    if importlib.util.find_spec(name) is None
]
SECURITY_V1 = "https://w3id.org/security/v1"
#: The part of the security vocabulary's context that actors' keys use (the tests are
#: offline: bovine would otherwise put an empty context in its place and lose publicKey).
SECURITY_CONTEXT = {
    "id": "@id",
    "type": "@type",
    "sec": "https://w3id.org/security#",
    "publicKey": {"@id": "sec:publicKey", "@type": "@id"},
    "publicKeyPem": "sec:publicKeyPem",
    "owner": {"@id": "sec:owner", "@type": "@id"},
}


class _Contexts:
    """bovine's JSON-LD context cache, in memory: its own keeps an SQLite connection of the
    thread that imported it, and pasture's server checks signatures on another thread."""

    def __init__(self) -> None:
        self.cache: dict[str, Any] = {SECURITY_V1: SECURITY_CONTEXT}

    def retrieve(self, url: str) -> Any:
        return self.cache.get(url)

    def add(self, url: str, context: Any) -> None:
        self.cache[url] = context


#: What a server that requires signatures on its inbox answers each of pasture's actors:
#: anyone may read the actor; only a signed POST is accepted (alice and dean post unsigned).
EXPECTED = {
    "alice": {"get_actor": True, "post_inbox": False},
    "bob": {"get_actor": True, "post_inbox": True},
    "claire": {"get_actor": True, "post_inbox": True},
    "dean": {"get_actor": True, "post_inbox": False},
    "emily": {"get_actor": True, "post_inbox": True},
    "frank": {"get_actor": True, "post_inbox": True},
    "webfinger": True,
}


@pytest.fixture
def loopback_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """pasture connects through the system resolver: names under .localhost are loopback
    (RFC 6761), as our own fetches already treat them."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and (host == "localhost" or host.endswith(".localhost")):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def pasture(tmp_path: Any, monkeypatch: pytest.MonkeyPatch, loopback_names: None) -> Iterator[Any]:
    """pasture's test actors served by its own app (hypercorn) on loopback: (actors, domain)."""
    if MISSING:
        skip_or_fail(f"{', '.join(MISSING)} missing: pip install -e '.[test]'")
    # pasture and bovine write files in the working directory (bovine's JSON-LD cache as soon
    # as it is imported): here, never in the checkout.
    monkeypatch.chdir(tmp_path)
    import bovine.jsonld
    from fediverse_pasture.data_provider import DataProvider
    from fediverse_pasture.server import BlueprintForActors
    from hypercorn.asyncio import serve
    from hypercorn.config import Config
    from quart import Quart

    monkeypatch.setattr(bovine.jsonld, "jsonld_cache", _Contexts())
    provider = DataProvider.generate()
    actors = provider.possible_actors + [provider.one_actor]
    app = Quart("pasture")
    app.register_blueprint(BlueprintForActors(actors).blueprint)
    port = free_port()
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = config.errorlog = None
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(serve(app, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    for _ in range(100):  # until it listens
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        threading.Event().wait(0.05)
    yield actors, f"pasture.localhost:{port}"
    loop.call_soon_threadsafe(stop.set)
    thread.join(10)
    loop.close()


def test_pasture_verifies_a_members_actor(app, ours, ada, opt_in, pasture):
    from fediverse_pasture.server.verify_actor import ActorVerifier
    from fediverse_pasture.types import Message

    actors, domain = pasture
    handle = opt_in(ada)
    host = ours.split("://", 1)[1]
    message = Message()
    verifier = ActorVerifier(
        actor_list=actors,
        remote_uri=f"acct:{handle}@{host}",
        domain=domain,
        message=message,
        timeout=15,
    )
    result = asyncio.run(asyncio.wait_for(verifier.verify(), 120))
    assert verifier.remote_actor_uri == f"{ours}/ap/members/{ada.id}", message.response
    assert result == EXPECTED, message.response
