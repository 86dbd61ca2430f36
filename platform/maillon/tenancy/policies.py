"""The policies editor: an instance's admins change the editable settings of its
``instance.toml`` in the database (the editable level), each change validated and audited.

The file stays the default: a key edited here wins over it until an admin resets it, and
then the file's value applies again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from maillon.errors import ValidationFailed
from maillon.members.models import Member
from maillon.moderation.services import access_staff, record_audit
from maillon.tenancy.models import Instance
from maillon.tenancy.services import forget_instance
from maillon.tenancy.settings import EDITABLE_KEYS, HOST_RE, KEYS_BY_NAME, InstanceKey

MAX_TEXT = 200
MAX_DOMAINS = 50


@dataclass(frozen=True)
class Policy:
    key: str
    value: Any  # in force
    file_value: Any  # instance.toml's (or the declared default)
    edited: bool
    spec: InstanceKey

    @property
    def kind(self) -> str:
        """``bool``, ``int``, ``float``, ``list`` (of domains) or ``str``."""
        spec = self.spec
        return ("list" if spec.type is list else "bool" if spec.type is bool
                else "int" if spec.type is int else "float" if spec.type is float else "str")

    def as_dict(self) -> dict[str, Any]:
        spec = self.spec
        return {"key": self.key, "value": self.value, "file_value": self.file_value,
                "edited": self.edited, "type": self.kind,
                "choices": list(spec.choices) if spec.choices else None,
                "minimum": spec.minimum, "maximum": spec.maximum}


def list_policies(session: Session, instance: Instance, admin: Member | None) -> list[Policy]:
    """Every editable setting with its value in force and the file's (admins only)."""
    access_staff(instance, admin, admin=True)
    return [Policy(key, instance.setting(key), instance.config[key], key in instance.overrides,
                   KEYS_BY_NAME[key]) for key in EDITABLE_KEYS]


def _number(spec: InstanceKey, value: Any) -> int | float:
    """A finite number from form text ("0,7" too) or JSON; a whole one for whole keys."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError
    number = float(value.strip().replace(",", ".") if isinstance(value, str) else value)
    if not math.isfinite(number):  # NaN and infinities, which JSON lets through
        raise ValueError
    if spec.type is int:
        if number != int(number):
            raise ValueError
        return int(number)
    return number


def check_policy(key: str, value: Any) -> Any:
    """``value`` as the setting stores it (form text accepted), or ValueError with a message
    for the admin."""
    spec = KEYS_BY_NAME[key]
    if spec.type is bool:
        if isinstance(value, bool):
            return value
        if value in ("1", "true", "on", "yes"):
            return True
        if value in ("", "0", "false", "off", "no", None):
            return False
        raise ValueError(_("Choose yes or no."))
    if spec.type in (int, float):
        try:
            number = _number(spec, value)
        except (ValueError, TypeError):
            raise ValueError(_("Give a whole number.") if spec.type is int
                             else _("Give a number.")) from None
        if (spec.minimum is not None and number < spec.minimum) or (
                spec.maximum is not None and number > spec.maximum):
            raise ValueError(_("Give a number from %(minimum)s to %(maximum)s.",
                               minimum=spec.minimum, maximum=spec.maximum))
        return number
    if spec.type is list:
        items = value.replace(",", "\n").split() if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise ValueError(_("Give a list of domains."))
        domains = list(dict.fromkeys(i.strip().lower().lstrip("@") for i in items if i.strip()))
        bad = [d for d in domains if not HOST_RE.match(d) or "." not in d or len(d) > 253]
        if bad:
            raise ValueError(_("Not a domain: %(domains)s.", domains=", ".join(bad[:3])))
        if len(domains) > MAX_DOMAINS:
            raise ValueError(_("At most %(num)d domains.", num=MAX_DOMAINS))
        return domains
    if not isinstance(value, str):
        raise ValueError(_("Give a text."))
    value = " ".join(value.split())
    if spec.choices is not None and value not in spec.choices:
        raise ValueError(_("Choose one of the options."))
    if len(value) > MAX_TEXT:
        raise ValueError(_("At most %(num)d characters.", num=MAX_TEXT))
    return value


def change_policies(session: Session, instance: Instance, admin: Member | None,
                    changes: Mapping[str, Any], *, reset: Iterable[str] = (),
                    ip: str = "") -> list[str]:
    """Apply ``changes`` (key → value) and ``reset`` (keys back to the file's value) at once,
    or nothing: ValidationFailed names every bad key. Returns the keys whose value in force
    changed, each audited (``policy_changed``, with the old and new values)."""
    access_staff(instance, admin, admin=True)
    reset = list(dict.fromkeys(reset))
    fields: dict[str, str] = {}
    checked: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in EDITABLE_KEYS:
            fields[key] = _("This setting cannot be changed here.")
            continue
        try:
            checked[key] = check_policy(key, value)
        except ValueError as exc:
            fields[key] = str(exc)
    for key in reset:
        if key not in EDITABLE_KEYS:
            fields[key] = _("This setting cannot be changed here.")
        elif key in checked:
            fields[key] = _("Change a setting or reset it, not both.")
    if fields:
        raise ValidationFailed(fields)
    overrides = dict(instance.overrides)
    changed = []
    for key in EDITABLE_KEYS:
        before = instance.setting(key)
        if key in reset:
            overrides.pop(key, None)
            after = instance.config[key]
        elif key in checked and checked[key] != before:
            overrides[key] = after = checked[key]
        else:
            # Unchanged (the page sends every field): not pinned, so that a later edit of
            # instance.toml still applies to a setting nobody changed here.
            continue
        if after != before:
            changed.append(key)
            record_audit(session, instance, admin, "policy_changed", subject_type="policy",
                         reason=key, ip=ip, key=key, old=before, new=after,
                         reset=key in reset)
    if overrides != instance.overrides:
        instance.overrides = overrides
    session.commit()
    forget_instance(session, instance)
    return changed
