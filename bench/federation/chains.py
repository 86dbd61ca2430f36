"""A best chain that crosses to another server, against one that does not (issue 13's goal).

    .venv/bin/python bench/federation/chains.py                    # 100k members on each
                                                                   # server, ~50 links each
    .venv/bin/python bench/federation/chains.py --members 5000     # a quick look
    make bench-federation-chains ARGS="--members 20000"

Issue 13: "a cross-server best chain (two servers on loopback, 100k members each) found in p95
<= 150 ms". Two Maillon servers, each its own database (fresh SQLite files under a temporary
folder, or with ``--database postgres`` two new PostgreSQL databases on 127.0.0.1:5432, dropped
at the end): academia on server A, an association (``assoc``) on server B, as
``tests/federation/test_two_servers.py`` sets them up. Each gets ``--members`` members (a name,
no profile text) and the clustered synthetic community of ``bench/paths/community.py``
(``--degree`` links each on average), written with bulk inserts (no ORM per row): members,
their connections (already ``connected``, as accepted invitations leave them), every member
opted in to federation (a ``federated_members`` row, handle ``member.<id>``), both instances
federating (blocklist, as their admin would set it) and each graph saved as the snapshot the
jobs worker would have saved. Then ``--border`` pairs (an academia member, an assoc member) are
connected across the two servers with the rows a Follow/Accept both ways leaves on each side: a
``remote_actors`` row made by ``store_actor`` from the other server's own actor document and a
``remote_connections`` row, connected, each side's Follow id and the other's, the answer
``accepted`` (see ``tests/federation/test_two_servers.py``; the deliveries and inbox rows of
that exchange are not written, nothing measured reads them). The border members' keys share one
RSA pair (sealed per owner), made once: a thousand key generations would cost minutes and the
keys are never used here (the crossing is asked by the instance actor).

Both servers are served by gunicorn (``tests/processes.py``) on loopback ports with their
real host names (``FEDERATION_DEV_NETWORK``): B answers ``GET /ap/reach``, A serves its
instance actor whose key B fetches to verify the signed GET. A's planning runs in this
process on A's database (as a web worker would run it), ``-n`` times for random pairs of a
requester on A and a person T on B whom A knows (a ``remote_actors`` row, as a lookup leaves
it; T is connected to nobody on A), fixed ``--seed``:

* across: ``introductions.reach.plan_across`` (A's border, their distance from the
  requester, one signed GET to B, the best combination), its wall time; and the part of it
  spent waiting for B's answer (the signed fetch timed around the call);
* baseline, the same run: the same number of best chains between two academia members
  (``routing.plan_path``), what a chain costs when it does not cross.

Each call is its own transaction (rolled back after), as a request's would be. It prints
median, p95 and max (wall ms) and how many were found, side by side, then the goal check.
Timings are wall-clock on whatever else the machine runs: compare the rows of one run, not
runs. Not measured: several requests at once, B's first (cold) answer after a restart, the
search of B's directory that finds T.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT), str(ROOT / "bench" / "paths")]

from community import Community, generate  # noqa: E402

from bench.load.common import PG_ADMIN  # noqa: E402
from tests.processes import Processes, free_port  # noqa: E402

ASSOC = """name = "Entraide du Port"
hosts = ["assoc.localhost"]
theme = "classic"
locale = "fr"
"""
CHUNK = 50_000


def settings(tmp: Path, name: str, port: int, database: str, **more: str) -> dict[str, str]:
    """A served server's settings (MAILLON_* without the prefix), as the two-server test."""
    return {"DATABASE_URL": database, "SERVER_PORT": str(port),
            "FEDERATION_DEV_NETWORK": "1", "FEDERATION_KEY_SECRET": f"secret-{name}",
            "RATELIMIT_ENABLED": "0", "VAR_DIR": str(tmp / f"var-{name}"), **more}


