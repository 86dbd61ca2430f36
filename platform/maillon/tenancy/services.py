"""Instance lookups and the sync of instances/ into the database."""

from __future__ import annotations

import copy
import time
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, make_transient_to_detached
from werkzeug.exceptions import NotFound

from maillon.tenancy.models import Instance
from maillon.tenancy.settings import (
    EDITABLE_KEYS,
    KEYS_BY_NAME,
    InstanceConfig,
    InstanceConfigError,
    validate_value,
)


def sync_instances(session: Session, configs: list[InstanceConfig]) -> list[Instance]:
    """Create or update one row per configured instance (rows are never deleted here)."""
    existing = {i.slug: i for i in session.scalars(select(Instance))}
    rows = []
    for config in configs:
        stored = {k: v for k, v in config.values.items()}
        row = existing.get(config.slug)
        if row is None:
            row = Instance(slug=config.slug, name=config["name"], config=stored, overrides={})
            session.add(row)
        else:
            row.name = config["name"]
            row.config = stored
        rows.append(row)
    session.commit()
    return rows


def find_instance_by_slug(session: Session, slug: str) -> Instance | None:
    return session.scalar(select(Instance).where(Instance.slug == slug))


class InstanceCache:
    """Instance rows kept per process for ``seconds``: resolving the tenant costs no query.

    Each request gets its own copy in its session (merged without SQL), so no object is
    shared between threads. Another process's edit of the editable level reaches this one
    within ``seconds``; this process's own edits (``update_instance_setting``) at once.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._rows: dict[str, tuple[float, dict[str, Any]]] = {}

    def find(self, session: Session, slug: str) -> Instance | None:
        cached = self._rows.get(slug)
        if cached is not None and time.monotonic() - cached[0] < self.seconds:
            # Shallow copies of the JSON columns: an in-place change stays in this request.
            row = Instance(**{key: dict(value) if isinstance(value, dict) else value
                              for key, value in cached[1].items()})
            make_transient_to_detached(row)
            return session.merge(row, load=False)
        instance = find_instance_by_slug(session, slug)
        if instance is not None and self.seconds > 0:
            values = {c.key: getattr(instance, c.key) for c in Instance.__mapper__.column_attrs}
            self._rows[slug] = (time.monotonic(), copy.deepcopy(values))
        return instance

    def forget(self, slug: str) -> None:
        self._rows.pop(slug, None)


INSTANCE_CACHE = "maillon.instance_cache"


def instance_cache(app: Flask) -> InstanceCache:
    cache: InstanceCache = app.extensions.setdefault(
        INSTANCE_CACHE, InstanceCache(float(app.config["INSTANCE_CACHE_SECONDS"])))
    return cache


def get_instance_by_slug(session: Session, slug: str) -> Instance:
    instance = find_instance_by_slug(session, slug)
    if instance is None:
        raise NotFound()
    return instance


def update_instance_setting(session: Session, instance: Instance, key: str, value: Any) -> None:
    """Set an editable-level override (validated as the file's value would be)."""
    if key not in EDITABLE_KEYS:
        raise InstanceConfigError(f"{key}: not editable")
    try:
        value = validate_value(KEYS_BY_NAME[key], value)
    except ValueError as exc:
        raise InstanceConfigError(f"{key}: {exc}") from None
    instance.overrides = {**instance.overrides, key: value}
    session.commit()
    forget_instance(session, instance)


def forget_instance(session: Session, instance: Instance) -> None:
    """After an edit of the instance's row: this process's cached copy is stale now."""
    cache: InstanceCache | None = session.info.get(INSTANCE_CACHE)
    if cache is not None:  # a session of an app (decision 28)
        cache.forget(instance.slug)
