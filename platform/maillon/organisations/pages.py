"""What the organisation pages show, gathered by one service call per page (the views stay
free of queries and rules)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maillon.members.models import Member
from maillon.members.services import VISIBLE_STATUSES
from maillon.organisations import services
from maillon.organisations.lifecycle import CONFIRMED, PENDING
from maillon.organisations.models import Affiliation, Organisation
from maillon.organisations.reach import may_see_reach
from maillon.tenancy.models import Instance

PER_PAGE = 24


@dataclass
class OrganisationPage:
    organisation: Organisation
    members: list[Affiliation]
    total: int
    page: int
    pages: int
    alumni: int
    admins: list[Member]
    is_admin: bool
    may_manage: bool  # its admins and instance admins
    mine: Affiliation | None
    may_see_reach: bool
    asking_from: list[Organisation] = field(default_factory=list)
    pending: int = 0


def asking_organisations(
    session: Session, instance: Instance, member: Member
) -> list[Organisation]:
    """The organisations whose reach the member may use: theirs now and those they manage."""
    current = session.scalars(
        select(Organisation)
        .join(Affiliation, Affiliation.organisation_id == Organisation.id)
        .where(
            Affiliation.instance_id == instance.id,
            Affiliation.member_id == member.id,
            Affiliation.status == CONFIRMED,
            Affiliation.current.is_(True),
        )
    )
    found = {o.id: o for o in current}
    for org in services.managed_organisations(session, instance, member):
        found.setdefault(org.id, org)
    return sorted(found.values(), key=lambda o: o.name_key)


def organisation_page(
    session: Session, instance: Instance, viewer: Member, org_id: int, page: int = 1
) -> OrganisationPage:
    org = services.access_organisation(session, instance, viewer, org_id)
    total, members = services.list_affiliations(
        session, instance, viewer, org.id, current=True, page=page, per_page=PER_PAGE
    )
    alumni, _ = services.list_affiliations(
        session, instance, viewer, org.id, current=False, per_page=1
    )
    is_admin = services.is_admin_of(session, instance, viewer, org.id)
    pending = 0
    if is_admin or viewer.is_admin:
        pending = int(
            session.scalar(
                select(func.count(Affiliation.id))
                .join(Member, Member.id == Affiliation.member_id)
                .where(
                    Affiliation.instance_id == instance.id,
                    Affiliation.organisation_id == org.id,
                    Affiliation.status == PENDING,
                    Member.status.in_(VISIBLE_STATUSES),
                )
            )
            or 0
        )
    pages = max(1, -(-total // PER_PAGE))
    return OrganisationPage(
        organisation=org,
        members=members,
        total=total,
        page=min(max(page, 1), pages),
        pages=pages,
        alumni=alumni,
        admins=services.list_admins(session, instance, org),
        is_admin=is_admin,
        may_manage=is_admin or viewer.is_admin,
        mine=services.find_affiliation(session, instance, org.id, viewer.id),
        may_see_reach=may_see_reach(session, instance, viewer, org),
        asking_from=asking_organisations(session, instance, viewer),
        pending=pending,
    )


@dataclass
class ClaimsPage:
    organisation: Organisation
    pending: list[Affiliation]
    total: int
    admins: list[Member]
    candidates: list[Member]  # current members who could be named admins


def claims_page(session: Session, instance: Instance, viewer: Member, org_id: int) -> ClaimsPage:
    """The claims waiting for an organisation's admins, and its admins."""
    managed = services.access_managed_organisation(session, instance, viewer, org_id)
    org = managed.organisation
    total, pending = services.list_affiliations(
        session, instance, viewer, org.id, status=PENDING, per_page=100
    )
    admins = services.list_admins(session, instance, org)
    _, current = services.list_affiliations(
        session, instance, viewer, org.id, current=True, per_page=100
    )
    taken = {a.id for a in admins}
    return ClaimsPage(
        org, pending, total, admins, [a.member for a in current if a.member_id not in taken]
    )