def make_app(served: dict[str, str]) -> Any:
    """The same server in this process: same database, var/ (graph snapshots) and keys."""
    from maillon.app import create_app

    config: dict[str, Any] = {
        "DATABASE_URL": served["DATABASE_URL"], "VAR_DIR": served["VAR_DIR"],
        "SERVER_PORT": int(served["SERVER_PORT"]), "LOCAL_LINKS": True,
        "FEDERATION_DEV_NETWORK": True, "FEDERATION_KEY_SECRET": served["FEDERATION_KEY_SECRET"],
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1", "SECRET_KEY": "bench"}
    if "INSTANCES_DIR" in served:
        config["INSTANCES_DIR"] = served["INSTANCES_DIR"]
    return create_app(config)


# ---------------------------------------------------------------------- one server, in bulk


def unique_pairs(community: Community) -> tuple[np.ndarray, ...]:
    """The generator's links without repeats (either order): one connection per pair."""
    low = np.minimum(community.a, community.b)
    high = np.maximum(community.a, community.b)
    _, first = np.unique(low * (int(community.ids.max()) + 1) + high, return_index=True)
    return (community.a[first], community.b[first], community.trust_ab[first],
            community.trust_ba[first])


def populate(app: Any, slug: str, community: Community) -> int:
    """Members, connections, federation choices and the graph snapshot of one instance; the
    instance's id."""
    from sqlalchemy import func, insert, select, text

    from maillon.db import db, utcnow
    from maillon.federation.keys import ensure_key
    from maillon.federation.policy import change_policy
    from maillon.members.models import Member
    from maillon.migrate import upgrade
    from maillon.network.graph import save_snapshot
    from maillon.network.models import Connection
    from maillon.tenancy.models import Instance
    from maillon.tenancy.registry import get_registry
    from maillon.tenancy.services import sync_instances

    upgrade(app.config["DATABASE_URL"])
    with app.app_context():
        session = db.session
        sync_instances(session, list(get_registry(app).file_configs.values()))
        instance = session.scalar(select(Instance).where(Instance.slug == slug))
        assert instance is not None, slug
        now = utcnow()
        tables = Member.metadata.tables
        ids = community.ids.tolist()
        for start in range(0, len(ids), CHUNK):
            part = ids[start:start + CHUNK]
            session.execute(insert(tables["members"]), [{
                "id": i, "instance_id": instance.id, "email": f"m{i}@{slug}.example",
                "name": f"Member {i}", "status": "active", "created_at": now,
                "updated_at": now} for i in part])
            # What opting in on the settings page leaves (the handle _free_handle gives).
            session.execute(insert(tables["federated_members"]), [{
                "instance_id": instance.id, "member_id": i, "handle": f"member.{i}",
                "enabled": True, "discoverable": True, "created_at": now, "updated_at": now}
                for i in part])
        a, b, tab, tba = (x.tolist() for x in unique_pairs(community))
        when = now - timedelta(days=30)
        for start in range(0, len(a), CHUNK):
            session.execute(insert(tables["connections"]), [{
                "instance_id": instance.id, "low_id": min(x, y), "high_id": max(x, y),
                "requester_id": x, "addressee_id": y, "status": "connected", "message": "",
                "trust_requester": tx, "trust_addressee": ty, "rated_requester": True,
                "rated_addressee": True, "created_at": when, "responded_at": when,
                "connected_at": when} for x, y, tx, ty in zip(
                    a[start:start + CHUNK], b[start:start + CHUNK], tab[start:start + CHUNK],
                    tba[start:start + CHUNK], strict=True)])
        if session.get_bind().dialect.name == "postgresql":  # ids given: move the sequence on
            session.execute(text("SELECT setval(pg_get_serial_sequence('members', 'id'), "
                                 "(SELECT max(id) FROM members))"))
        session.commit()
        admin = Member(instance_id=instance.id, email=f"admin@{slug}.example", name="Admin",
                       role="admin", status="active")
        session.add(admin)
        session.commit()
        change_policy(session, instance, admin, {"mode": "blocklist"})
        ensure_key(session, instance, None)  # the instance actor's, which signs fetches
        session.commit()
        save_snapshot(session, instance)
        count = session.scalar(select(func.count()).select_from(Connection).where(
            Connection.instance_id == instance.id))
        assert count == len(a), (count, len(a))
        instance_id = int(instance.id)
    return instance_id


# ---------------------------------------------------------------------- the border


@contextmanager
def on(app: Any, slug: str) -> Iterator[tuple[Any, Any]]:
    """(session, instance) of ``slug`` in ``app``, committed on the way out."""
    from maillon.db import db
    from maillon.tenancy.services import get_instance_by_slug

    with app.app_context():
        yield db.session, get_instance_by_slug(db.session, slug)
        db.session.commit()  # the app context's end removes the session


def documents(app: Any, slug: str, member_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The actor documents the server serves for these members (their keys: one shared pair,
    sealed for each, made here; see the module docstring)."""
    from sqlalchemy import select

    from maillon.federation.actors import person_document
    from maillon.federation.keys import _store, find_key, generate_pair
    from maillon.federation.models import FederatedMember
    from maillon.members.models import Member

    public_pem, private_pem = generate_pair()
    out = {}
    with on(app, slug) as (session, instance):
        rows = session.execute(select(Member, FederatedMember).join(
            FederatedMember, FederatedMember.member_id == Member.id).where(
            Member.instance_id == instance.id, FederatedMember.instance_id == instance.id,
            Member.id.in_(member_ids))).all()
        for member, row in rows:
            key = find_key(session, instance, member) or _store(
                session, instance, member, 1, public_pem, private_pem)
            session.flush()
            out[member.id] = person_document(session, instance, member, row, key)
    return out


def connect_border(app_a: Any, app_b: Any, pairs: list[tuple[int, int]]) -> None:
    """Each (A member, B member) connected as after A's member asked, B's accepted and both
    Follows were accepted: on each side the other's actor and a connected remote connection
    holding its own Follow id (``our_follow_id``) and the other's (``follow_id``)."""
    from maillon.db import utcnow
    from maillon.federation.connections import store_actor
    from maillon.federation.lifecycle import CONNECTED
    from maillon.federation.models import RemoteConnection

    docs_a = documents(app_a, "academia", sorted({x for x, _ in pairs}))
    docs_b = documents(app_b, "assoc", sorted({y for _, y in pairs}))
    made: dict[str, dict[tuple[int, int], RemoteConnection]] = {}
    for app, slug, mine, theirs in ((app_a, "academia", 0, docs_b),
                                    (app_b, "assoc", 1, docs_a)):
        with on(app, slug) as (session, instance):
            now = utcnow()
            rows = {}
            for pair in pairs:
                actor = store_actor(session, instance, theirs[pair[1 - mine]], now)
                session.flush()
                rows[pair] = RemoteConnection(
                    instance_id=instance.id, member_id=pair[mine], remote_actor_id=actor.id,
                    status=CONNECTED, their_answer="accepted", requested_at=now)
            session.add_all(rows.values())
            session.flush()
            for (x, y), row in rows.items():
                me = (docs_a if mine == 0 else docs_b)[x if mine == 0 else y]["id"]
                row.our_follow_id = f"{me}/follows/{row.id}/{int(now.timestamp() * 1000)}"
            made[slug] = rows
    # Each side's follow_id is the other side's Follow.
    for app, slug, other in ((app_a, "academia", "assoc"), (app_b, "assoc", "academia")):
        with on(app, slug) as (session, _instance):
            for pair, row in made[slug].items():
                merged = session.merge(row)
                merged.follow_id = made[other][pair].our_follow_id


def know_targets(app_a: Any, app_b: Any, target_ids: list[int]) -> dict[int, int]:
    """A's rows for people on B (as a lookup leaves them): B member id -> RemoteActor id."""
    from maillon.db import utcnow
    from maillon.federation.connections import store_actor

    docs = documents(app_b, "assoc", target_ids)
    with on(app_a, "academia") as (session, instance):
        actors = {i: store_actor(session, instance, docs[i], utcnow()) for i in target_ids}
        session.flush()
        return {i: int(actor.id) for i, actor in actors.items()}


# ---------------------------------------------------------------------- measuring


def percentiles(took: list[float]) -> tuple[float, float, float]:
    ordered = sorted(took)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return statistics.median(ordered), p95, ordered[-1]


def timed(app: Any, pairs: list[tuple[int, int]],
          run: Callable[[Any, Any, int, int], int]) -> tuple[list[float], list[int]]:
    """Wall ms of ``run(session, instance, source, target)`` per pair, each in its own
    transaction, and the links of each chain found (a ServiceError is "not found")."""
    from maillon.errors import ServiceError

    took, hops = [], []
    with on(app, "academia") as (session, instance):
        for source, target in pairs:
            start = time.perf_counter()
            with suppress(ServiceError):
                hops.append(run(session, instance, source, target))
            took.append((time.perf_counter() - start) * 1000)
            session.rollback()
    return took, hops


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000, help="on each server")
    parser.add_argument("--degree", type=float, default=50.0, help="mean links per member")
    parser.add_argument("--border", type=int, default=500,
                        help="(A member, B member) pairs connected across")
    parser.add_argument("-n", type=int, default=200, help="chains planned, each way")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite",
                        help="postgres: two new databases on 127.0.0.1:5432 (user postgres), "
                        "dropped at the end")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="maillon-chains-bench-"))
    (tmp / "instances-b" / "assoc").mkdir(parents=True)
    (tmp / "instances-b" / "assoc" / "instance.toml").write_text(ASSOC, encoding="utf-8")
    databases = {side: f"sqlite:///{tmp / f'{side}.db'}" for side in "ab"}
    if args.database == "postgres":
        databases = {side: postgres(f"maillon_bench_chains_{secrets.token_hex(3)}_{side}")
                     for side in "ab"}
    try:
        return run(args, tmp, databases)
    finally:
        for url in databases.values():
            if url.startswith("postgresql"):
                subprocess.run([*PG_ADMIN, "-c", "DROP DATABASE IF EXISTS "
                                f"{url.rsplit('/', 1)[1]} WITH (FORCE)"], check=False)


