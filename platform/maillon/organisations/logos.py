"""Organisations' logos: uploaded by their admins, re-encoded (``tenancy.logos``), stored under
``var/media/<slug>/organisations/`` and served to the instance's members only."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from maillon.db import begin_write
from maillon.members.models import Member
from maillon.organisations.services import _audit, access_managed_organisation, access_organisation
from maillon.tenancy.logos import store_png
from maillon.tenancy.models import Instance

#: Square-ish marks: the page shows them at most 96 px (192 covers 2x screens).
ORGANISATION_BOX = (192, 192)
NAME = re.compile(r"^org(\d+)-[0-9a-f]{32}\.png$")


def logo_folder(var_dir: str | Path, instance: Instance) -> Path:
    return Path(var_dir) / "media" / instance.slug / "organisations"


def set_logo(session: Session, instance: Instance, actor: Member, org_id: int, png: bytes,
             var_dir: str | Path) -> str:
    """Store a prepared PNG (``tenancy.logos.prepare_logo``, called before the write) as the
    organisation's logo (its admins, or an instance admin: audited); the file name."""
    begin_write(session)
    managed = access_managed_organisation(session, instance, actor, org_id)
    folder = logo_folder(var_dir, instance)
    name = store_png(folder, f"org{org_id}", png)
    previous = managed.organisation.logo
    try:
        managed.organisation.logo = name
        _audit(session, instance, actor, managed, "logo")
        session.commit()
    except BaseException:
        session.rollback()
        (folder / name).unlink(missing_ok=True)
        raise
    _remove_file(folder, previous)
    return name


def remove_logo(session: Session, instance: Instance, actor: Member, org_id: int,
                var_dir: str | Path) -> None:
    """Back to the initials mark."""
    begin_write(session)
    managed = access_managed_organisation(session, instance, actor, org_id)
    previous = managed.organisation.logo
    if previous is None:
        return
    managed.organisation.logo = None
    _audit(session, instance, actor, managed, "logo_removed")
    session.commit()
    _remove_file(logo_folder(var_dir, instance), previous)


def _remove_file(folder: Path, name: str | None) -> None:
    if name and NAME.match(name):
        (folder / name).unlink(missing_ok=True)


def logo_file(session: Session, instance: Instance, viewer: Member, org_id: int, name: str,
              var_dir: str | Path) -> Path:
    """The file of the organisation's current logo, for a member of the instance; else 404."""
    found = NAME.match(name)
    if found is None or int(found.group(1)) != org_id:
        raise NotFound()
    org = access_organisation(session, instance, viewer, org_id)
    path = logo_folder(var_dir, instance) / name
    if org.logo != name or not path.is_file():
        raise NotFound()
    return path
