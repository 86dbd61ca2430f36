"""Federation between the instances of one deployment, without HTTP to itself (decision 58).

Two communities on one deployment talk ActivityPub to each other as to any server: the same
documents, the same signatures, the same policies on both sides (a community may limit or
suspend another one of the deployment like any server). Only the transport differs: when the
address of a fetch or a delivery is the origin of an instance this deployment serves, the
request is handed to the application in the same process (a WSGI call with the same method,
path, headers and body) instead of going out to the network and back.

* nothing depends on the deployment's own names resolving to itself, or on a private address
  being let through (``fetch.resolve`` refuses those in production, rightly);
* the receiving instance checks the signed request exactly as it checks another server's: the
  inbox's signature, digest, date, actor and policy checks all run;
* the call runs in an application context of its own, so neither its ``g`` (the instance) nor
  its database session is the caller's (``db.Database``: one session per application
  context). Deliveries run in the jobs worker,
  which holds no transaction while it delivers; fetches only read.

``FEDERATION_LOCAL_EXCHANGE`` (on by default) turns it off, for an operator who wants every
exchange to go through the network (a proxy that must see it, for instance).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, has_app_context
from werkzeug.test import EnvironBuilder, run_wsgi_app

from maillon.tenancy.registry import get_registry

#: Marks a request made by local_exchange (the access log and the metrics can tell them).
ENVIRON_KEY = "maillon.local_exchange"


def _origin_of(scheme: str, netloc: str) -> str:
    return f"{scheme.lower()}://{netloc.lower()}"


def local_origins() -> dict[str, str]:
    """Origin (``scheme://host[:port]``) → slug, for every instance this deployment serves:
    the canonical origin federation ids use (``urls.origin``), and each host of the instance
    over the deployment's scheme, without a port."""
    from maillon.federation.urls import origin_of_slug

    registry = get_registry()
    scheme = str(current_app.config["SERVER_NAME_SCHEME"])
    found: dict[str, str] = {}
    for slug, config in registry.configs.items():
        canonical = urlsplit(origin_of_slug(slug))
        found[_origin_of(canonical.scheme, canonical.netloc)] = slug
        for host in config.hosts:
            found.setdefault(_origin_of(scheme, host), slug)
    return found


def local_slug(url: str) -> str | None:
    """The slug of the instance of this deployment that ``url`` is on, if any (None outside
    an application, or with FEDERATION_LOCAL_EXCHANGE off)."""
    if not has_app_context() or not current_app.config.get("FEDERATION_LOCAL_EXCHANGE", True):
        return None
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return local_origins().get(_origin_of(parts.scheme, parts.netloc))


def community_name(url: str) -> str | None:
    """The name of the community of this deployment that ``url`` (an actor's id) belongs to:
    people from a sister community are shown as "from <its name>", not by host."""
    slug = local_slug(url)
    if slug is None:
        return None
    name = get_registry().configs[slug].get("name")
    return str(name) if name else slug


def server_label(url: str) -> str:
    """What "from …" says of someone whose actor id is ``url``: their community's name when it
    is an instance of this deployment, else their server's host."""
    return community_name(url) or urlsplit(url).netloc


def exchange(method: str, url: str, headers: dict[str, str], body: bytes | None,
             limit: int, answer_headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """The request handed to this process's application: its status and at most ``limit``
    bytes of its answer (``limit + 1`` read, so the caller can tell a larger one); its headers,
    lower-case, put in ``answer_headers`` when given (a redirect's Location).

    No time bound of its own: the answering views keep theirs (the search's time budget, the
    statement timeout), as they do for any server."""
    parts = urlsplit(url)
    builder = EnvironBuilder(
        method=method, base_url=f"{parts.scheme}://{parts.netloc}", path=parts.path or "/",
        query_string=parts.query, headers=list(headers.items()), data=body or b"",
        environ_base={"REMOTE_ADDR": "127.0.0.1", ENVIRON_KEY: True})
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    chunks: list[bytes] = []
    # A context of its own: Flask would otherwise run the request in the caller's application
    # context, sharing its ``g`` (the caller's instance) and its database session.
    with app.app_context():
        app_iter, status, answered = run_wsgi_app(app, environ, buffered=False)
        if answer_headers is not None:
            answer_headers.update((k.lower(), v) for k, v in answered.items())
        size = 0
        try:
            for chunk in app_iter:
                chunks.append(chunk)
                size += len(chunk)
                if size > limit:
                    break
        finally:
            close = getattr(app_iter, "close", None)
            if close is not None:
                close()
    return int(status.split(" ", 1)[0]), b"".join(chunks)
