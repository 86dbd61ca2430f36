"""Where members' photos live on disk, and the short transactions that point a member at one.

Decoding and re-encoding (slow, pure) is ``photos.py``'s; this module only stores the result.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from maillon.db import begin_write, utcnow
from maillon.members.models import Member
from maillon.members.photos import PreparedPhoto
from maillon.members.services import access_member
from maillon.members.signals import member_changed
from maillon.tenancy.models import Instance

PHOTO_NAME = re.compile(r"^[0-9a-f]{32}\.jpg$")


def photo_dir(var_dir: str | Path, instance: Instance) -> Path:
    return Path(var_dir) / "media" / instance.slug / "photos"


def set_photo(session: Session, instance: Instance, member: Member, photo: PreparedPhoto,
              var_dir: str | Path) -> str:
    """Store a prepared photo (``photos.prepare_photo``, called before: decoding is slow and
    must not hold the write lock) as the member's; returns its file name."""
    if member.instance_id != instance.id:
        raise NotFound()
    folder = photo_dir(var_dir, instance)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.jpg"
    temporary = folder / f".{name}.part"
    temporary.write_bytes(photo.jpeg)
    os.replace(temporary, folder / name)
    begin_write(session)
    previous = member.photo
    try:
        member.photo = name
        member.updated_at = utcnow()
        member_changed.send(session, member=member)
        session.commit()
    except BaseException:
        session.rollback()
        (folder / name).unlink(missing_ok=True)
        raise
    remove_photo_file(folder, previous)
    return name


def remove_photo(session: Session, instance: Instance, member: Member,
                 var_dir: str | Path) -> None:
    """Remove the member's photo (the initials avatar shows instead) and its file."""
    if member.instance_id != instance.id:
        raise NotFound()
    previous = member.photo
    if previous is None:
        return
    member.photo = None
    member.updated_at = utcnow()
    member_changed.send(session, member=member)
    session.commit()
    remove_photo_file(photo_dir(var_dir, instance), previous)


def remove_photo_file(folder: Path, name: str | None) -> None:
    if name and PHOTO_NAME.match(name):
        (folder / name).unlink(missing_ok=True)


def photo_path(session: Session, instance: Instance, viewer: Member | None, member_id: int,
               name: str, var_dir: str | Path) -> Path:
    """The file of a member's current photo, if the viewer may see that member; else 404."""
    if not PHOTO_NAME.match(name):
        raise NotFound()
    member = access_member(session, instance, viewer, member_id)
    path = photo_dir(var_dir, instance) / name
    if member.photo != name or not path.is_file():
        raise NotFound()
    return path
