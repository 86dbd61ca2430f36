"""The instance level of configuration: ``instances/<slug>/instance.toml``, declared once.

Each key is declared with its type, default, allowed values and description; a file with an
unknown key, a wrong type or a value out of range stops the start with a message naming the
file, the key and the problem. Keys marked ``editable`` may be overridden by an admin in the
database (the editable level); the file gives their initial value.
"""

from __future__ import annotations

import builtins
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")
HOST_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")
LOCALES = ("en", "fr")


class InstanceConfigError(Exception):
    """A bad instance.toml: the message names the file, the key and the problem."""


@dataclass(frozen=True)
class InstanceKey:
    key: str
    type: builtins.type | tuple[builtins.type, ...]
    default: Any
    description: str
    choices: tuple[Any, ...] | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    editable: bool = False
    item_type: builtins.type | None = None


KEYS: tuple[InstanceKey, ...] = (
    InstanceKey("name", str, None, "The community's name, shown in the header and e-mails."),
    InstanceKey("tagline", str, "", "A short line under the name on the home page.",
                editable=True),
    InstanceKey("hosts", list, [], "Domains serving this instance, besides <slug>.localhost.",
                item_type=str),
    InstanceKey("theme", str, "classic", "Theme folder under themes/."),
    InstanceKey("locale", str, "en", "Default language.", choices=LOCALES, editable=True),
    InstanceKey("mail_from", str, "", "Sender address of this instance's e-mails "
                "(default: the process MAIL_FROM)."),
    InstanceKey("theme_options", dict, {}, "Overrides of the theme's options (colours, fonts, "
                "logo), exposed as CSS custom properties."),
    InstanceKey("registration.policy", str, "open", "Who may join: anyone (open), people "
                "holding an invitation (invite), or anyone after an admin approves (approval).",
                choices=("open", "invite", "approval"), editable=True),
    InstanceKey("registration.email_domains", list, [], "If not empty, only addresses at these "
                "domains may register.", item_type=str, editable=True),
    InstanceKey("registration.verify_email", bool, True, "New members confirm their address "
                "before they can log in.", editable=True),
    InstanceKey("registration.reveal_existing_email", bool, False, "Say 'e-mail taken' at "
                "registration (otherwise the answer does not reveal whether an address is "
                "registered)."),
    InstanceKey("introductions.chain_visibility", str, "full", "What the requester sees of a "
                "chain: the full chain, the first link only, or step by step.",
                choices=("full", "first_link", "stepwise"), editable=True),
    InstanceKey("introductions.max_hops", int, 6, "Longest chain, in links.", minimum=1,
                maximum=6, editable=True),
    InstanceKey("introductions.hop_deadline_days", int, 7, "Days each relay has to act.",
                minimum=1, maximum=60, editable=True),
    InstanceKey("introductions.relay_factor", float, 0.8, "Prior chance that a relay forwards "
                "at all (until learned from the instance's own statistics).", minimum=0.05,
                maximum=1.0, editable=True),
    InstanceKey("introductions.retention_days", int, 365, "Days after a request closes before "
                "its private texts (message, notes, vouches, reasons, advice, answers) are "
                "erased, keeping what the statistics count; 0 keeps them forever.", minimum=0,
                maximum=36500, editable=True),
    InstanceKey("introductions.review_first_requests", int, 0, "How many of a member's "
                "first introduction requests wait for a moderator's approval before they "
                "travel; 0 holds none.", minimum=0, maximum=20, editable=True),
    InstanceKey("organisations.min_group_size", int, 5, "Smallest number of people a row of "
                "an organisation's reach breakdown (by organisation, sector, location) may "
                "count; smaller groups are merged into \"other\".", minimum=2, maximum=100,
                editable=True),
    InstanceKey("quotas.pending_introductions", int, 5, "Requests a member may have in "
                "progress at once.", minimum=1, maximum=1000, editable=True),
    InstanceKey("quotas.pending_connection_requests", int, 100, "Unanswered connection "
                "requests a member may have sent.", minimum=1, maximum=10000, editable=True),
)
KEYS_BY_NAME = {k.key: k for k in KEYS}
EDITABLE_KEYS = tuple(k.key for k in KEYS if k.editable)
REQUIRED = ("name",)


