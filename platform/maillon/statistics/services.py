"""The numbers of the staff's statistics dashboard, one grouped query per series.

Every series counts rows of this instance whose time falls in the range, per period of
``StatsRange.periods()``; nothing about any one member is returned, only counts.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from maillon.introductions.models import DirectMessage, Introduction
from maillon.introductions.stats import statistics as introduction_statistics
from maillon.members.models import Member
from maillon.members.services import VISIBLE_STATUSES
from maillon.moderation.models import SANCTION_KINDS, Appeal, Report, Sanction
from maillon.moderation.services import access_staff
from maillon.network.endorsement_models import Endorsement
from maillon.network.models import Connection
from maillon.network.recommendation_models import Recommendation
from maillon.statistics.periods import StatsRange
from maillon.tenancy.models import Instance

#: The series of each chart, in the order the page and the CSV file list them.
ACTIVITY = ("connections", "introductions", "messages", "endorsements", "recommendations")
MODERATION = ("reports", *SANCTION_KINDS, "appeals")


def _day(session: Session, column: InstrumentedAttribute[Any]) -> ColumnElement[Any]:
    """The UTC day of a timestamp column, as the database computes it."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _series(session: Session, instance: Instance, rng: StatsRange, model: Any,
            column: InstrumentedAttribute[Any], *where: Any) -> list[int]:
    """Rows of ``model`` per period, by the time in ``column``."""
    day = _day(session, column)
    rows = session.execute(select(day, func.count()).where(
        model.instance_id == instance.id, column >= rng.start, column < rng.end, *where
    ).group_by(day)).all()
    periods = rng.periods()
    slot = {p: i for i, p in enumerate(periods)}
    counts = [0] * len(periods)
    for value, count in rows:
        counts[slot[rng.period_of(_as_date(value))]] += int(count)
    return counts


def dashboard(session: Session, instance: Instance, viewer: Member | None,
              rng: StatsRange) -> dict[str, Any]:
    """Everything the dashboard shows for ``rng``: staff (moderators and admins) only.

    ``members``: ``joined`` per period and ``total`` at the end of each (members who can use
    the instance, whether or not they are in the directory); ``activity``: connections made,
    introductions asked for, direct messages, endorsements and recommendations written;
    ``introductions``: the requests made in the range as ``introductions.stats`` counts them;
    ``moderation``: reports filed (but those staff chose to ignore), sanctions by kind and
    appeals lodged.
    """
    access_staff(instance, viewer)
    member = (Member.status.in_(VISIBLE_STATUSES),)
    joined = _series(session, instance, rng, Member, Member.created_at, *member)
    before = int(session.scalar(select(func.count(Member.id)).where(
        Member.instance_id == instance.id, Member.created_at < rng.start, *member)) or 0)
    totals, running = [], before
    for count in joined:
        running += count
        totals.append(running)
    activity = {
        "connections": _series(session, instance, rng, Connection, Connection.connected_at),
        "introductions": _series(session, instance, rng, Introduction, Introduction.created_at),
        "messages": _series(session, instance, rng, DirectMessage, DirectMessage.created_at),
        "endorsements": _series(session, instance, rng, Endorsement, Endorsement.created_at),
        "recommendations": _series(session, instance, rng, Recommendation,
                                   Recommendation.created_at),
    }
    moderation = {"reports": _series(session, instance, rng, Report, Report.created_at,
                                     Report.ignored.is_(False))}
    moderation.update({kind: _series(session, instance, rng, Sanction, Sanction.created_at,
                                     Sanction.kind == kind) for kind in SANCTION_KINDS})
    moderation["appeals"] = _series(session, instance, rng, Appeal, Appeal.created_at)
    return {
        "since": rng.since, "until": rng.until, "step": rng.step, "periods": rng.periods(),
        "members": {"joined": joined, "total": totals},
        "activity": activity,
        "moderation": moderation,
        "introductions": introduction_statistics(session, instance, start=rng.start,
                                                 end=rng.end),
    }


def dashboard_csv(data: dict[str, Any]) -> str:
    """The dashboard as one CSV table: a row per period with every series, then the
    introductions' figures by chain length and by position in the chain."""
    out = io.StringIO()
    writer = csv.writer(out)
    series = [("members_joined", data["members"]["joined"]),
              ("members_total", data["members"]["total"]),
              *((name, data["activity"][name]) for name in ACTIVITY),
              *((f"sanctions_{kind}" if kind in SANCTION_KINDS else kind,
                 data["moderation"][kind]) for kind in MODERATION)]
    writer.writerow(["period_start", *(name for name, _values in series)])
    for i, period in enumerate(data["periods"]):
        writer.writerow([period.isoformat(), *(values[i] for _name, values in series)])
    intro = data["introductions"]
    writer.writerow([])
    writer.writerow(["links", "requests", "decided", "accepted", "success_rate"])
    for row in intro["by_length"]:
        writer.writerow([row["hops"], row["requests"], row["decided"], row["accepted"],
                         "" if row["success_rate"] is None else f"{row['success_rate']:.4f}"])
    writer.writerow([])
    writer.writerow(["position", "reached", "passed", "stopped", "drop_rate"])
    for row in intro["drop_off"]:
        writer.writerow([row["position"], row["reached"], row["passed"], row["stopped"],
                         "" if row["drop_rate"] is None else f"{row['drop_rate']:.4f}"])
    writer.writerow([])
    seconds = intro["median_seconds_to_target"]
    writer.writerow(["median_seconds_to_target", "" if seconds is None else round(seconds)])
    return out.getvalue()
