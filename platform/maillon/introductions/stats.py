"""How an instance's introductions fare: direct vs relayed success by chain length, time to
reach the target, and where requests drop off along the chain."""

from __future__ import annotations

from datetime import datetime
from statistics import median
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maillon.introductions.lifecycle import (
    ACCEPTED,
    ANSWERED_STATUSES,
    PASSED_HOP_STATUSES,
    STOPPED_HOP_STATUSES,
)
from maillon.introductions.models import Introduction, IntroductionHop
from maillon.tenancy.models import Instance

# A request is decided once its fate no longer depends on anyone; withdrawn and blocked ones
# say nothing about the chain and are left out of success rates.
DECIDED = ANSWERED_STATUSES


def _rate(success: int, decided: int) -> float | None:
    return success / decided if decided else None


def statistics(session: Session, instance: Instance, *, start: datetime | None = None,
               end: datetime | None = None) -> dict[str, Any]:
    """The instance's numbers (rates in 0..1, None where nothing is decided yet), for the
    requests made from ``start`` (included) to ``end`` (excluded) when given.

    ``by_length``: per chain length (links of the final attempt; 1 is direct) the requests,
    the decided ones, the accepted ones and the success rate; ``direct``/``relayed`` sum them.
    ``median_seconds_to_target``: from request to delivery, for relayed requests that arrived.
    ``drop_off``: per relay position, how many received a request, passed it on, or stopped
    it (declined, let it expire, or advised instead), and the share stopped.
    """
    made = [Introduction.instance_id == instance.id]
    if start is not None:
        made.append(Introduction.created_at >= start)
    if end is not None:
        made.append(Introduction.created_at < end)
    rows = session.execute(select(Introduction.hops, Introduction.status, func.count()).where(
        *made).group_by(Introduction.hops, Introduction.status)).all()
    by_length: dict[int, dict[str, Any]] = {}
    for hops, status, count in rows:
        entry = by_length.setdefault(int(hops), {"hops": int(hops), "requests": 0,
                                                 "decided": 0, "accepted": 0})
        entry["requests"] += count
        entry["decided"] += count if status in DECIDED else 0
        entry["accepted"] += count if status == ACCEPTED else 0
    for entry in by_length.values():
        entry["success_rate"] = _rate(entry["accepted"], entry["decided"])

    def total(relayed: bool) -> dict[str, Any]:
        picked = [e for h, e in by_length.items() if (h > 1) == relayed]
        sums = {key: sum(e[key] for e in picked) for key in ("requests", "decided", "accepted")}
        return {**sums, "success_rate": _rate(sums["accepted"], sums["decided"])}

    arrivals = session.execute(select(Introduction.created_at, Introduction.delivered_at).where(
        *made, Introduction.hops > 1, Introduction.delivered_at.is_not(None))).all()
    waits = [(delivered - created).total_seconds() for created, delivered in arrivals
             if delivered is not None]

    hop_rows = session.execute(select(IntroductionHop.position, IntroductionHop.status,
                                      func.count()).join(
        Introduction, Introduction.id == IntroductionHop.introduction_id).where(
        IntroductionHop.instance_id == instance.id, *made).group_by(
        IntroductionHop.position, IntroductionHop.status)).all()
    drop: dict[int, dict[str, Any]] = {}
    for position, status, count in hop_rows:
        entry = drop.setdefault(int(position), {"position": int(position), "reached": 0,
                                                "passed": 0, "stopped": 0})
        entry["reached"] += count
        entry["passed"] += count if status in PASSED_HOP_STATUSES else 0
        entry["stopped"] += count if status in STOPPED_HOP_STATUSES else 0
    for entry in drop.values():
        entry["drop_rate"] = _rate(entry["stopped"], entry["passed"] + entry["stopped"])

    return {
        "direct": total(False),
        "relayed": total(True),
        "by_length": [by_length[h] for h in sorted(by_length)],
        "median_seconds_to_target": median(waits) if waits else None,
        "drop_off": [drop[p] for p in sorted(drop)],
    }
