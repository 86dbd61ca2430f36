"""The retention policy of closed introductions: past ``introductions.retention_days`` after a
request closed, its private texts are erased; the rows, statuses, positions and dates stay,
so the statistics still count them.

Erased: the requester's message, the target's answer, the advice, every hop's note, vouch and
decline reason, and the free texts of its events. The purge runs per instance (each has its
own setting; 0 keeps texts forever), in batches of ``BATCH`` requests, each batch its own short
transaction; ``purged_at`` marks a done request, so a repeat or a second worker skips it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from maillon.db import begin_write, utcnow
from maillon.introductions.lifecycle import OPEN_STATUSES
from maillon.introductions.models import Introduction, IntroductionEvent, IntroductionHop
from maillon.jobs.services import periodic
from maillon.rights.export import EVENT_TEXTS
from maillon.tenancy.models import Instance

BATCH = 200
EVERY_SECONDS = 3600


def retention_cutoff(instance: Instance, now: datetime) -> datetime | None:
    """Requests closed before this have their texts erased; None: kept forever."""
    days = int(instance.setting("introductions.retention_days"))
    return None if days <= 0 else now - timedelta(days=days)


def purge_closed_introductions(session: Session, instance: Instance, *,
                               now: datetime | None = None, batch: int = BATCH) -> int:
    """Erase the private texts of the instance's requests closed longer ago than its
    retention; returns how many requests were purged."""
    now = now or utcnow()
    cutoff = retention_cutoff(instance, now)
    if cutoff is None:
        return 0
    done = 0
    while True:
        begin_write(session)
        query = (select(Introduction).where(
            Introduction.instance_id == instance.id, Introduction.closed_at.is_not(None),
            Introduction.closed_at < cutoff, Introduction.purged_at.is_(None),
            Introduction.status.not_in(OPEN_STATUSES))
            .order_by(Introduction.id).limit(batch))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        intros = session.scalars(query.execution_options(populate_existing=True)).all()
        if not intros:
            session.commit()
            return done
        ids = [i.id for i in intros]
        for intro in intros:
            intro.message = intro.outcome_message = intro.advice = ""
            intro.purged_at = now
        session.execute(update(IntroductionHop).where(
            IntroductionHop.instance_id == instance.id,
            IntroductionHop.introduction_id.in_(ids)).values(
            note_from_previous="", vouch="", decline_reason=""))
        for event in session.scalars(select(IntroductionEvent).where(
                IntroductionEvent.instance_id == instance.id,
                IntroductionEvent.introduction_id.in_(ids))):
            if any(event.data.get(k) for k in EVENT_TEXTS):
                event.data = {k: ("" if k in EVENT_TEXTS else v) for k, v in event.data.items()}
        session.commit()
        done += len(intros)


def purge_all_instances(session: Session, now: datetime | None = None) -> int:
    """The periodic task: every instance by its own setting."""
    total = 0
    for instance in session.scalars(select(Instance).order_by(Instance.id)).all():
        total += purge_closed_introductions(session, instance, now=now)
    return total


@periodic("purge_closed_introductions", every_seconds=EVERY_SECONDS)
def _purge(session: Session) -> None:
    purge_all_instances(session)
