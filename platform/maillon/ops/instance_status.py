"""Each instance's size and health, for the deployment's operator (``maillon instances
status``): members by status and role, connections, requests in progress, queued jobs, the
search index, and the readiness of the whole deployment."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maillon.introductions.lifecycle import OPEN_STATUSES
from maillon.introductions.models import Introduction
from maillon.jobs.models import Job
from maillon.members.models import Member
from maillon.network.lifecycle import CONNECTED
from maillon.network.models import Connection
from maillon.ops.health import readiness
from maillon.tenancy.models import Instance
from maillon.tenancy.registry import get_registry


def _per_instance(session: Session, *columns: Any, where: Any = (), model: Any) -> dict:
    rows = session.execute(select(model.instance_id, *columns, func.count()).where(
        *where).group_by(model.instance_id, *columns)).all()
    found: dict = {}
    for row in rows:
        instance_id, *keys, count = row
        found[(instance_id, *keys) if keys else instance_id] = int(count)
    return found


def instance_status(session: Session, app: Flask, *, only: str | None = None
                    ) -> dict[str, Any]:
    """``{ready, checks, instances: [{slug, name, theme, hosts, members, admins, ...}]}``:
    one grouped query per figure, whatever the number of instances (``only``: one slug)."""
    ready = readiness(app)
    configs = get_registry(app).configs
    by_status = _per_instance(session, Member.status, model=Member)
    by_role = _per_instance(session, Member.role, where=(Member.status == "active",),
                            model=Member)
    connections = _per_instance(session, where=(Connection.status == CONNECTED,),
                                model=Connection)
    open_requests = _per_instance(session, where=(Introduction.status.in_(OPEN_STATUSES),),
                                 model=Introduction)
    jobs = _per_instance(session, where=(Job.status.in_(("queued", "running")),), model=Job)
    failed_jobs = _per_instance(session, where=(Job.status == "failed",), model=Job)
    admins: dict[int, list[str]] = {}
    for instance_id, email in session.execute(select(Member.instance_id, Member.email).where(
            Member.role == "admin", Member.status == "active").order_by(Member.email)):
        admins.setdefault(instance_id, []).append(email)
    search = ready.checks["search"].details.get("instances", {})
    instances = []
    rows = select(Instance).order_by(Instance.slug)
    for row in session.scalars(rows if only is None else rows.where(Instance.slug == only)):
        config = configs.get(row.slug)
        instances.append({
            "slug": row.slug, "name": row.name,
            "status": row.status, "status_reason": row.status_reason, "source": row.source,
            "configured": config is not None,
            "theme": config["theme"] if config else None,
            "hosts": list(config.hosts) if config else [],
            "members": {status: n for (i, status), n in by_status.items() if i == row.id},
            "moderators": by_role.get((row.id, "moderator"), 0),
            "admins": admins.get(row.id, []),
            "connections": connections.get(row.id, 0),
            "open_introductions": open_requests.get(row.id, 0),
            "jobs_waiting": jobs.get(row.id, 0), "jobs_failed": failed_jobs.get(row.id, 0),
            "search": search.get(row.slug, {"ok": False, "error": "not configured"}),
        })
    return {"ready": ready.ok,
            "checks": {name: {"ok": c.ok, **c.details} for name, c in ready.checks.items()
                       if name != "search"},
            "instances": instances}
