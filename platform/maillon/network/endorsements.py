"""Skill endorsements: one click by a first-degree connection, counted per listed skill.

A row per (member, endorser, skill) under a unique constraint: endorsing twice replays the first
endorsement. Only skills the member lists are shown, so removing a skill hides its endorsements
and listing it again brings them back. Removing a connection keeps past endorsements (as
LinkedIn does): they were true when given, and the endorser can still revoke them.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from maillon.db import flush_or_find, run_built
from maillon.errors import Forbidden, ServiceError, ValidationFailed
from maillon.members.models import Member
from maillon.members.services import VISIBLE_STATUSES, access_member
from maillon.network.endorsement_models import Endorsement, skill_key
from maillon.network.services import are_connected, connection_ids
from maillon.network.signals import skill_endorsed
from maillon.network.validation import EndorsedSkill
from maillon.tenancy.models import Instance
from maillon.validation import check


@dataclass(frozen=True)
class SkillEndorsements:
    """One listed skill with its endorsements (a dataclass: ``count`` is no tuple method)."""

    skill: str  # as the member spells it
    count: int
    endorsers: list[Member]  # those the viewer may see: the viewer first, then their contacts


def _listed_skill(member: Member, skill: str) -> str | None:
    key = skill_key(skill)
    return next((s for s in member.skills or [] if skill_key(s) == key), None)


def find_endorsement(session: Session, instance: Instance, member_id: int, endorser_id: int,
                     skill: str) -> Endorsement | None:
    return session.scalar(select(Endorsement).where(
        Endorsement.instance_id == instance.id, Endorsement.member_id == member_id,
        Endorsement.endorser_id == endorser_id, Endorsement.skill_key == skill_key(skill)))


def endorse_skill(session: Session, instance: Instance, endorser: Member, member_id: int,
                  skill: str) -> tuple[Endorsement, bool]:
    """Endorse one of a connection's listed skills: (the endorsement, whether it is new)."""
    member = access_member(session, instance, endorser, member_id)
    if member.id == endorser.id:
        raise ServiceError("cannot_endorse_self", _("You cannot endorse yourself."), status=422,
                           fields={"member_id": _("You cannot endorse yourself.")})
    if not are_connected(session, instance, endorser.id, member.id):
        raise Forbidden("not_connected", _("Only your direct connections can be endorsed."))
    skill = check(EndorsedSkill, {"skill": skill}).skill
    if _listed_skill(member, skill) is None:
        raise ValidationFailed({"skill": _("This member does not list this skill.")})
    existing = find_endorsement(session, instance, member.id, endorser.id, skill)
    if existing is not None:
        return existing, False
    row = Endorsement(instance_id=instance.id, member_id=member.id, endorser_id=endorser.id,
                      skill_key=skill_key(skill))
    session.add(row)
    # A concurrent double click may have won the race: then it is replayed.
    existing = flush_or_find(session, lambda: find_endorsement(
        session, instance, member.id, endorser.id, skill))
    if existing is not None:
        return existing, False
    skill_endorsed.send(session, endorsement=row, actor=endorser, recipient=member)
    session.commit()
    return row, True


def revoke_endorsement(session: Session, instance: Instance, endorser: Member, member_id: int,
                       skill: str) -> bool:
    """Take back one's endorsement (connected or not any more); False if there was none."""
    member = access_member(session, instance, endorser, member_id)
    row = find_endorsement(session, instance, member.id, endorser.id, skill)
    if row is None:
        return False
    session.delete(row)
    session.commit()
    return True


def endorsement_summary(session: Session, instance: Instance, viewer: Member | None,
                        member: Member) -> list[SkillEndorsements]:
    """The member's listed skills, in their order, with the endorsements the viewer may see.

    Endorsers the viewer may see are active members; only they are counted, so the count
    always matches the list.
    """
    skills = list(member.skills or [])
    if not skills:
        return []
    keys = {skill_key(s): s for s in skills}
    rows = session.execute(
        select(Endorsement.skill_key, Member).join(Member, Member.id == Endorsement.endorser_id)
        .where(Endorsement.instance_id == instance.id, Endorsement.member_id == member.id,
               Endorsement.skill_key.in_(list(keys)), Member.instance_id == instance.id,
               Member.status.in_(VISIBLE_STATUSES))
        .order_by(Endorsement.created_at.desc(), Endorsement.id.desc())).all()
    contacts = set(connection_ids(session, instance, viewer.id)) if viewer is not None else set()
    viewer_id = viewer.id if viewer is not None else None

    def rank(endorser: Member) -> int:
        return 0 if endorser.id == viewer_id else 1 if endorser.id in contacts else 2

    by_key: dict[str, list[Member]] = {k: [] for k in keys}
    for key, endorser in rows:
        by_key[key].append(endorser)
    summary = []
    for key, skill in keys.items():
        endorsers = sorted(by_key[key], key=rank)  # stable: newest first within a rank
        summary.append(SkillEndorsements(skill, len(endorsers), endorsers))
    return summary


# Built once (an API profile's statement); the skills are an expanding parameter.
_COUNTS = select(Endorsement.skill_key, func.count(Endorsement.id)).join(
    Member, Member.id == Endorsement.endorser_id).where(
    Endorsement.instance_id == bindparam("instance_id"),
    Endorsement.member_id == bindparam("member_id"),
    Endorsement.skill_key.in_(bindparam("keys", expanding=True)),
    Member.instance_id == bindparam("instance_id"),
    Member.status.in_(VISIBLE_STATUSES)).group_by(Endorsement.skill_key)


def endorsement_counts(session: Session, instance: Instance, viewer: Member | None,
                       member: Member) -> dict[str, int]:
    """{skill: count} for the listed skills that have endorsements (the API's profile
    field: the skills themselves are listed next to it). The same endorsers as
    ``endorsement_summary`` counts, in one grouped query: no endorser is loaded."""
    keys = {skill_key(s): s for s in member.skills or []}
    if not keys:
        return {}
    counts = dict(run_built(session, _COUNTS, {
        "instance_id": instance.id, "member_id": member.id, "keys": list(keys)}).all())
    return {skill: int(counts[key]) for key, skill in keys.items() if counts.get(key)}
