"""Organisations: creating and editing their pages, their admins, and members' affiliations.

Who may do what (decision 38): any active member with a verified address creates an
organisation and becomes its admin; an e-mail domain is attached only by someone holding a
verified address at it (or an instance admin), since it confirms affiliations by itself. The
organisation's admins edit it, name other admins and confirm or decline claims; instance
admins may do all of it for any organisation, audited. Members claim affiliations (current or
past, with a role), confirmed at once when their verified address is at one of the
organisation's domains.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload
from werkzeug.exceptions import NotFound

from maillon.db import flush_or_find, utcnow
from maillon.errors import Conflict, Forbidden, ServiceError, ValidationFailed
from maillon.members.models import Member
from maillon.members.services import VISIBLE_STATUSES, access_member
from maillon.moderation.services import record_audit
from maillon.organisations import notifications
from maillon.organisations.lifecycle import (
    AFFILIATION,
    CONFIRMED,
    DECLINED,
    ENDED,
    LIVE_STATUSES,
    PENDING,
)
from maillon.organisations.models import Affiliation, Organisation, OrganisationAdmin
from maillon.organisations.validation import (
    AffiliationClaim,
    OrganisationChange,
    OrganisationFields,
)
from maillon.pagination import paginate
from maillon.tenancy.models import Instance
from maillon.validation import check, given

#: Organisations one member may create per day: enough for a real need, not for spam.
DAILY_CREATIONS = 5
#: Admins of one organisation, at most.
MAX_ADMINS = 20


def name_key(name: str) -> str:
    """What two names must differ in: case and spacing folded."""
    return " ".join(name.split()).casefold()


def email_domain(member: Member) -> str | None:
    """The domain of the member's address, only once they verified it."""
    if member.email_verified_at is None or "@" not in member.email:
        return None
    return member.email.rsplit("@", 1)[1].lower()


# ---------------------------------------------------------------------- lookups


def find_organisation(session: Session, instance: Instance, org_id: int) -> Organisation | None:
    return session.scalar(
        select(Organisation).where(
            Organisation.instance_id == instance.id, Organisation.id == org_id
        )
    )


def get_organisation(session: Session, instance: Instance, org_id: int) -> Organisation:
    org = find_organisation(session, instance, org_id)
    if org is None:
        raise NotFound()
    return org


def access_organisation(
    session: Session, instance: Instance, viewer: Member, org_id: int
) -> Organisation:
    """An organisation of this instance, for one of its active members; 404 otherwise."""
    if viewer.instance_id != instance.id or viewer.status not in VISIBLE_STATUSES:
        raise NotFound()
    return get_organisation(session, instance, org_id)


def is_admin_of(session: Session, instance: Instance, member: Member, org_id: int) -> bool:
    return (
        session.scalar(
            select(OrganisationAdmin.id).where(
                OrganisationAdmin.instance_id == instance.id,
                OrganisationAdmin.organisation_id == org_id,
                OrganisationAdmin.member_id == member.id,
            )
        )
        is not None
    )


@dataclass(frozen=True)
class Managed:
    """An organisation its actor may manage, and whether as an instance admin (audited)."""

    organisation: Organisation
    as_staff: bool


def access_managed_organisation(
    session: Session, instance: Instance, actor: Member, org_id: int
) -> Managed:
    """The organisation, for one of its admins or an instance admin; 403 for others."""
    org = access_organisation(session, instance, actor, org_id)
    if is_admin_of(session, instance, actor, org.id):
        return Managed(org, as_staff=False)
    if actor.is_admin:
        return Managed(org, as_staff=True)
    raise Forbidden("not_organisation_admin", _("Only the organisation's admins may do this."))


def _audit(
    session: Session,
    instance: Instance,
    actor: Member,
    managed: Managed,
    what: str,
    subject: Member | None = None,
    **data: Any,
) -> None:
    """Instance admins acting on an organisation they do not run leave an audit row."""
    if managed.as_staff:
        org = managed.organisation
        record_audit(
            session,
            instance,
            actor,
            "organisation_managed",
            subject=subject,
            subject_type="organisation",
            subject_id=org.id,
            subject_name=org.name,
            what=what,
            organisation=org.name,
            **data,
        )


# ---------------------------------------------------------------------- pages


