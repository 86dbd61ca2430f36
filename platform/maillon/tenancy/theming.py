"""Themes: discovery, inheritance, options, and one Jinja environment per instance.

Each instance renders through its own overlay of the app's Jinja environment, whose loader
chain is instance templates → theme → theme ancestors → engine. A single loader switching on
the current instance would be a bug: Jinja caches compiled templates by name, so one tenant
would get another's pages. Prefixed names reach a layer explicitly: ``@engine/x.html``,
``@theme/x.html`` (the instance's theme chain, without the instance's own overrides) and
``@<theme name>/x.html`` (that theme and its ancestors), so an override extends its parent by
name and changes only the blocks it needs.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import BaseLoader, ChoiceLoader, Environment, FileSystemLoader, PrefixLoader

from maillon.tenancy.settings import InstanceConfig

OPTION_NAME_RE = re.compile(r"^[a-z][a-z0-9-]*$")
# Values end up inside a <style> block: keep them to what CSS values need.
OPTION_VALUE_RE = re.compile(r"^[#(),.%\w\s'\"/:+-]*$")


class ThemeError(Exception):
    """A bad theme.toml or an inheritance cycle; the message names the theme and the problem."""


@dataclass(frozen=True)
class Theme:
    name: str
    path: Path
    inherit: str | None
    label: str
    options: Mapping[str, str] = field(default_factory=dict)

    @property
    def templates_dir(self) -> Path:
        return self.path / "templates"

    @property
    def static_dir(self) -> Path:
        return self.path / "static"


def _check_options(where: str, options: Mapping[str, Any]) -> dict[str, str]:
    checked = {}
    for key, value in options.items():
        if not OPTION_NAME_RE.match(key):
            raise ThemeError(f"{where}: option {key!r}: use lower-case words and dashes")
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ThemeError(f"{where}: option {key!r}: must be a string or a number")
        text = str(value)
        if not OPTION_VALUE_RE.match(text) or "</" in text or ";" in text:
            raise ThemeError(f"{where}: option {key!r}: {text!r} is not a plain CSS value")
        checked[key] = text
    return checked


def load_themes(directory: Path) -> dict[str, Theme]:
    themes: dict[str, Theme] = {}
    for path in sorted(directory.glob("*/theme.toml")):
        try:
            with path.open("rb") as fh:
                raw = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ThemeError(f"{path}: not valid TOML: {exc}") from None
        unknown = set(raw) - {"name", "inherit", "options", "description"}
        if unknown:
            raise ThemeError(f"{path}: unknown key {sorted(unknown)[0]!r}")
        inherit = raw.get("inherit")
        if inherit is not None and not isinstance(inherit, str):
            raise ThemeError(f"{path}: inherit: must be a theme name")
        themes[path.parent.name] = Theme(
            name=path.parent.name,
            path=path.parent,
            inherit=inherit,
            label=str(raw.get("name", path.parent.name)),
            options=_check_options(str(path), raw.get("options", {})),
        )
    for theme in themes.values():
        theme_chain(themes, theme.name)  # fail at start on a cycle or a missing parent
    return themes


def theme_chain(themes: Mapping[str, Theme], name: str) -> list[Theme]:
    """The theme and its ancestors, nearest first; detects cycles and missing parents."""
    chain: list[Theme] = []
    seen: set[str] = set()
    current: str | None = name
    while current is not None:
        if current in seen:
            cycle = " → ".join([t.name for t in chain] + [current])
            raise ThemeError(f"theme {name!r}: inheritance cycle {cycle}")
        if current not in themes:
            where = f"theme {chain[-1].name!r} inherits" if chain else "no theme named"
            raise ThemeError(f"{where} {current!r}, which does not exist")
        seen.add(current)
        chain.append(themes[current])
        current = themes[current].inherit
    return chain


def theme_options(themes: Mapping[str, Theme], config: InstanceConfig) -> dict[str, str]:
    """Options from the root theme down, then the instance's own theme_options."""
    options: dict[str, str] = {}
    for theme in reversed(theme_chain(themes, config["theme"])):
        options.update(theme.options)
    where = str(config.path or config.slug)
    options.update(_check_options(f"{where}: theme_options", config["theme_options"]))
    return options


def _dirs_loader(dirs: list[Path], tail: BaseLoader) -> ChoiceLoader:
    return ChoiceLoader([FileSystemLoader([str(d) for d in dirs if d.is_dir()]), tail])


def build_instance_environment(app: Flask, themes: Mapping[str, Theme],
                               config: InstanceConfig) -> Environment:
    engine = app.create_global_jinja_loader()
    chain = theme_chain(themes, config["theme"])
    theme_dirs = [t.templates_dir for t in chain]
    prefixes: dict[str, BaseLoader] = {
        "@engine": engine,
        "@theme": _dirs_loader(theme_dirs, engine),
    }
    for i, theme in enumerate(chain):
        prefixes[f"@{theme.name}"] = _dirs_loader(theme_dirs[i:], engine)
    own = [config.templates_dir] if config.templates_dir else []
    loader = ChoiceLoader([
        PrefixLoader(prefixes, delimiter="/"),
        _dirs_loader(own + theme_dirs, engine),
    ])
    env = app.jinja_env.overlay(loader=loader, cache_size=400)
    env.globals = app.jinja_env.globals  # shared: Flask and Babel register helpers there
    return env


def instance_static_dirs(themes: Mapping[str, Theme], config: InstanceConfig) -> list[Path]:
    dirs = [config.static_dir] if config.static_dir else []
    dirs += [t.static_dir for t in theme_chain(themes, config["theme"])]
    return [d for d in dirs if d.is_dir()]
