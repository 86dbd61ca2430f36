"""Talks to the database of a running benchmark server, through the app's own services.

Run by run.py and faults.py in a subprocess whose environment is the server's (same
MAILLON_VAR_DIR, MAILLON_DATABASE_URL, MAILLON_SEARCH_BACKEND):

    python bench/load/appdata.py prepare OUT.json [--per-instance 4] [--targets 10]
    python bench/load/appdata.py verify DATA.json ACKS.json OUT.json

``prepare`` issues API tokens with ``issue_api_token`` (not POST /api/v1/tokens: logins are
rate limited) and lists, for each token, what the load generators may read and write.
``verify`` checks the acknowledged writes of a fault drill against the database, plus the
jobs table and the search indexes.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]

from sqlalchemy import func, select  # noqa: E402

from maillon import create_app  # noqa: E402
from maillon.accounts.services import issue_api_token  # noqa: E402
from maillon.db import db, utcnow  # noqa: E402
from maillon.finder.indexing import searchable_ids  # noqa: E402
from maillon.jobs.models import Job  # noqa: E402
from maillon.members.models import Member  # noqa: E402
from maillon.network.endorsement_models import Endorsement, skill_key  # noqa: E402
from maillon.network.models import Connection  # noqa: E402
from maillon.tenancy.models import Instance  # noqa: E402


def _visible(member: Member) -> bool:
    return member.status == "active" and (member.visibility or {}).get("in_directory", True)


def prepare(per_instance: int, targets: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    out: dict[str, Any] = {"tokens": [], "ids": {}}
    session = db.session
    for instance in session.scalars(select(Instance).order_by(Instance.slug)):
        members = list(session.scalars(select(Member).where(
            Member.instance_id == instance.id).order_by(Member.id)))
        visible = [m for m in members if _visible(m)]
        if not visible:
            continue
        out["ids"][instance.slug] = [m.id for m in visible]
        # Degrees of every member: pick well connected ordinary members as the callers.
        rows = session.execute(select(Connection.low_id, Connection.high_id, Connection.status)
                               .where(Connection.instance_id == instance.id)).all()
        degree: Counter[int] = Counter()
        related: dict[int, set[int]] = {}
        connected: dict[int, set[int]] = {}
        for low, high, status in rows:
            related.setdefault(low, set()).add(high)
            related.setdefault(high, set()).add(low)
            if status == "connected":
                degree[low] += 1
                degree[high] += 1
                connected.setdefault(low, set()).add(high)
                connected.setdefault(high, set()).add(low)
        candidates = [m for m in visible if m.role == "member" and degree[m.id] >= 3]
        rng.shuffle(candidates)
        callers = candidates[:per_instance]
        caller_ids = {m.id for m in callers}
        by_id = {m.id: m for m in visible}
        for caller in callers:
            unrelated = [i for i in by_id if i != caller.id and i not in caller_ids
                         and i not in related.get(caller.id, set())]
            rng.shuffle(unrelated)
            endorsed = {(e.member_id, e.skill_key) for e in session.scalars(
                select(Endorsement).where(Endorsement.endorser_id == caller.id))}
            endorse = [[f, s] for f in sorted(connected.get(caller.id, set())) if f in by_id
                       for s in (by_id[f].skills or []) if (f, skill_key(s)) not in endorsed]
            rng.shuffle(endorse)
            out["tokens"].append({
                "slug": instance.slug, "member_id": caller.id, "headline": caller.headline,
                "token": issue_api_token(session, caller),
                "connect": unrelated[:targets], "endorse": endorse[:200]})
    return out


def verify(data: dict[str, Any], acks: dict[str, Any]) -> dict[str, Any]:
    """What the drill's acknowledged writes look like in the database now."""
    session = db.session
    report: dict[str, Any] = {}
    by_member = {t["member_id"]: t for t in data["tokens"]}

    # Profile updates: each member's headline must be its last acknowledged value, or a value
    # sent after it whose answer never came (it may have been committed).
    lost_patch = []
    for member_id, record in acks["patch"].items():
        member = session.get(Member, int(member_id))
        acked, later = record["acked"], record["unanswered_after"]
        if acked is None:
            continue
        if member is None or (member.headline != acked and member.headline not in later):
            lost_patch.append({"member_id": int(member_id), "expected": acked,
                               "found": member.headline if member else None})
    report["patch"] = {"checked": sum(1 for r in acks["patch"].values() if r["acked"]),
                       "writes_acked": sum(r["count"] for r in acks["patch"].values()),
                       "lost": lost_patch}

    lost_conn = []
    for requester, target in acks["connect"]:
        low, high = sorted((requester, target))
        row = session.scalar(select(Connection).where(Connection.low_id == low,
                                                      Connection.high_id == high))
        if row is None or row.status not in ("pending", "connected"):
            lost_conn.append({"requester": requester, "target": target,
                              "found": row.status if row else None})
    report["connect"] = {"checked": len(acks["connect"]), "lost": lost_conn}

    lost_end = []
    for endorser, member_id, skill in acks["endorse"]:
        row = session.scalar(select(Endorsement.id).where(
            Endorsement.endorser_id == endorser, Endorsement.member_id == member_id,
            Endorsement.skill_key == skill_key(skill)))
        if row is None:
            lost_end.append({"endorser": endorser, "member": member_id, "skill": skill})
    report["endorse"] = {"checked": len(acks["endorse"]), "lost": lost_end}

    statuses = dict(session.execute(select(Job.status, func.count(Job.id))
                                    .group_by(Job.status)).all())
    def job_dict(j: Job) -> dict[str, Any]:
        later = 0
        if j.status == "running" and j.locked_at is not None:
            later = session.scalar(select(func.count(Job.id)).where(
                Job.status == "done", Job.finished_at > j.locked_at)) or 0
        return {"finished_after_it_was_claimed": later, "id": j.id, "kind": j.kind,
                "status": j.status, "attempts": j.attempts,
                "locked_by": j.locked_by,
                "locked_at": j.locked_at.isoformat() if j.locked_at else None,
                "run_after": j.run_after.isoformat(),
                "last_error": (j.last_error or "")[-1500:]}

    problems = [job_dict(j) for j in session.scalars(select(Job).where(
        Job.status.in_(("running", "failed"))).order_by(Job.id))]
    retried = [job_dict(j) for j in session.scalars(select(Job).where(
        Job.status.in_(("done", "queued")), Job.last_error.is_not(None)).order_by(Job.id))]
    queued = session.scalar(select(func.count(Job.id)).where(Job.status == "queued"))
    report["jobs"] = {"by_status": statuses, "queued": queued, "problems": problems,
                      "retried": retried}
    report["callers"] = sorted(by_member)
    return report