def _check_domains(actor: Member, domains: list[str], already: list[str]) -> None:
    if actor.is_admin:
        return
    mine = email_domain(actor)
    foreign = [d for d in domains if d not in already and d != mine]
    if foreign:
        raise ValidationFailed(
            {
                "email_domains": _(
                    "You may add only the domain of your own verified address (%(domain)s); an "
                    "instance admin may add others.",
                    domain=mine or "—",
                )
            }
        )


def _check_name_free(
    session: Session, instance: Instance, name: str, org_id: int | None = None
) -> None:
    query = select(Organisation.id).where(
        Organisation.instance_id == instance.id, Organisation.name_key == name_key(name)
    )
    if org_id is not None:
        query = query.where(Organisation.id != org_id)
    if session.scalar(query) is not None:
        raise Conflict(
            "organisation_exists",
            _("An organisation with this name already exists."),
            fields={"name": _("An organisation with this name already exists.")},
        )


def create_organisation(
    session: Session, instance: Instance, creator: Member, data: dict[str, Any] | OrganisationFields
) -> tuple[Organisation, bool]:
    """A new organisation whose admin is its creator: (it, whether it is new). The creator
    asking again for the same name gets theirs back."""
    if creator.instance_id != instance.id or creator.status not in VISIBLE_STATUSES:
        raise NotFound()
    fields = check(OrganisationFields, data)
    existing = session.scalar(
        select(Organisation).where(
            Organisation.instance_id == instance.id, Organisation.name_key == name_key(fields.name)
        )
    )
    if existing is not None and existing.created_by_id == creator.id:
        return existing, False
    if creator.email_verified_at is None and not creator.is_admin:
        raise Forbidden(
            "email_not_verified", _("Confirm your e-mail address before creating an organisation.")
        )
    _check_domains(creator, fields.email_domains, [])
    _check_name_free(session, instance, fields.name)
    since = utcnow() - timedelta(days=1)
    created = (
        session.scalar(
            select(func.count(Organisation.id)).where(
                Organisation.instance_id == instance.id,
                Organisation.created_by_id == creator.id,
                Organisation.created_at >= since,
            )
        )
        or 0
    )
    if created >= DAILY_CREATIONS and not creator.is_admin:
        raise Forbidden(
            "quota_exceeded",
            _("You created %(n)d organisations today: try again tomorrow.", n=created),
        )
    org = Organisation(
        instance_id=instance.id,
        name_key=name_key(fields.name),
        created_by_id=creator.id,
        **fields.model_dump(),
    )
    session.add(org)
    replay = flush_or_find(
        session,
        lambda: session.scalar(
            select(Organisation).where(
                Organisation.instance_id == instance.id,
                Organisation.name_key == name_key(fields.name),
            )
        ),
    )
    if replay is not None:
        if replay.created_by_id == creator.id:
            return replay, False
        _check_name_free(session, instance, fields.name)
    session.add(
        OrganisationAdmin(
            instance_id=instance.id,
            organisation_id=org.id,
            member_id=creator.id,
            added_by_id=creator.id,
        )
    )
    session.commit()
    return org, True


def update_organisation(
    session: Session,
    instance: Instance,
    actor: Member,
    org_id: int,
    changes: dict[str, Any] | OrganisationChange,
) -> Organisation:
    """Change an organisation's page (its admins, or an instance admin: audited). Pending
    claims from verified addresses at a newly added domain are confirmed with it."""
    managed = access_managed_organisation(session, instance, actor, org_id)
    org = managed.organisation
    values = given(check(OrganisationChange, changes))
    if "email_domains" in values:
        _check_domains(actor, values["email_domains"], list(org.email_domains or []))
    if "name" in values:
        _check_name_free(session, instance, values["name"], org.id)
        org.name_key = name_key(values["name"])
    added = set(values.get("email_domains", [])) - set(org.email_domains or [])
    for key, value in values.items():
        setattr(org, key, value)
    if added:
        pending = session.scalars(
            select(Affiliation)
            .options(joinedload(Affiliation.member))
            .where(
                Affiliation.instance_id == instance.id,
                Affiliation.organisation_id == org.id,
                Affiliation.status == PENDING,
            )
        )
        for row in pending:
            if email_domain(row.member) in added:
                _confirm(row, None, "domain")
    _audit(session, instance, actor, managed, "updated", changed=sorted(values))
    session.commit()
    return org


@dataclass(frozen=True)
class OrganisationRow:
    organisation: Organisation
    members: int  # confirmed, current, active