@dataclass(frozen=True)
class InstanceConfig:
    slug: str
    values: Mapping[str, Any]
    path: Path | None = None
    templates_dir: Path | None = None
    static_dir: Path | None = None
    hosts: tuple[str, ...] = field(default=())

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in data.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict) and key != "theme_options":
            flat.update(_flatten(value, key + "."))
        else:
            flat[key] = value
    return flat


def validate_value(spec: InstanceKey, value: Any) -> Any:
    """Check one value against its declaration; raise ValueError with a human reason."""
    types = spec.type if isinstance(spec.type, tuple) else (spec.type,)
    if spec.type is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if isinstance(value, bool) and bool not in types:
        raise ValueError(f"must be {spec.type.__name__}, not a boolean")  # type: ignore[union-attr]
    if not isinstance(value, types):
        names = " or ".join(t.__name__ for t in types)
        raise ValueError(f"must be {names} (got {type(value).__name__} {value!r})")
    checked: Any = value  # of its declared type from here on
    if spec.item_type is not None and not all(isinstance(v, spec.item_type) for v in checked):
        raise ValueError(f"every item must be {spec.item_type.__name__}")
    if spec.choices is not None and value not in spec.choices:
        raise ValueError(f"must be one of {', '.join(map(str, spec.choices))} (got {value!r})")
    if spec.minimum is not None and checked < spec.minimum:
        raise ValueError(f"must be at least {spec.minimum} (got {value!r})")
    if spec.maximum is not None and checked > spec.maximum:
        raise ValueError(f"must be at most {spec.maximum} (got {value!r})")
    return value


def parse_instance_config(slug: str, raw: Mapping[str, Any], path: Path | None = None,
                          known_themes: set[str] | None = None) -> InstanceConfig:
    where = str(path) if path else slug
    if not SLUG_RE.match(slug):
        raise InstanceConfigError(f"{where}: folder name {slug!r} is not a valid slug "
                                  "(lower-case letters, digits and dashes, 3 to 40 characters)")
    flat = _flatten(raw)
    values: dict[str, Any] = {}
    for key, value in flat.items():
        spec = KEYS_BY_NAME.get(key)
        if spec is None:
            raise InstanceConfigError(f"{where}: unknown key {key!r}")
        try:
            values[key] = validate_value(spec, value)
        except ValueError as exc:
            raise InstanceConfigError(f"{where}: {key}: {exc}") from None
    for key in REQUIRED:
        if key not in values:
            raise InstanceConfigError(f"{where}: {key}: missing (required)")
    for spec in KEYS:
        values.setdefault(spec.key, spec.default)
    hosts = [f"{slug}.localhost"]
    for host in values["hosts"]:
        host = host.strip().lower()
        if not HOST_RE.match(host):
            raise InstanceConfigError(f"{where}: hosts: {host!r} is not a host name")
        hosts.append(host)
    values["registration.email_domains"] = [
        d.strip().lower().lstrip("@") for d in values["registration.email_domains"]
    ]
    if known_themes is not None and values["theme"] not in known_themes:
        raise InstanceConfigError(f"{where}: theme: no theme named {values['theme']!r} "
                                  f"(known: {', '.join(sorted(known_themes))})")
    folder = path.parent if path else None
    return InstanceConfig(
        slug=slug,
        values=values,
        path=path,
        templates_dir=folder / "templates" if folder and (folder / "templates").is_dir() else None,
        static_dir=folder / "static" if folder and (folder / "static").is_dir() else None,
        hosts=tuple(dict.fromkeys(hosts)),
    )


def load_instance_configs(directory: Path, known_themes: set[str] | None = None
                          ) -> list[InstanceConfig]:
    """Every ``<slug>/instance.toml`` under ``directory``; a bad one raises InstanceConfigError."""
    configs = []
    seen_hosts: dict[str, str] = {}
    for path in sorted(directory.glob("*/instance.toml")):
        slug = path.parent.name
        try:
            with path.open("rb") as fh:
                raw = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise InstanceConfigError(f"{path}: not valid TOML: {exc}") from None
        config = parse_instance_config(slug, raw, path, known_themes)
        for host in config.hosts:
            if host in seen_hosts:
                raise InstanceConfigError(
                    f"{path}: hosts: {host!r} is already served by {seen_hosts[host]!r}")
            seen_hosts[host] = slug
        configs.append(config)
    return configs
