"""An organisation's reach as its people and admins may see it: counts only (decision 39).

The levels come from the graph service (``reachcore.reach_levels`` over ``graph_for``), never
from SQL row by row. What members chose is respected: suspended and deleted accounts are not
counted; a member whose contact list is hidden from everybody is counted but their contacts
do not count through them; members out of the directory count in the totals but in no
breakdown row; a breakdown row counts at least ``organisations.min_group_size`` people, the
smaller groups are merged into one "other" row (itself shown only when that big). Growth is a
daily snapshot of the three counts, written by the jobs worker.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, or_, select, true
from sqlalchemy.orm import Session

from maillon.db import begin_write, flush_or_find, utcnow
from maillon.errors import Forbidden
from maillon.jobs.services import periodic
from maillon.members.models import Member
from maillon.members.services import VISIBLE_STATUSES
from maillon.network.graph import graph_for
from maillon.ops.metrics import observe
from maillon.organisations.lifecycle import CONFIRMED
from maillon.organisations.models import Affiliation, Organisation, ReachSnapshot
from maillon.organisations.reachcore import Levels, reach_levels
from maillon.organisations.services import (
    access_organisation,
    current_member_ids,
    is_admin_of,
    is_current_member,
)
from maillon.tenancy.models import Instance

#: Ids read per statement when breaking a level down (within every backend's parameter cap).
CHUNK = 5_000
#: Days of growth shown.
HISTORY_DAYS = 180
#: Organisations snapshotted per instance and worker run (the rest on the next run).
SNAPSHOTS_PER_RUN = 200


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Reach:
    members: int  # confirmed affiliations, current and past
    first_degree: int  # current members counted
    second_degree: int
    third_degree: int
    by_organisation: list[Group]
    by_sector: list[Group]
    by_location: list[Group]
    history: list[ReachSnapshot] = field(default_factory=list)
    min_group_size: int = 5


def may_see_reach(session: Session, instance: Instance, viewer: Member, org: Organisation) -> bool:
    """The organisation's current members, its admins and instance admins (decision 39)."""
    return (
        viewer.is_admin
        or is_admin_of(session, instance, viewer, org.id)
        or is_current_member(session, instance, viewer, org.id)
    )


def access_reach_viewer(
    session: Session, instance: Instance, viewer: Member, org_id: int
) -> Organisation:
    """The organisation, for whom may see its reach and ask who can introduce it; 403 for
    other members, 404 for other instances."""
    org = access_organisation(session, instance, viewer, org_id)
    if not may_see_reach(session, instance, viewer, org):
        raise Forbidden(
            "not_organisation_member",
            _("Only the organisation's members and admins see its reach."),
        )
    return org


def _special_members(session: Session, instance: Instance) -> tuple[list[int], list[int]]:
    """(absent: not active, closed: contact list hidden from everybody), in one query over
    the few members concerned."""
    hidden = Member.visibility["contacts_visible_to"].as_string() == "nobody"
    rows = session.execute(
        select(Member.id, Member.status, hidden).where(
            Member.instance_id == instance.id, or_(Member.status.not_in(VISIBLE_STATUSES), hidden)
        )
    ).all()
    absent = [r[0] for r in rows if r[1] not in VISIBLE_STATUSES]
    closed = [r[0] for r in rows if r[1] in VISIBLE_STATUSES and r[2]]
    return absent, closed


def compute_levels(session: Session, instance: Instance, org_id: int) -> tuple[int, Levels]:
    """(current members counted, the levels) of an organisation, from the graph service."""
    members = current_member_ids(session, instance, org_id)
    absent, closed = _special_members(session, instance)
    levels = reach_levels(graph_for(session, instance), members, closed=closed, absent=absent)
    return len(members), levels


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


_LISTED = func.coalesce(Member.visibility["in_directory"].as_boolean(), true()).is_(true())
_PLACES = select(Member.location).where(
    Member.instance_id == bindparam("instance_id"),
    Member.id.in_(bindparam("ids", expanding=True)),
    _LISTED,
)
_ORGS = (
    select(Affiliation.member_id, Organisation.id, Organisation.name, Organisation.sector)
    .join(Organisation, Organisation.id == Affiliation.organisation_id)
    .join(Member, Member.id == Affiliation.member_id)
    .where(
        Affiliation.instance_id == bindparam("instance_id"),
        Affiliation.member_id.in_(bindparam("ids", expanding=True)),
        Affiliation.status == CONFIRMED,
        Affiliation.current.is_(True),
        _LISTED,
    )
)


def _groups(counts: Counter[str], labels: dict[str, str], total: int, minimum: int) -> list[Group]:
    """Rows of at least ``minimum`` people, biggest first; the rest as one "other" row when
    it is that big too (``total`` people in all, hidden and unstated ones included)."""
    shown = sorted(
        ((key, n) for key, n in counts.items() if n >= minimum and key),
        key=lambda item: (-item[1], labels.get(item[0], item[0])),
    )
    rows = [Group(key, labels.get(key, key), n) for key, n in shown]
    rest = total - sum(n for _, n in shown)
    if rest >= minimum:
        rows.append(Group("", _("Other or not stated"), rest))
    return rows