def _member_counts(session: Session, instance: Instance, org_ids: list[int]) -> dict[int, int]:
    if not org_ids:
        return {}
    return dict(
        session.execute(  # type: ignore[arg-type]
            select(Affiliation.organisation_id, func.count(Affiliation.id))
            .join(Member, Member.id == Affiliation.member_id)
            .where(
                Affiliation.instance_id == instance.id,
                Affiliation.organisation_id.in_(org_ids),
                Affiliation.status == CONFIRMED,
                Affiliation.current.is_(True),
                Member.status.in_(VISIBLE_STATUSES),
            )
            .group_by(Affiliation.organisation_id)
        ).all()
    )


def list_organisations(
    session: Session,
    instance: Instance,
    viewer: Member,
    *,
    q: str = "",
    sector: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> tuple[int, list[OrganisationRow]]:
    """Organisations by name, narrowed by words of their name and a sector."""
    if viewer.instance_id != instance.id or viewer.status not in VISIBLE_STATUSES:
        raise NotFound()
    query: Select[Organisation] = select(Organisation).where(
        Organisation.instance_id == instance.id
    )
    for word in name_key(q[:120]).split()[:8]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Organisation.name_key.like(f"%{escaped}%", escape="\\"))
    if sector:
        query = query.where(Organisation.sector == sector)
    total, orgs = paginate(
        session, query, Organisation.name_key, Organisation.id, page=page, per_page=per_page
    )
    counts = _member_counts(session, instance, [o.id for o in orgs])
    return total, [OrganisationRow(o, counts.get(o.id, 0)) for o in orgs]


def count_members(session: Session, instance: Instance, org: Organisation) -> int:
    return _member_counts(session, instance, [org.id]).get(org.id, 0)


# ---------------------------------------------------------------------- admins


def list_admins(session: Session, instance: Instance, org: Organisation) -> list[Member]:
    return list(
        session.scalars(
            select(Member)
            .join(OrganisationAdmin, OrganisationAdmin.member_id == Member.id)
            .where(
                OrganisationAdmin.instance_id == instance.id,
                OrganisationAdmin.organisation_id == org.id,
                Member.status.in_(VISIBLE_STATUSES),
            )
            .order_by(func.lower(Member.stored_name), Member.id)
        )
    )


def add_admin(
    session: Session, instance: Instance, actor: Member, org_id: int, member_id: int
) -> Member:
    """Name another admin of the organisation (a repeat changes nothing)."""
    managed = access_managed_organisation(session, instance, actor, org_id)
    member = access_member(session, instance, actor, member_id)
    if member.status not in VISIBLE_STATUSES:
        raise NotFound()
    if is_admin_of(session, instance, member, org_id):
        return member
    count = (
        session.scalar(
            select(func.count(OrganisationAdmin.id)).where(
                OrganisationAdmin.instance_id == instance.id,
                OrganisationAdmin.organisation_id == org_id,
            )
        )
        or 0
    )
    if count >= MAX_ADMINS:
        raise Forbidden(
            "too_many_admins", _("An organisation has at most %(n)d admins.", n=MAX_ADMINS)
        )
    session.add(
        OrganisationAdmin(
            instance_id=instance.id,
            organisation_id=org_id,
            member_id=member.id,
            added_by_id=actor.id,
        )
    )
    if flush_or_find(session, lambda: is_admin_of(session, instance, member, org_id) or None):
        return member
    _audit(session, instance, actor, managed, "admin_added", subject=member)
    session.commit()
    return member


def remove_admin(
    session: Session, instance: Instance, actor: Member, org_id: int, member_id: int
) -> None:
    """Remove an admin (oneself included); the last one stays unless an instance admin acts."""
    managed = access_managed_organisation(session, instance, actor, org_id)
    rows = list(
        session.scalars(
            select(OrganisationAdmin).where(
                OrganisationAdmin.instance_id == instance.id,
                OrganisationAdmin.organisation_id == org_id,
            )
        )
    )
    row = next((r for r in rows if r.member_id == member_id), None)
    if row is None:
        raise NotFound()
    if len(rows) == 1 and not actor.is_admin:
        raise ServiceError(
            "last_organisation_admin",
            _("An organisation keeps at least one admin: name another one first."),
            status=409,
        )
    session.delete(row)
    _audit(session, instance, actor, managed, "admin_removed", subject=row.member)
    session.commit()