def status() -> dict[str, Any]:
    """Jobs by status (queued split into due now and later) and searchable members."""
    session = db.session
    now = utcnow()
    jobs: Counter[str] = Counter(dict(session.execute(
        select(Job.status, func.count(Job.id)).where(Job.status.in_(("done", "failed")))
        .group_by(Job.status)).all()))
    for state, run_after in session.execute(select(Job.status, Job.run_after).where(
            Job.status.in_(("queued", "running")))):
        jobs[state if state != "queued" else
             ("queued due" if run_after <= now else "queued later")] += 1
    searchable = {instance.slug: len(searchable_ids(session, instance))
                  for instance in session.scalars(select(Instance).order_by(Instance.slug))}
    return {"jobs": jobs, "searchable": searchable}


def settle(timeout: float) -> dict[str, Any]:
    """Wait until the jobs worker has nothing due or running (the prepared data indexed,
    its e-mails sent), so that no scenario pays for that catch-up; give up after
    ``timeout`` seconds and say what was left."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        jobs = status()["jobs"]
        db.session.rollback()
        busy = jobs.get("queued due", 0) + jobs.get("running", 0)
        if not busy or time.monotonic() > deadline:
            return {"settled": not busy, "busy": busy}
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("out")
    p.add_argument("--per-instance", type=int, default=4)
    p.add_argument("--targets", type=int, default=10)
    p.add_argument("--seed", type=int, default=11)
    v = sub.add_parser("verify")
    v.add_argument("data")
    v.add_argument("acks")
    v.add_argument("out")
    sub.add_parser("status")
    w = sub.add_parser("settle")
    w.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args()
    app = create_app({"DB_STATEMENT_TIMEOUT_MS": 0})
    with app.app_context():
        if args.command == "prepare":
            result = prepare(args.per_instance, args.targets, args.seed)
            Path(args.out).write_text(json.dumps(result))
        elif args.command == "status":
            print(json.dumps(status()))
        elif args.command == "settle":
            print(json.dumps(settle(args.timeout)))
        else:
            result = verify(json.loads(Path(args.data).read_text()),
                            json.loads(Path(args.acks).read_text()))
            Path(args.out).write_text(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
