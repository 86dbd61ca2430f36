"""The public addresses of an instance's federation documents (actors, inboxes, keys).

Every id names the instance's canonical origin, never the Host of the request that asked: an
actor's id must not change with the name it was fetched under. The origin is the first host of
``instance.toml`` over ``SERVER_NAME_SCHEME``, or ``http://<slug>.localhost:SERVER_PORT`` when
LOCAL_LINKS is on (``make run``, the tests' loopback peers). The handle domain is the origin's
host (with its port when it has one), so Mastodon's reverse WebFinger check finds the actor
again on the host that serves it.
"""

from __future__ import annotations

from flask import current_app

from maillon.tenancy.models import Instance
from maillon.tenancy.registry import get_registry


def origin(instance: Instance) -> str:
    return origin_of_slug(instance.slug)


def origin_of_slug(slug: str) -> str:
    config = get_registry().configs[slug]
    if current_app.config["LOCAL_LINKS"] or len(config.hosts) == 1:
        port = int(current_app.config["SERVER_PORT"])
        return f"http://{config.hosts[0]}" + ("" if port == 80 else f":{port}")
    return f"{current_app.config['SERVER_NAME_SCHEME']}://{config.hosts[1]}"


def handle_domain(instance: Instance) -> str:
    return origin(instance).split("://", 1)[1]


def instance_actor(instance: Instance) -> str:
    return f"{origin(instance)}/actor"


def member_actor(instance: Instance, member_id: int) -> str:
    return f"{origin(instance)}/ap/members/{member_id}"


def shared_inbox(instance: Instance) -> str:
    return f"{origin(instance)}/inbox"


def key_id(actor: str, generation: int) -> str:
    return f"{actor}#key-{generation}"
