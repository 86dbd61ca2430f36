"""The instance's look as its admins edit it: colours and an uploaded logo (decision 55).

They are options of the theme (``theming.py``), stored in the editable level
(``instances.overrides["theme_options"]``) over what the theme and ``instance.toml`` give: the
file stays the default, and an option reset here goes back to it. Each change is validated
(a colour as ``#rrggbb``, and the text colours readable on their backgrounds: WCAG's 4.5:1)
and audited as ``policy_changed`` with the key ``theme_options.<name>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from maillon.db import begin_write
from maillon.errors import ValidationFailed
from maillon.members.models import Member
from maillon.moderation.services import access_staff, record_audit
from maillon.tenancy import logos
from maillon.tenancy.models import Instance
from maillon.tenancy.registry import (
    InstanceRegistry,
    edited_theme_options,
    refresh_after_change,
)
from maillon.tenancy.services import forget_instance

OVERRIDES_KEY = "theme_options"
#: The colours an admin may change, in the page's order.
COLOURS = ("color-primary", "color-primary-contrast", "color-accent", "color-bg",
           "color-surface", "color-text", "color-muted", "color-border", "header-bg",
           "header-text")
EDITABLE_OPTIONS = (*COLOURS, "logo")
#: (text, background): pairs that must stay readable (WCAG 2.1 AA for body text).
READABLE = (("color-text", "color-bg"), ("color-text", "color-surface"),
            ("color-muted", "color-surface"), ("color-primary", "color-surface"),
            ("color-primary-contrast", "color-primary"), ("header-text", "header-bg"))
MIN_CONTRAST = 4.5
HEX = re.compile(r"^#(?:[0-9a-f]{3}|[0-9a-f]{6})$")


@dataclass(frozen=True)
class Option:
    name: str
    value: str | None  # in force
    theme_value: str | None  # the theme's and the file's, without the admins' edits
    edited: bool

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "theme_value": self.theme_value,
                "edited": self.edited}


def edited_options(instance: Instance) -> dict[str, str]:
    return edited_theme_options(instance.overrides)


def list_options(session: Session, instance: Instance, admin: Member | None,
                 registry: InstanceRegistry) -> list[Option]:
    """Every editable option with its value in force and the theme's (admins only)."""
    access_staff(instance, admin, admin=True)
    base = registry.base_options(instance.slug)
    edited = edited_options(instance)
    return [Option(name, edited.get(name, base.get(name)), base.get(name), name in edited)
            for name in EDITABLE_OPTIONS]


def check_colour(value: Any) -> str:
    """``#rrggbb`` (lower case) from ``#RGB`` or ``#RRGGBB``, or ValueError."""
    if not isinstance(value, str) or not HEX.match(value.strip().lower()):
        raise ValueError(_("Give a colour as #rrggbb."))
    value = value.strip().lower()
    if len(value) == 4:
        value = "#" + "".join(c * 2 for c in value[1:])
    return value


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _unreadable(options: Mapping[str, str], changed: Iterable[str]) -> dict[str, str]:
    """Messages for the changed colours that leave a text unreadable on its background."""
    changed = set(changed)
    fields: dict[str, str] = {}
    for text, background in READABLE:
        if not changed & {text, background}:
            continue
        a, b = options.get(text, ""), options.get(background, "")
        if not (HEX.match(a) and HEX.match(b)) or len(a) != 7 or len(b) != 7:
            continue  # a gradient or a named colour from the theme file: not checked here
        ratio = contrast(a, b)
        if ratio < MIN_CONTRAST:
            field = text if text in changed else background
            fields.setdefault(field, _(
                "%(text)s on %(background)s is hard to read: contrast %(ratio).1f to 1, at "
                "least %(minimum).1f to 1 is needed.", text=a, background=b, ratio=ratio,
                minimum=MIN_CONTRAST))
    return fields


def change_options(session: Session, instance: Instance, admin: Member | None,
                   registry: InstanceRegistry, changes: Mapping[str, Any], *,
                   reset: Iterable[str] = (), ip: str = "") -> list[str]:
    """Set ``changes`` (option → colour) and ``reset`` (options back to the theme's) at once,
    or nothing: ValidationFailed names every bad option. Returns the options whose value in
    force changed, each audited."""
    access_staff(instance, admin, admin=True)
    reset = list(dict.fromkeys(reset))
    fields: dict[str, str] = {}
    checked: dict[str, str] = {}
    for name, value in changes.items():
        if name not in COLOURS:
            fields[name] = _("This setting cannot be changed here.")
            continue
        try:
            checked[name] = check_colour(value)
        except ValueError as exc:
            fields[name] = str(exc)
    for name in reset:
        if name not in EDITABLE_OPTIONS:
            fields[name] = _("This setting cannot be changed here.")
        elif name in checked:
            fields[name] = _("Change a setting or reset it, not both.")
    if fields:
        raise ValidationFailed(fields)
    begin_write(session)
    base = registry.base_options(instance.slug)
    edited = edited_options(instance)
    before = {**base, **edited}
    for name in reset:
        edited.pop(name, None)
    edited.update(checked)
    after = {**base, **edited}
    changed = [n for n in EDITABLE_OPTIONS if before.get(n) != after.get(n)]
    fields = _unreadable(after, changed)
    if fields:
        raise ValidationFailed(fields)
    _save(session, instance, admin, edited, {n: (before.get(n), after.get(n)) for n in changed},
          reset=set(reset), ip=ip)
    return changed


def _save(session: Session, instance: Instance, admin: Member | None, edited: dict[str, str],
          changes: Mapping[str, tuple[Any, Any]], *, reset: set[str], ip: str) -> None:
    for name, (old, new) in changes.items():
        record_audit(session, instance, admin, "policy_changed", subject_type="policy",
                     reason=f"{OVERRIDES_KEY}.{name}", ip=ip, key=f"{OVERRIDES_KEY}.{name}",
                     old=old, new=new, reset=name in reset)
    overrides = {k: v for k, v in instance.overrides.items() if k != OVERRIDES_KEY}
    if edited:
        overrides[OVERRIDES_KEY] = edited
    if overrides != instance.overrides:
        instance.overrides = overrides
    session.commit()
    forget_instance(session, instance)
    refresh_after_change(session)


def set_logo(session: Session, instance: Instance, admin: Member | None,
             registry: InstanceRegistry, png: bytes, var_dir: str | Path, *,
             ip: str = "") -> str:
    """Store a prepared logo (``logos.prepare_logo``, called before: decoding must not hold
    the write lock) as the instance's; returns its file name."""
    access_staff(instance, admin, admin=True)
    name = logos.write_logo(var_dir, instance, png)
    begin_write(session)
    try:
        session.refresh(instance)
        edited = edited_options(instance)
        old = edited.get("logo", registry.base_options(instance.slug).get("logo"))
        edited["logo"] = name
        _save(session, instance, admin, edited, {"logo": (old, name)}, reset=set(), ip=ip)
    except BaseException:
        session.rollback()
        (logos.logo_dir(var_dir, instance) / name).unlink(missing_ok=True)
        raise
    logos.prune_logos(var_dir, instance, keep={name})
    return name
