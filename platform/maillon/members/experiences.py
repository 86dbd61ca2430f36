"""Experiences and education: the dated rows of a profile, each reachable by its member only.

Both kinds follow one flow (validate, cap the count, write, re-index the member); ``_KINDS``
holds what differs between them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from maillon.db import utcnow
from maillon.errors import ValidationFailed
from maillon.members.models import Education, Experience, Member
from maillon.members.signals import member_changed
from maillon.members.validation import validate_education, validate_experience

MAX_EXPERIENCES = 50
MAX_EDUCATION = 30

Row = TypeVar("Row", Experience, Education)


@dataclass(frozen=True)
class _Kind:
    validate: Callable[[Any, Mapping[str, Any]], dict[str, Any]]
    limit: int
    # Where the "too many" problem shows (the form's first field) and its message.
    limit_field: str
    limit_message: Callable[[], str]


_KINDS: dict[type[Experience] | type[Education], _Kind] = {
    Experience: _Kind(validate_experience, MAX_EXPERIENCES, "title",
                      lambda: str(_l("At most %(n)d experiences.", n=MAX_EXPERIENCES))),
    Education: _Kind(validate_education, MAX_EDUCATION, "school",
                     lambda: str(_l("At most %(n)d entries.", n=MAX_EDUCATION))),
}


def _own_row(session: Session, model: type[Row], member: Member, row_id: int) -> Row:
    row = session.scalar(select(model).where(
        model.id == row_id, model.member_id == member.id,
        model.instance_id == member.instance_id))
    if row is None:
        raise NotFound()
    return row


def get_experience(session: Session, member: Member, experience_id: int) -> Experience:
    """One of the member's own experiences; anyone else's (or another instance's) is 404."""
    return _own_row(session, Experience, member, experience_id)


def get_education(session: Session, member: Member, education_id: int) -> Education:
    """One of the member's own education rows; anyone else's (or another instance's) is 404."""
    return _own_row(session, Education, member, education_id)


def _add(session: Session, model: type[Row], member: Member, data: Mapping[str, Any]) -> Row:
    kind = _KINDS[model]
    clean = kind.validate(None, data)
    count = int(session.scalar(select(func.count(model.id)).where(
        model.member_id == member.id, model.instance_id == member.instance_id)) or 0)
    if count >= kind.limit:
        raise ValidationFailed({kind.limit_field: kind.limit_message()})
    row = model(instance_id=member.instance_id, member_id=member.id, **clean)
    session.add(row)
    _touch(session, member)
    return row


def _update(session: Session, model: type[Row], member: Member, row_id: int,
            changes: Mapping[str, Any]) -> Row:
    row = _own_row(session, model, member, row_id)
    for key, value in _KINDS[model].validate(row, changes).items():
        setattr(row, key, value)
    _touch(session, member)
    return row


def _delete(session: Session, model: type[Row], member: Member, row_id: int) -> None:
    session.delete(_own_row(session, model, member, row_id))
    _touch(session, member)


def _touch(session: Session, member: Member) -> None:
    """Commit a change to the profile's sub-rows; search indexes experiences too."""
    member.updated_at = utcnow()
    session.flush()
    session.expire(member, ["experiences", "education"])
    member_changed.send(session, member=member)
    session.commit()


def add_experience(session: Session, member: Member, data: Mapping[str, Any]) -> Experience:
    """Add a dated position to the member's profile."""
    return _add(session, Experience, member, data)


def add_education(session: Session, member: Member, data: Mapping[str, Any]) -> Education:
    """Add a school or degree to the member's profile."""
    return _add(session, Education, member, data)


def update_experience(session: Session, member: Member, experience_id: int,
                      changes: Mapping[str, Any]) -> Experience:
    """Change some fields of one of the member's experiences."""
    return _update(session, Experience, member, experience_id, changes)


def update_education(session: Session, member: Member, education_id: int,
                     changes: Mapping[str, Any]) -> Education:
    """Change some fields of one of the member's education rows."""
    return _update(session, Education, member, education_id, changes)


def delete_experience(session: Session, member: Member, experience_id: int) -> None:
    """Remove one of the member's experiences."""
    _delete(session, Experience, member, experience_id)


def delete_education(session: Session, member: Member, education_id: int) -> None:
    """Remove one of the member's education rows."""
    _delete(session, Education, member, education_id)
