"""What the app knows about its instances: configs, themes, hosts, Jinja envs.

Built from the files at start, then kept in step with the instance rows (``refresh``): the
operator's page creates instances and moves them between hosts and themes in the database,
admins change their colours and logo (``appearance.py``), and every process picks that up
within ``INSTANCE_REFRESH_SECONDS``.
"""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from jinja2 import Environment
from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.tenancy.models import Instance
from maillon.tenancy.placement import PlacedRow, effective_configs
from maillon.tenancy.settings import InstanceConfig, load_instance_configs
from maillon.tenancy.theming import (
    OPTION_NAME_RE,
    OPTION_VALUE_RE,
    Theme,
    build_instance_environment,
    instance_static_dirs,
    load_themes,
    theme_options,
)

REGISTRY = "maillon.instances"


class InstanceRegistry:
    def __init__(self, instances_dir: Path, themes_dir: Path,
                 refresh_seconds: float = 5.0) -> None:
        self.themes: dict[str, Theme] = load_themes(themes_dir)
        files = load_instance_configs(instances_dir, set(self.themes))
        self.file_configs: dict[str, InstanceConfig] = {c.slug: c for c in files}
        self.refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._envs: dict[str, Environment] = {}
        self._rows_seen: tuple[Any, ...] | None = None
        self._checked_at = float("-inf")
        self._install(dict(self.file_configs), {})

    def _install(self, configs: dict[str, InstanceConfig],
                 edited: dict[str, dict[str, str]]) -> None:
        # Each attribute is replaced whole: a reader in another thread sees the old maps or
        # the new ones, never a half-filled one.
        old = getattr(self, "configs", {})
        self.hosts: dict[str, str] = {h: c.slug for c in configs.values() for h in c.hosts}
        self.base: dict[str, dict[str, str]] = {
            slug: theme_options(self.themes, c) for slug, c in configs.items()}
        self.options: dict[str, dict[str, str]] = {
            slug: {**base, **edited.get(slug, {})} for slug, base in self.base.items()}
        # In the stylesheet's address: a browser fetches the new one as soon as it changes.
        self.versions: dict[str, str] = {
            slug: hashlib.sha256(repr(sorted(o.items())).encode()).hexdigest()[:12]
            for slug, o in self.options.items()}
        self.static_dirs: dict[str, list[Path]] = {
            slug: instance_static_dirs(self.themes, c) for slug, c in configs.items()}
        self.configs: dict[str, InstanceConfig] = configs
        # A theme changed: that instance's templates come from another loader chain now.
        self._envs = {slug: env for slug, env in self._envs.items()
                      if slug in configs and old.get(slug) == configs[slug]}

    def refresh(self, session: Session, *, force: bool = False) -> bool:
        """Read the instance rows again (at most every ``refresh_seconds`` unless ``force``)
        and apply what changed; whether anything did."""
        now = time.monotonic()
        if not force and now - self._checked_at < self.refresh_seconds:
            return False
        self._checked_at = now
        rows = session.execute(select(
            Instance.slug, Instance.source, Instance.config, Instance.placement,
            Instance.overrides, Instance.updated_at)).all()
        seen = tuple(sorted((r.slug, r.source, r.updated_at) for r in rows))
        if seen == self._rows_seen:
            return False
        placed = [PlacedRow(r.slug, r.source, r.config or {}, r.placement or {}) for r in rows]
        configs = effective_configs(self.file_configs, placed, set(self.themes))
        edited = {r.slug: edited_theme_options(r.overrides) for r in rows}
        with self._lock:
            self._install(configs, edited)
            self._rows_seen = seen
        return True

    def environment(self, app: Flask, slug: str) -> Environment:
        env = self._envs.get(slug)
        if env is None:
            with self._lock:
                env = self._envs.get(slug)
                if env is None:
                    env = build_instance_environment(app, self.themes, self.configs[slug])
                    self._envs[slug] = env
        return env

    def base_options(self, slug: str) -> dict[str, str]:
        """The theme's options with the file's, without what the admins edited."""
        return self.base[slug]

    def theme_info(self, slug: str) -> dict[str, Any]:
        config = self.configs[slug]
        return {"name": config["theme"], "options": self.options[slug],
                "version": self.versions[slug]}


def edited_theme_options(overrides: dict[str, Any] | None) -> dict[str, str]:
    """The options the admins set (decision 55), kept only where still plain CSS values."""
    edited = (overrides or {}).get("theme_options")
    if not isinstance(edited, dict):
        return {}
    return {k: v for k, v in edited.items() if isinstance(k, str) and isinstance(v, str)
            and OPTION_NAME_RE.match(k) and OPTION_VALUE_RE.match(v) and ";" not in v
            and "</" not in v}


def get_registry(app: Flask | None = None) -> InstanceRegistry:
    registry: InstanceRegistry = (app or current_app).extensions[REGISTRY]
    return registry


def refresh_after_change(session: Session) -> None:
    """After an operator's change is committed: this process serves it at once (the others
    within their refresh period)."""
    registry: InstanceRegistry | None = session.info.get(REGISTRY)
    if registry is not None:
        registry.refresh(session, force=True)
