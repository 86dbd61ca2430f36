"""Instance lookups and the sync of instances/ into the database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
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
