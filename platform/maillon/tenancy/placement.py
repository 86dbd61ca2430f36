"""Where each instance lives in the deployment: its configuration as the files give it, with
the operator's changes (hosts, theme) over them, and the instances the operator created,
which have no file.

Pure functions over rows and parsed files: the registry (``registry.py``) calls them when the
instance rows change, in every process, so a host the operator adds is served everywhere
within ``INSTANCE_REFRESH_SECONDS``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from maillon.tenancy.settings import (
    HOST_RE,
    InstanceConfig,
    InstanceConfigError,
    parse_instance_config,
)

log = logging.getLogger(__name__)


class PlacedRow(NamedTuple):
    """What the registry reads of an instance row."""

    slug: str
    source: str
    config: Mapping[str, Any]
    placement: Mapping[str, Any]


def clean_hosts(hosts: Iterable[str]) -> list[str]:
    """Lower-cased, stripped, duplicates dropped; ValueError names the first bad one."""
    cleaned: list[str] = []
    for host in hosts:
        host = host.strip().lower().rstrip(".")
        if not host:
            continue
        if not HOST_RE.match(host) or len(host) > 253:
            raise ValueError(host)
        if host not in cleaned:
            cleaned.append(host)
    return cleaned


def placed_config(row: PlacedRow, file_config: InstanceConfig | None,
                  known_themes: set[str]) -> InstanceConfig | None:
    """The effective instance level of one row: the file's (or, for an instance the operator
    created, the row's) values with the operator's placement over them; None when a file
    instance lost its file (it is no longer served, as before placements existed)."""
    if file_config is not None:  # a file always wins over what an operator row held
        if not row.placement:
            return file_config
        values = {**file_config.values, **row.placement}
        parsed = parse_instance_config(row.slug, values, known_themes=known_themes)
        return dataclasses.replace(file_config, values=parsed.values, hosts=parsed.hosts)
    if row.source == "file":
        return None
    return parse_instance_config(row.slug, {**row.config, **row.placement},
                                 known_themes=known_themes)


def effective_configs(file_configs: Mapping[str, InstanceConfig], rows: Iterable[PlacedRow],
                      known_themes: set[str]) -> dict[str, InstanceConfig]:
    """Every served instance's configuration. The files' instances come first, so a row that
    no longer parses (a theme removed since) or claims a host another instance serves is left
    out and logged: one bad row never takes the others down."""
    configs: dict[str, InstanceConfig] = {}
    by_slug = {row.slug: row for row in rows}
    # File instances without a row yet (before `instances sync`) keep their file's config.
    ordered = [by_slug.get(slug) or PlacedRow(slug, "file", {}, {}) for slug in file_configs]
    ordered += [row for slug, row in sorted(by_slug.items()) if slug not in file_configs]
    served: dict[str, str] = {}
    for row in ordered:
        try:
            config = placed_config(row, file_configs.get(row.slug), known_themes)
        except InstanceConfigError as exc:
            log.error("instance %s not served: %s", row.slug, exc)
            continue
        if config is None:
            continue
        clash = next((h for h in config.hosts if h in served), None)
        if clash is not None:
            log.error("instance %s not served: host %s is already served by %s",
                      row.slug, clash, served[clash])
            continue
        served.update(dict.fromkeys(config.hosts, row.slug))
        configs[row.slug] = config
    return configs
