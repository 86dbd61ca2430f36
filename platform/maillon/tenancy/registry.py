"""What the app knows about its instances at start: configs, themes, hosts, Jinja envs."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from jinja2 import Environment

from maillon.tenancy.settings import InstanceConfig, load_instance_configs
from maillon.tenancy.theming import (
    Theme,
    build_instance_environment,
    instance_static_dirs,
    load_themes,
    theme_options,
)


class InstanceRegistry:
    def __init__(self, instances_dir: Path, themes_dir: Path) -> None:
        self.themes: dict[str, Theme] = load_themes(themes_dir)
        configs = load_instance_configs(instances_dir, set(self.themes))
        self.configs: dict[str, InstanceConfig] = {c.slug: c for c in configs}
        self.hosts: dict[str, str] = {h: c.slug for c in configs for h in c.hosts}
        self.options: dict[str, dict[str, str]] = {
            c.slug: theme_options(self.themes, c) for c in configs
        }
        self.static_dirs: dict[str, list[Path]] = {
            c.slug: instance_static_dirs(self.themes, c) for c in configs
        }
        self._envs: dict[str, Environment] = {}
        self._lock = threading.Lock()

    def environment(self, app: Flask, slug: str) -> Environment:
        env = self._envs.get(slug)
        if env is None:
            with self._lock:
                env = self._envs.get(slug)
                if env is None:
                    env = build_instance_environment(app, self.themes, self.configs[slug])
                    self._envs[slug] = env
        return env

    def theme_info(self, slug: str) -> dict[str, Any]:
        config = self.configs[slug]
        return {"name": config["theme"], "options": self.options[slug]}


def get_registry(app: Flask | None = None) -> InstanceRegistry:
    registry: InstanceRegistry = (app or current_app).extensions["maillon.instances"]
    return registry