def breakdowns(
    session: Session, instance: Instance, org_id: int, people: Iterable[int], minimum: int
) -> tuple[list[Group], list[Group], list[Group]]:
    """The people broken down by their current organisation, its sector and their location
    (members out of the directory in none). A person with several organisations counts in
    each (and once per sector)."""
    from maillon.organisations.validation import sector_labels

    ids = [int(i) for i in people]
    places: Counter[str] = Counter()
    spelled: dict[str, Counter[str]] = {}
    by_org: Counter[str] = Counter()
    by_sector: Counter[str] = Counter()
    org_names: dict[str, str] = {}
    for chunk in _chunks(ids):
        params = {"instance_id": instance.id, "ids": chunk}
        for (location,) in session.execute(_PLACES, params):
            key = " ".join((location or "").split()).casefold()
            if key:
                places[key] += 1
                spelled.setdefault(key, Counter())[location.strip()] += 1
        sectors_of: dict[int, set[str]] = {}
        for member_id, oid, name, sector in session.execute(_ORGS, params):
            if oid == org_id:
                continue
            by_org[str(oid)] += 1
            org_names[str(oid)] = name
            sectors_of.setdefault(member_id, set()).add(sector)
        for sectors in sectors_of.values():
            by_sector.update(sectors)
    place_labels = {key: spellings.most_common(1)[0][0] for key, spellings in spelled.items()}
    total = len(ids)
    return (
        _groups(by_org, org_names, total, minimum),
        _groups(by_sector, sector_labels(), total, minimum),
        _groups(places, place_labels, total, minimum),
    )


def count_affiliated(session: Session, instance: Instance, org_id: int) -> int:
    return int(
        session.scalar(
            select(func.count(Affiliation.id))
            .join(Member, Member.id == Affiliation.member_id)
            .where(
                Affiliation.instance_id == instance.id,
                Affiliation.organisation_id == org_id,
                Affiliation.status == CONFIRMED,
                Member.status.in_(VISIBLE_STATUSES),
            )
        )
        or 0
    )


def history(
    session: Session, instance: Instance, org_id: int, days: int = HISTORY_DAYS
) -> list[ReachSnapshot]:
    since = utcnow().date() - timedelta(days=days)
    return list(
        session.scalars(
            select(ReachSnapshot)
            .where(
                ReachSnapshot.instance_id == instance.id,
                ReachSnapshot.organisation_id == org_id,
                ReachSnapshot.day >= since,
            )
            .order_by(ReachSnapshot.day)
        )
    )


@observe("organisation_reach")
def organisation_reach(session: Session, instance: Instance, viewer: Member, org_id: int) -> Reach:
    """The organisation's reach now, its breakdowns and its growth, for whom may see it."""
    org = access_reach_viewer(session, instance, viewer, org_id)
    counted, levels = compute_levels(session, instance, org.id)
    minimum = int(instance.setting("organisations.min_group_size"))
    by_org, by_sector, by_location = breakdowns(
        session, instance, org.id, levels.second.tolist(), minimum
    )
    return Reach(
        members=count_affiliated(session, instance, org.id),
        first_degree=counted,
        second_degree=len(levels.second),
        third_degree=len(levels.third),
        by_organisation=by_org,
        by_sector=by_sector,
        by_location=by_location,
        history=history(session, instance, org.id),
        min_group_size=minimum,
    )


def record_snapshot(
    session: Session, instance: Instance, org_id: int, day: date | None = None
) -> ReachSnapshot:
    """Today's counts of one organisation (once a day: a repeat returns the first)."""
    day = day or utcnow().date()

    def find() -> ReachSnapshot | None:
        return session.scalar(
            select(ReachSnapshot).where(
                ReachSnapshot.instance_id == instance.id,
                ReachSnapshot.organisation_id == org_id,
                ReachSnapshot.day == day,
            )
        )

    existing = find()
    if existing is not None:
        return existing
    counted, levels = compute_levels(session, instance, org_id)  # slow work: before the lock
    begin_write(session)
    row = ReachSnapshot(
        instance_id=instance.id,
        organisation_id=org_id,
        day=day,
        members=counted,
        second_degree=len(levels.second),
        third_degree=len(levels.third),
    )
    session.add(row)
    replay = flush_or_find(session, find)
    if replay is not None:
        return replay
    session.commit()
    return row


@periodic("organisation_reach_snapshots", every_seconds=3600)
def _daily_snapshots(session: Session) -> None:
    """Snapshot each organisation that has none for today yet."""
    today = utcnow().date()
    for instance in list(session.scalars(select(Instance))):
        done = select(ReachSnapshot.organisation_id).where(
            ReachSnapshot.instance_id == instance.id, ReachSnapshot.day == today
        )
        todo = list(
            session.scalars(
                select(Organisation.id)
                .where(Organisation.instance_id == instance.id, Organisation.id.not_in(done))
                .order_by(Organisation.id)
                .limit(SNAPSHOTS_PER_RUN)
            )
        )
        for org_id in todo:
            record_snapshot(session, instance, org_id, today)
