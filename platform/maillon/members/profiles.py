"""Profile editing: the member's own fields and settings, validated all or nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from maillon.db import utcnow
from maillon.members.models import Member
from maillon.members.signals import member_changed
from maillon.members.validation import validate_profile_changes


def update_profile(session: Session, member: Member, changes: Mapping[str, Any]) -> Member:
    """Apply a partial profile change after validating all of it: all or nothing."""
    clean = validate_profile_changes(member, changes)
    if not clean:
        return member
    for field, value in clean.items():
        # New dict/list objects, so SQLAlchemy sees JSON columns change.
        setattr(member, field, value)
    member.updated_at = utcnow()
    member_changed.send(session, member=member)
    session.commit()
    return member


def set_member_locale(session: Session, member: Member, locale: str) -> None:
    """Record the member's language (the switcher); it also picks their search stemming."""
    member.locale = locale
    member_changed.send(session, member=member)
    session.commit()
