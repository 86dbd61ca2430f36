"""Members' federation choices: whether other servers may reach them at all, and whether they
may list (``discoverable``) and search (``indexable``) them. Nothing is federated by default.

A member is reachable from outside (WebFinger, actor document) only when all of these hold:
the instance federates with someone, the member opted in, the account is active and the
profile is listed in the directory (a profile taken out of the directory is never published
elsewhere, whatever the other switches say). Otherwise the answer is a 404, the same as for an
id that never existed (decision 45).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.db import begin_write, flush_or_find
from maillon.federation.models import FederatedMember
from maillon.federation.policy import federates
from maillon.members.models import Member
from maillon.tenancy.models import Instance
from maillon.validation import FLAG, Changes, check, given

HANDLE_RE = re.compile(r"^[a-z0-9_](?:[a-z0-9_.-]{0,38}[a-z0-9_])?$")


class FederationChoice(Changes):
    enabled: Annotated[bool | None, FLAG] = None
    discoverable: Annotated[bool | None, FLAG] = None
    indexable: Annotated[bool | None, FLAG] = None


@dataclass(frozen=True)
class MemberFederation:
    enabled: bool
    discoverable: bool
    indexable: bool
    handle: str | None
    instance_federates: bool
    listed: bool  # in the directory: a hidden profile is never published


def find_federated_member(
    session: Session, instance: Instance, member_id: int
) -> FederatedMember | None:
    return session.scalar(
        select(FederatedMember).where(
            FederatedMember.instance_id == instance.id, FederatedMember.member_id == member_id
        )
    )


def _listed(member: Member) -> bool:
    return bool((member.visibility or {}).get("in_directory", True))


def published(member: Member, row: FederatedMember | None) -> bool:
    """Whether the member's actor may be served to other servers (the instance's mode aside)."""
    return row is not None and row.enabled and member.status == "active" and _listed(member)


def member_federation(session: Session, instance: Instance, member: Member) -> MemberFederation:
    """What the member chose (their settings page)."""
    row = find_federated_member(session, instance, member.id)
    return MemberFederation(
        bool(row and row.enabled),
        bool(row and row.discoverable),
        bool(row and row.indexable),
        row.handle if row else None,
        federates(session, instance),
        _listed(member),
    )


def _handle_base(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", ".", ascii_name.lower()).strip(".")[:30].strip(".")
    return base or "member"


def _free_handle(session: Session, instance: Instance, member: Member) -> str:
    base = _handle_base(member.name)
    taken = set(
        session.scalars(
            select(FederatedMember.handle).where(
                FederatedMember.instance_id == instance.id, FederatedMember.handle.like(f"{base}%")
            )
        )
    )
    taken.add("instance.actor")  # the instance actor's name (actors.INSTANCE_ACTOR_NAME)
    if base not in taken:
        return base
    # A number rather than the member id: ids would tell how many accounts exist.
    number = 2
    while f"{base}{number}" in taken:
        number += 1
    return f"{base}{number}"


def change_member_federation(
    session: Session, instance: Instance, member: Member, data: dict[str, Any]
) -> MemberFederation:
    """Save the member's choices; the first opt-in gives them a handle, kept from then on."""
    change = given(check(FederationChoice, data))
    begin_write(session)
    row = find_federated_member(session, instance, member.id)
    if row is None:
        if not change.get("enabled"):
            return member_federation(session, instance, member)
        row = FederatedMember(
            instance_id=instance.id,
            member_id=member.id,
            handle=_free_handle(session, instance, member),
            enabled=True,
            discoverable=False,
            indexable=False,
        )
        session.add(row)
        raced = flush_or_find(session, lambda: find_federated_member(session, instance, member.id))
        row = raced or row
    for name, value in change.items():
        setattr(row, name, value)
    if not row.enabled:  # withdrawing takes the other switches along
        row.discoverable = row.indexable = False
    if change:
        from maillon.federation.announcements import schedule_update

        schedule_update(session, member)  # what their actor shows changed
    session.commit()
    return member_federation(session, instance, member)


def find_published_member(
    session: Session, instance: Instance, handle: str | None = None, member_id: int | None = None
) -> tuple[Member, FederatedMember] | None:
    """The member behind a handle or an actor id, if other servers may see them."""
    if not federates(session, instance):
        return None
    query = (
        select(Member, FederatedMember)
        .join(
            FederatedMember,
            (FederatedMember.member_id == Member.id) & (FederatedMember.instance_id == instance.id),
        )
        .where(Member.instance_id == instance.id)
    )
    if handle is not None:
        if not HANDLE_RE.match(handle):
            return None
        query = query.where(FederatedMember.handle == handle)
    elif member_id is not None:
        query = query.where(Member.id == member_id)
    else:
        return None
    found = session.execute(query).first()
    if found is None or not published(found[0], found[1]):
        return None
    return found[0], found[1]


def member_departed(
    session: Session, instance: Instance, handle: str | None = None, member_id: int | None = None
) -> bool:
    """Whether this handle or actor id was opened to other servers by an account since
    deleted: those answer 410 Gone, as Mastodon's do, so servers drop what they cached. (A
    profile merely hidden keeps the 404 of an id that never existed.)"""
    if not federates(session, instance):
        return False
    query = (
        select(Member.id)
        .join(
            FederatedMember,
            (FederatedMember.member_id == Member.id) & (FederatedMember.instance_id == instance.id),
        )
        .where(Member.instance_id == instance.id, Member.status == "deleted")
    )
    if handle is not None:
        query = query.where(FederatedMember.handle == handle)
    elif member_id is not None:
        query = query.where(Member.id == member_id)
    else:
        return False
    return session.scalar(query.limit(1)) is not None
