"""What the operator does to instances: create one (with its first admin), move it to other
hosts or another theme, disable and enable it, name its admins. Each change is audited in the
instance's own log (actor: the operator's address) and reaches every process through the
registry's refresh (``tenancy/registry.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from maillon.accounts.services import create_first_admin, find_member_by_email
from maillon.accounts.validation import normalise_email
from maillon.db import begin_write, settings
from maillon.errors import Conflict, ValidationFailed
from maillon.moderation.roles import change_role
from maillon.moderation.services import record_audit
from maillon.operators.models import Operator
from maillon.tenancy.models import ACTIVE, DISABLED, INSTANCE, Instance
from maillon.tenancy.placement import clean_hosts
from maillon.tenancy.registry import REGISTRY, InstanceRegistry, refresh_after_change
from maillon.tenancy.services import forget_instance
from maillon.tenancy.settings import LOCALES, SLUG_RE, parse_instance_config

MAX_NAME = 200
MAX_REASON = 1000
MAX_HOSTS = 10
# Slugs that would read as something else in a URL or a log.
RESERVED_SLUGS = frozenset({"api", "static", "operator", "admin", "www", "dev", "theme"})


@dataclass(frozen=True)
class NewInstance:
    slug: str
    name: str
    locale: str
    theme: str
    hosts: tuple[str, ...]
    admin_email: str
    admin_name: str


def _registry(session: Session) -> InstanceRegistry:
    registry: InstanceRegistry = session.info[REGISTRY]
    return registry


def _audit(session: Session, instance: Instance, operator: Operator, action: str, *,
           reason: str = "", ip: str = "", **data: Any) -> None:
    entry = record_audit(session, instance, None, action, subject_type="instance",
                         subject_id=instance.id, subject_name=instance.name, reason=reason,
                         ip=ip, **data)
    entry.actor_name = f"operator {operator.email}"[:120]


def _check_hosts(session: Session, hosts: list[str] | tuple[str, ...], slug: str,
                 problems: dict[str, str]) -> list[str]:
    try:
        cleaned = clean_hosts(hosts)
    except ValueError as exc:
        problems["hosts"] = _("%(host)s is not a host name.", host=str(exc))
        return []
    if len(cleaned) > MAX_HOSTS:
        problems["hosts"] = _("At most %(num)d hosts.", num=MAX_HOSTS)
        return []
    registry = _registry(session)
    operator_host = str(settings(session)["OPERATOR_HOST"]).strip().lower()
    for host in cleaned:
        owner = registry.hosts.get(host)
        if host == operator_host or host.endswith(".localhost") or (
                owner is not None and owner != slug):
            problems["hosts"] = _("%(host)s is already used.", host=host)
            break
    return cleaned


def _reason(reason: str, problems: dict[str, str], *, required: bool) -> str:
    reason = " ".join((reason or "").split())
    if required and not reason:
        problems["reason"] = _("Say why: the instance's admins will read it.")
    elif len(reason) > MAX_REASON:
        problems["reason"] = _("At most %(num)d characters.", num=MAX_REASON)
    return reason


def create_instance(session: Session, operator: Operator, data: dict[str, Any], *,
                    ip: str = "") -> Instance:
    """A new instance with its first admin (who gets a link to choose a password)."""
    problems: dict[str, str] = {}
    registry = _registry(session)
    slug = str(data.get("slug") or "").strip().lower()
    if not SLUG_RE.match(slug):
        problems["slug"] = _("Use 3 to 40 lower-case letters, digits and dashes, starting "
                             "with a letter.")
    elif slug in RESERVED_SLUGS or slug in registry.file_configs:
        problems["slug"] = _("This name is taken.")
    name = " ".join(str(data.get("name") or "").split())
    if not name or len(name) > MAX_NAME:
        problems["name"] = _("Give a name of at most %(num)d characters.", num=MAX_NAME)
    locale = str(data.get("locale") or "")
    if locale not in LOCALES:
        problems["locale"] = _("Choose a language.")
    theme = str(data.get("theme") or "")
    if theme not in registry.themes:
        problems["theme"] = _("Choose a theme.")
    hosts = _check_hosts(session, list(data.get("hosts") or []), slug, problems)
    admin_email = ""
    try:
        admin_email = normalise_email(str(data.get("admin_email") or ""))
    except ValidationFailed as exc:
        problems["admin_email"] = exc.fields["email"]
    admin_name = " ".join(str(data.get("admin_name") or "").split())
    if not admin_name or len(admin_name) > 120:
        problems["admin_name"] = _("Give the admin's name (at most 120 characters).")
    if problems:
        raise ValidationFailed(problems)
    begin_write(session)
    if session.scalar(select(Instance.id).where(Instance.slug == slug)) is not None:
        raise ValidationFailed({"slug": _("This name is taken.")})
    # The instance level in full (every key with its default), as a file's would be synced.
    config = parse_instance_config(slug, {"name": name, "locale": locale, "hosts": hosts,
                                          "theme": theme}, known_themes=set(registry.themes))
    instance = Instance(slug=slug, name=name, source="operator", config=dict(config.values),
                        overrides={}, placement={})
    session.add(instance)
    try:
        session.flush()
    except IntegrityError:  # the same slug created at the same moment
        session.rollback()
        raise ValidationFailed({"slug": _("This name is taken.")}) from None
    # The registry must know the instance before its first e-mail link is written.
    registry.refresh(session, force=True)
    create_first_admin(session, instance, email=admin_email, name=admin_name)
    _audit(session, instance, operator, "instance_created", ip=ip, hosts=hosts, theme=theme,
           admin=admin_email)
    session.commit()
    refresh_after_change(session)
    return instance


def access_instance(session: Session, slug: str) -> Instance:
    """An instance by slug for the operator (every instance is theirs); 404 if none."""
    instance = session.scalar(select(Instance).where(Instance.slug == slug))
    if instance is None:
        raise NotFound()
    return instance


def _locked(session: Session, slug: str) -> Instance:
    begin_write(session)
    instance = session.scalar(select(Instance).where(Instance.slug == slug).with_for_update())
    if instance is None:
        raise NotFound()
    return instance


def move_instance(session: Session, operator: Operator, slug: str, *, hosts: list[str],
                  theme: str, ip: str = "") -> Instance:
    """Serve the instance on other hosts (besides ``<slug>.localhost``) or in another theme."""
    problems: dict[str, str] = {}
    registry = _registry(session)
    if theme not in registry.themes:
        problems["theme"] = _("Choose a theme.")
    cleaned = _check_hosts(session, hosts, slug, problems)
    if problems:
        raise ValidationFailed(problems)
    instance = _locked(session, slug)
    before = registry.configs.get(slug)
    placement = {"hosts": cleaned, "theme": theme}
    if instance.placement == placement:
        session.rollback()
        return instance
    old = ({"hosts": [h for h in before.hosts if not h.endswith(".localhost")],
            "theme": before["theme"]} if before is not None else {})
    instance.placement = placement
    _audit(session, instance, operator, "instance_moved", ip=ip, old=old, new=placement)
    session.commit()
    refresh_after_change(session)
    forget_instance(session, instance)
    return instance


def set_instance_status(session: Session, operator: Operator, slug: str, *, enabled: bool,
                        reason: str, ip: str = "") -> Instance:
    """Disable an instance (every request answers "closed"; nothing is deleted) or enable it
    again; the reason is required to disable and is kept with the audit row."""
    problems: dict[str, str] = {}
    reason = _reason(reason, problems, required=not enabled)
    if problems:
        raise ValidationFailed(problems)
    instance = _locked(session, slug)
    target = ACTIVE if enabled else DISABLED
    if instance.status == target:
        session.rollback()
        return instance
    INSTANCE.apply(instance, target)
    instance.status_reason = reason if not enabled else ""
    _audit(session, instance, operator, "instance_enabled" if enabled else "instance_disabled",
           reason=reason, ip=ip)
    session.commit()
    forget_instance(session, instance)
    refresh_after_change(session)
    return instance


def name_admin(session: Session, operator: Operator, slug: str, email: str, *,
               ip: str = "") -> None:
    """Make an active member of the instance one of its admins (audited as a role change)."""
    instance = access_instance(session, slug)
    try:
        address = normalise_email(email)
    except ValidationFailed as exc:
        raise ValidationFailed({"email": exc.fields["email"]}) from None
    begin_write(session)
    member = find_member_by_email(session, instance, address)
    if member is None or member.status == "deleted":
        raise ValidationFailed({"email": _("No member of this community has this address.")})
    if member.status != "active":
        raise Conflict("member_not_active", _("Only an active member can be an admin."))
    change_role(session, instance, None, member.id, "admin", ip=ip, operator=True,
                operator_name=f"operator {operator.email}"[:120])