# ---------------------------------------------------------------------- affiliations


def _confirm(row: Affiliation, actor: Member | None, how: str) -> None:
    AFFILIATION.apply(row, CONFIRMED)
    row.confirmed_by = how
    row.decided_by_id = actor.id if actor is not None else None
    row.decided_at = utcnow()


def find_affiliation(
    session: Session, instance: Instance, org_id: int, member_id: int
) -> Affiliation | None:
    return session.scalar(
        select(Affiliation).where(
            Affiliation.instance_id == instance.id,
            Affiliation.organisation_id == org_id,
            Affiliation.member_id == member_id,
        )
    )


def claim_affiliation(
    session: Session,
    instance: Instance,
    member: Member,
    org_id: int,
    data: dict[str, Any] | AffiliationClaim,
) -> tuple[Affiliation, bool]:
    """The member's claim to the organisation: (it, whether it is new or renewed).

    Confirmed at once when the member's verified address is at one of its domains; otherwise
    pending until an admin decides. A claim in force is updated (role, current) and keeps its
    status, so a repeat changes nothing.
    """
    org = access_organisation(session, instance, member, org_id)
    claim = check(AffiliationClaim, data)
    row = find_affiliation(session, instance, org.id, member.id)
    by_domain = email_domain(member) in (org.email_domains or [])
    if row is not None and row.status in LIVE_STATUSES:
        if (row.role, row.current) != (claim.role, claim.current):
            row.role, row.current = claim.role, claim.current
            session.commit()
        return row, False
    if row is None:
        row = Affiliation(
            instance_id=instance.id, organisation_id=org.id, member_id=member.id, status=None
        )
        session.add(row)
    row.role, row.current, row.created_at = claim.role, claim.current, utcnow()
    row.confirmed_by = row.decided_by_id = row.decided_at = None
    if by_domain:
        _confirm(row, None, "domain")
    else:
        AFFILIATION.apply(row, PENDING)
    replay = flush_or_find(session, lambda: find_affiliation(session, instance, org.id, member.id))
    if replay is not None:
        return replay, False
    if row.status == PENDING:
        notifications.tell_admins(
            session, instance, org, member, list_admins(session, instance, org)
        )
    session.commit()
    return row, True


def access_affiliation(
    session: Session, instance: Instance, actor: Member, affiliation_id: int
) -> Affiliation:
    """An affiliation its actor may see: their own, any of an organisation they manage (or
    as an instance admin), and confirmed ones; 404 otherwise."""
    if actor.instance_id != instance.id or actor.status not in VISIBLE_STATUSES:
        raise NotFound()
    row = session.scalar(
        select(Affiliation).where(
            Affiliation.instance_id == instance.id, Affiliation.id == affiliation_id
        )
    )
    if row is None:
        raise NotFound()
    if (
        row.member_id == actor.id
        or row.status == CONFIRMED
        or actor.is_admin
        or is_admin_of(session, instance, actor, row.organisation_id)
    ):
        return row
    raise NotFound()


def _decide(
    session: Session, instance: Instance, actor: Member, affiliation_id: int, target: str
) -> Affiliation:
    row = access_affiliation(session, instance, actor, affiliation_id)
    managed = access_managed_organisation(session, instance, actor, row.organisation_id)
    if row.status == target:
        return row  # a repeat replays
    if not AFFILIATION.allows(row.status, target):
        raise Conflict("affiliation_not_pending", _("This claim was already decided."))
    if target == CONFIRMED:
        _confirm(row, actor, "admin")
    else:
        AFFILIATION.apply(row, target)
        row.decided_by_id, row.decided_at = actor.id, utcnow()
    _audit(session, instance, actor, managed, f"affiliation_{target}", subject=row.member)
    if target in (CONFIRMED, DECLINED):
        notifications.tell_member(session, instance, row, actor)
    session.commit()
    return row


def confirm_affiliation(
    session: Session, instance: Instance, actor: Member, affiliation_id: int
) -> Affiliation:
    """An organisation admin confirms a pending claim (a declined one too, on second thought)."""
    return _decide(session, instance, actor, affiliation_id, CONFIRMED)