def postgres(name: str) -> str:
    subprocess.run([*PG_ADMIN, "-c", f"CREATE DATABASE {name}"], check=True)
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def run(args: argparse.Namespace, tmp: Path, databases: dict[str, str]) -> int:
    from maillon.members.models import Member

    port_a, port_b = free_port(), free_port()
    served_a = settings(tmp, "a", port_a, databases["a"])
    served_b = settings(tmp, "b", port_b, databases["b"],
                        INSTANCES_DIR=str(tmp / "instances-b"))
    app_a, app_b = make_app(served_a), make_app(served_b)

    started = time.monotonic()
    on_a = generate(args.members, mean_degree=args.degree, seed=args.seed)
    on_b = generate(args.members, mean_degree=args.degree, seed=args.seed + 1)
    populate(app_a, "academia", on_a)
    populate(app_b, "assoc", on_b)
    rng = np.random.default_rng(args.seed)
    border = sorted(set(zip(rng.choice(on_a.ids, args.border).tolist(),
                            rng.choice(on_b.ids, args.border).tolist(), strict=True)))
    connect_border(app_a, app_b, border)
    crossing = list(zip(rng.choice(on_a.ids, args.n).tolist(),
                        rng.choice(np.setdiff1d(on_b.ids, [y for _, y in border]),
                                   args.n).tolist(), strict=True))
    remote_of = know_targets(app_a, app_b, sorted({t for _, t in crossing}))
    local = [tuple(rng.choice(on_a.ids, 2, replace=False).tolist()) for _ in range(args.n)]
    print(f"setup: two servers of {args.members:,} members ({len(unique_pairs(on_a)[0]):,} and "
          f"{len(unique_pairs(on_b)[0]):,} connections), {len(border)} border pairs, in "
          f"{time.monotonic() - started:.0f} s; databases and logs in {tmp}", flush=True)

    from maillon.federation.models import RemoteActor
    from maillon.introductions import reach, routing

    # B's answer: the signed fetch plan_across makes, timed around the call.
    waited: list[float] = []
    fetch = reach.fetch_json

    def timed_fetch(*a: Any, **k: Any) -> Any:
        start = time.perf_counter()
        try:
            return fetch(*a, **k)
        finally:
            waited.append((time.perf_counter() - start) * 1000)

    reach.fetch_json = timed_fetch

    def across(session: Any, instance: Any, source: int, target: int) -> int:
        requester = session.get(Member, source)
        remote = session.get(RemoteActor, remote_of[target])
        plan = reach.plan_across(session, instance, requester, remote)
        assert plan.path[0] == source and plan.path[-1] == -remote.id, plan
        return int(plan.hops)

    def same_server(session: Any, instance: Any, source: int, target: int) -> int:
        path = routing.plan_path(session, instance, session.get(Member, source),
                                 session.get(Member, target))
        return len(path) - 1

    processes = Processes(app_a, tmp)
    try:
        processes.server("a", port=port_a, **served_a)
        processes.server("b", port=port_b, **served_b)
        timed(app_a, crossing[:5], across)  # warm-up: graphs mapped, keys fetched
        timed(app_a, local[:5], same_server)
        waited.clear()
        results = {"same server (plan_path)": timed(app_a, local, same_server),
                   "across (plan_across)": timed(app_a, crossing, across)}
    finally:
        processes.stop()

    print(f"\nbest chains, {args.n} random pairs each (wall ms, seed {args.seed})")
    print(f"{'':36} {'found':>7} {'links':>5} {'median':>7} {'p95':>7} {'max':>7}")
    for label, (took, hops) in results.items():
        median, p95, worst = percentiles(took)
        links = statistics.mean(hops) if hops else float("nan")
        print(f"{label:36} {len(hops):>3}/{len(took):<3} {links:5.1f} {median:7.1f} "
              f"{p95:7.1f} {worst:7.1f}")
    if waited:
        median, p95, worst = percentiles(waited)
        share = sum(waited) / sum(results["across (plan_across)"][0])
        print(f"{'  of which B answers GET /ap/reach':36} {len(waited):>7} {'':5} "
              f"{median:7.1f} {p95:7.1f} {worst:7.1f}  ({share:.0%} of the time across)")
    p95 = percentiles(results["across (plan_across)"][0])[1]
    print(f"\ngoal, a cross-server best chain in p95 <= 150 ms: "
          f"{'met' if p95 <= 150 else 'not met'} ({p95:.1f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
