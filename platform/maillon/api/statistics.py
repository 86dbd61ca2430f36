"""The staff's statistics over a date range, as JSON or CSV (docs/api.md)."""

from __future__ import annotations

from typing import Any, Literal

from flask import Response, g
from pydantic import BaseModel, Field

from maillon.api.errors import validate_query
from maillon.api.idempotency import Reply
from maillon.api.registry import operation
from maillon.db import db
from maillon.members.models import Member
from maillon.moderation.services import access_staff
from maillon.statistics import services
from maillon.statistics.periods import parse_range

TAG = "moderation"


class StatisticsArgs(BaseModel):
    since: str = ""
    until: str = ""
    format: Literal["json", "csv"] = "json"


class MemberSeries(BaseModel):
    joined: list[int]
    total: list[int]


class StatisticsOut(BaseModel):
    since: str
    until: str
    step: Literal["day", "week", "month"]
    periods: list[str] = Field(description="The first day of each period (YYYY-MM-DD).")
    members: MemberSeries
    activity: dict[str, list[int]] = Field(description=", ".join(services.ACTIVITY))
    moderation: dict[str, list[int]] = Field(description=", ".join(services.MODERATION))
    introductions: dict[str, Any] = Field(description=(
        "{direct, relayed: {requests, decided, accepted, success_rate}, by_length: [{hops, "
        "...}], median_seconds_to_target, drop_off: [{position, reached, passed, stopped, "
        "drop_rate}]} for the requests made in the range."))


@operation("GET", "/admin/statistics", summary="The instance's statistics (staff)", tag=TAG,
           description=(
               "Query: since and until (YYYY-MM-DD, whole UTC days, until included; default "
               "the 90 days up to today; at most ten years), format (json or csv). Each "
               "series has one count per period: per day up to 62 days, per ISO week up to "
               "two years, per month beyond."),
           responses={200: ("The figures, or the CSV file", StatisticsOut),
                      403: "forbidden (not a moderator or admin of this instance)",
                      422: "validation_failed"})
def statistics(member: Member) -> Reply:
    access_staff(g.instance, member)  # before reading any argument
    args: StatisticsArgs = validate_query(StatisticsArgs)
    rng = parse_range({"since": args.since, "until": args.until})
    data = services.dashboard(db.session, g.instance, member, rng)
    if args.format == "csv":
        name = f"statistics-{g.instance.slug}-{rng.since.isoformat()}-{rng.until.isoformat()}"
        return Response(services.dashboard_csv(data), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="{name}.csv"'}), 200
    return {**data, "since": rng.since.isoformat(), "until": rng.until.isoformat(),
            "periods": [p.isoformat() for p in data["periods"]]}, 200