def decline_affiliation(
    session: Session, instance: Instance, actor: Member, affiliation_id: int
) -> Affiliation:
    """An organisation admin declines a pending claim; the member may claim again."""
    row = access_affiliation(session, instance, actor, affiliation_id)
    if row.status == CONFIRMED:
        raise Conflict(
            "affiliation_not_pending", _("This claim was already confirmed: end it instead.")
        )
    return _decide(session, instance, actor, affiliation_id, DECLINED)


def end_affiliation(
    session: Session, instance: Instance, actor: Member, affiliation_id: int
) -> Affiliation:
    """The member takes back their claim, or an admin removes it from the organisation."""
    row = access_affiliation(session, instance, actor, affiliation_id)
    if row.member_id == actor.id:
        if row.status != ENDED:
            if not AFFILIATION.allows(row.status, ENDED):
                raise Conflict("affiliation_not_live", _("This claim is not in force."))
            AFFILIATION.apply(row, ENDED)
            row.decided_by_id, row.decided_at = actor.id, utcnow()
            session.commit()
        return row
    return _decide(session, instance, actor, affiliation_id, ENDED)


def list_affiliations(
    session: Session,
    instance: Instance,
    viewer: Member,
    org_id: int,
    *,
    status: str = CONFIRMED,
    current: bool | None = None,
    page: int = 1,
    per_page: int = 20,
) -> tuple[int, list[Affiliation]]:
    """An organisation's affiliations in one status, with their members. Confirmed ones
    show whom the directory lists (and the viewer); other states only to its admins."""
    org = access_organisation(session, instance, viewer, org_id)
    if status != CONFIRMED and not (
        viewer.is_admin or is_admin_of(session, instance, viewer, org.id)
    ):
        raise Forbidden(
            "not_organisation_admin", _("Only the organisation's admins may see claims to confirm.")
        )
    query = (
        select(Affiliation)
        .join(Member, Member.id == Affiliation.member_id)
        .options(joinedload(Affiliation.member))
        .where(
            Affiliation.instance_id == instance.id,
            Affiliation.organisation_id == org.id,
            Affiliation.status == status,
            Member.status.in_(VISIBLE_STATUSES),
        )
    )
    if status == CONFIRMED:
        in_directory = func.coalesce(Member.visibility["in_directory"].as_boolean(), True)
        query = query.where(in_directory.is_(True) | (Member.id == viewer.id))
    if current is not None:
        query = query.where(Affiliation.current.is_(current))
    return paginate(
        session,
        query,
        Affiliation.current.desc(),
        func.lower(Member.stored_name),
        Affiliation.id,
        page=page,
        per_page=per_page,
    )


def member_affiliations(
    session: Session, instance: Instance, viewer: Member | None, member: Member
) -> list[Affiliation]:
    """The confirmed affiliations a profile shows (current first); the member also sees their
    pending claims."""
    states = LIVE_STATUSES if viewer is not None and viewer.id == member.id else (CONFIRMED,)
    return list(
        session.scalars(
            select(Affiliation)
            .options(joinedload(Affiliation.organisation))
            .where(
                Affiliation.instance_id == instance.id,
                Affiliation.member_id == member.id,
                Affiliation.status.in_(states),
            )
            .order_by(Affiliation.current.desc(), Affiliation.created_at.desc())
            .limit(50)
        )
    )


def managed_organisations(
    session: Session, instance: Instance, member: Member
) -> list[Organisation]:
    """The organisations the member is an admin of."""
    return list(
        session.scalars(
            select(Organisation)
            .join(OrganisationAdmin, OrganisationAdmin.organisation_id == Organisation.id)
            .where(
                OrganisationAdmin.instance_id == instance.id,
                OrganisationAdmin.member_id == member.id,
            )
            .order_by(Organisation.name_key)
            .limit(100)
        )
    )


def current_member_ids(session: Session, instance: Instance, org_id: int) -> list[int]:
    """The active members with a confirmed, current affiliation: the organisation's people."""
    return list(
        session.scalars(
            select(Affiliation.member_id)
            .join(Member, Member.id == Affiliation.member_id)
            .where(
                Affiliation.instance_id == instance.id,
                Affiliation.organisation_id == org_id,
                Affiliation.status == CONFIRMED,
                Affiliation.current.is_(True),
                Member.status.in_(VISIBLE_STATUSES),
            )
        )
    )


def is_current_member(session: Session, instance: Instance, member: Member, org_id: int) -> bool:
    row = find_affiliation(session, instance, org_id, member.id)
    return row is not None and row.status == CONFIRMED and row.current
