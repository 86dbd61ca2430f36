"""Delivery across a peer's outage: 1,000 activities queued while the peer is down, none lost.

    .venv/bin/python bench/federation/outage.py [--outage-seconds 600] [-n 1000]
    make bench-federation-outage ARGS="--outage-seconds 60"

Issue 13's goal: 0 activities lost across a 10-minute peer outage with 1,000 queued
deliveries. Our server runs as in ``tests/federation/test_two_servers.py``: real processes (a
gunicorn web server and a ``maillon worker``, ``tests/processes.py``) on loopback, on a fresh
SQLite database (``--database-url`` for another, empty one). ``-n`` members of ``reseau`` are
each connected with one person on the peer (``peer.localhost``; the rows a Follow/Accept
would have left, written by the setup). The peer is down (nothing listens on its port: every
try is a refused connection). Each member then changes their name with ``PATCH /api/v1/me``:
the announcement job queues one ``Update{Person}`` per member for the peer's shared inbox, so
``-n`` deliveries wait, retried on Mastodon's schedule (n⁴ + 15 s + jitter, 16 tries) with
``FEDERATION_RETRY_SCALE`` = outage / 2 days: the tries of the first two days happen within
the outage. The edits are made before the jobs worker starts (on SQLite its tries would slow
them down, and the first deliveries would then wait longer than two days' worth); the outage
is counted from the worker's start, which queues the deliveries and begins trying them.
Half-way through, the jobs worker is killed with SIGKILL and started again. When the outage
ends the peer comes up and the script waits until nothing is queued.

The peer is a small receiver in this process, not a second Maillon: it verifies each POST as
our inbox does, with ``maillon.federation.signatures`` (draft-cavage signature over
``(request-target) host date digest content-type``, the digest of the body, the Date within
an hour, the key fetched from our server's actor document and owned by the activity's actor)
and records the activity ids. A second Maillon would also verify, but would process each
activity through its own jobs queue and add its own load to the two shared cores; what is
measured here is our outbox. A request that fails verification is answered 401 and counted.

It prints what was queued, delivered (our side) and received (the peer, by activity id),
what was lost, duplicates received, the tries made, the drain time after recovery, and the
admins' per-server failure state (``GET /api/v1/admin/federation/deliveries``) during the
outage and after. Exit status 1 if anything was lost.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]

from maillon.federation import signatures  # noqa: E402
from tests.processes import Processes, free_port, request  # noqa: E402

TWO_DAYS = 2 * 24 * 3600
HOST = "reseau.localhost"
DATE_WINDOW = timedelta(hours=1)


# ---------------------------------------------------------------------- the peer


class Peer:
    """A shared inbox on loopback that verifies our signatures and records activity ids."""

    def __init__(self, port: int, our_port: int) -> None:
        self.port, self.our_port = port, our_port
        self.received: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self.first_at: float | None = None
        self.last_new_at: float | None = None
        self.keys: dict[str, tuple[str, str]] = {}  # key id -> (owner, PEM)
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.control: bool | None = None

    def refuses_tampering(self, path: str, headers: dict[str, str], body: bytes) -> bool:
        """The control: the first request verified, its body changed by one letter (and its
        digest made to match) must fail the signature check."""
        tampered = body.replace(b'"Update"', b'"Updatf"', 1)
        try:
            self.check(path, {**headers, "digest": signatures.sha256_digest(tampered)}, tampered)
        except ValueError:
            return True
        return False

    def key(self, key_id: str) -> tuple[str, str]:
        """The key's owner and PEM, from our server's actor document (fetched once)."""
        if key_id not in self.keys:
            url = urlsplit(key_id)
            connection = http.client.HTTPConnection("127.0.0.1", self.our_port, timeout=10)
            try:
                connection.request("GET", url.path, headers={
                    "Host": url.netloc, "Accept": "application/activity+json"})
                response = connection.getresponse()
                document = json.loads(response.read())
            finally:
                connection.close()
            public = document.get("publicKey") or {}
            if public.get("id") != key_id:
                raise ValueError(f"{key_id}: not in the actor document")
            self.keys[key_id] = (str(public["owner"]), str(public["publicKeyPem"]))
        return self.keys[key_id]

    def check(self, path: str, headers: dict[str, str], body: bytes) -> str:
        """The activity's id if the request verifies; ValueError (with a reason) if not."""
        parsed = signatures.parse_signature(headers)
        if not {"(request-target)", "host", "date", "digest"} <= set(parsed.covered):
            raise ValueError("not every required header is signed")
        if headers.get("digest") != signatures.sha256_digest(body):
            raise ValueError("the digest does not match the body")
        moment = parsedate_to_datetime(headers.get("date", ""))
        if abs(datetime.now(UTC) - moment) > DATE_WINDOW:
            raise ValueError("stale Date")
        owner, pem = self.key(parsed.key_id)
        url = f"http://{headers['host']}{path}"
        if not signatures.verify(parsed, pem, "POST", url, headers):
            raise ValueError("the signature does not verify")
        activity = json.loads(body)
        if activity.get("actor") != owner:
            raise ValueError("the signer is not the actor")
        return str(activity["id"])

    def start(self) -> None:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    activity_id = peer.check(self.path, headers, body)
                except (ValueError, KeyError, signatures.SignatureProblem) as exc:
                    with peer.lock:
                        peer.refused[str(exc)] += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                if peer.control is None:
                    peer.control = peer.refuses_tampering(self.path, headers, body)
                now = time.monotonic()
                with peer.lock:
                    if activity_id not in peer.received:
                        peer.last_new_at = now
                    peer.first_at = peer.first_at or now
                    peer.received[activity_id] += 1
                self.send_response(202)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


# ---------------------------------------------------------------------- our server


def setup(app: Any, n: int, peer_origin: str) -> dict[str, Any]:
    """Members of reseau opted in, each connected with one person on the peer; their tokens
    and the admin's."""
    from sqlalchemy import select

    from maillon.accounts.services import issue_api_token
    from maillon.db import db, utcnow
    from maillon.federation import membership, policy
    from maillon.federation.connections import store_actor
    from maillon.federation.keys import ensure_key
    from maillon.federation.models import RemoteConnection
    from maillon.members.models import Member
    from maillon.migrate import upgrade
    from maillon.security import hash_password
    from maillon.tenancy.models import Instance
    from maillon.tenancy.registry import get_registry
    from maillon.tenancy.services import sync_instances

    upgrade(app.config["DATABASE_URL"])
    with app.app_context():
        sync_instances(db.session, list(get_registry(app).file_configs.values()))
        instance = db.session.scalar(select(Instance).where(Instance.slug == "reseau"))
        assert instance is not None
        secret = hash_password("not-used", app.config["PASSWORD_HASH_METHOD"])
        admin = Member(instance_id=instance.id, name="Bench Admin", email="admin@bench.example",
                       role="admin", password_hash=secret, status="active")
        db.session.add(admin)
        db.session.commit()
        policy.change_policy(db.session, instance, admin, {"mode": "blocklist"})
        tokens = []
        for i in range(n):
            member = Member(instance_id=instance.id, name=f"Member {i}",
                            email=f"m{i}@bench.example", role="member", password_hash=secret,
                            status="active")
            db.session.add(member)
            db.session.commit()
            membership.change_member_federation(
                db.session, instance, member, {"enabled": True, "discoverable": True})
            ensure_key(db.session, instance, member)  # made when their Follow was signed
            person = f"{peer_origin}/users/p{i}"
            actor = store_actor(db.session, instance, {
                "id": person, "type": "Person", "preferredUsername": f"p{i}",
                "name": f"Person {i}", "inbox": f"{person}/inbox",
                "endpoints": {"sharedInbox": f"{peer_origin}/inbox"}}, utcnow())
            db.session.flush()
            db.session.add(RemoteConnection(
                instance_id=instance.id, member_id=member.id, remote_actor_id=actor.id,
                status="connected", follow_id=f"{person}/follows/1",
                our_follow_id=f"{peer_origin}/our-follows/{i}", their_answer="accept"))
            db.session.commit()
            tokens.append(issue_api_token(db.session, member))
        admin_token = issue_api_token(db.session, admin)
        db.session.remove()
    return {"tokens": tokens, "admin_token": admin_token}


def deliveries(port: int, admin_token: str) -> dict[str, Any]:
    status, body = request(port, "GET", "/api/v1/admin/federation/deliveries", host=HOST,
                           token=admin_token)
    assert status == 200, body
    return dict(body)


def tries(app: Any) -> tuple[int, Counter[str]]:
    """Tries made so far (every delivery's ``attempts``), and the deliveries by status."""
    from sqlalchemy import func, select

    from maillon.db import db
    from maillon.federation.models import Delivery

    with app.app_context():
        made = int(db.session.scalar(select(func.coalesce(func.sum(Delivery.attempts), 0))))
        statuses = Counter(dict(db.session.execute(
            select(Delivery.status, func.count()).group_by(Delivery.status)).all()))
        db.session.remove()
    return made, statuses


def server_state(overview: dict[str, Any], host: str) -> str:
    rows = [s for s in overview["servers"] if s["host"] == host]
    if not rows:
        return "(not listed)"
    row = rows[0]
    return (f"queued {row['queued']}, failed {row['failed']}, failure_days "
            f"{row['failure_days']}, unavailable_since {row['unavailable_since']}, "
            f"last_error {row['last_error'][:90]!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outage-seconds", type=float, default=600)
    parser.add_argument("-n", type=int, default=1000, help="deliveries (members) queued")
    parser.add_argument("--database-url", default="", help="an empty database (default: a "
                        "new SQLite file)")
    parser.add_argument("--drain-timeout", type=float, default=0,
                        help="seconds to wait for the outbox to drain (default: the outage)")
    args = parser.parse_args()

    from maillon.app import create_app

    tmp = Path(tempfile.mkdtemp(prefix="maillon-outage-bench-"))
    port, peer_port = free_port(), free_port()
    peer_origin = f"http://peer.localhost:{peer_port}"
    scale = args.outage_seconds / TWO_DAYS
    database = args.database_url or f"sqlite:///{tmp / 'maillon.db'}"
    settings = {
        "DATABASE_URL": database, "SERVER_PORT": str(port), "FEDERATION_DEV_NETWORK": "1",
        "FEDERATION_RETRY_SCALE": f"{scale:.9f}", "FEDERATION_UPDATE_DELAY_SECONDS": "0",
        "FEDERATION_KEY_SECRET": "outage-bench-secret", "RATELIMIT_ENABLED": "0",
    }
    app = create_app({"VAR_DIR": str(tmp / "var-setup"), "DATABASE_URL": database,
                      "SERVER_PORT": port, "LOCAL_LINKS": True,
                      "FEDERATION_KEY_SECRET": settings["FEDERATION_KEY_SECRET"],
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1"})
    started = time.monotonic()
    people = setup(app, args.n, peer_origin)
    print(f"setup: {args.n} members connected with people on {peer_origin} "
          f"({time.monotonic() - started:.0f} s); logs in {tmp}", flush=True)

    processes = Processes(app, tmp)
    peer = Peer(peer_port, port)
    try:
        processes.server("web", port=port, **settings)
        # The peer is down from here; every member changes their name (the worker is not
        # started yet: on SQLite its tries would slow the edits down, and the first
        # deliveries would then wait longer than the outage).
        down_since = time.monotonic()
        for i, token in enumerate(people["tokens"]):
            status, body = request(port, "PATCH", "/api/v1/me", {"name": f"Member {i} (new)"},
                                   host=HOST, token=token)
            assert status == 200, body
        edits = time.monotonic() - down_since
        # The outage is counted from the worker's start: it queues the deliveries (one
        # announcement job per member) and begins trying them at once.
        processes.worker("worker", **settings)
        outage_start = time.monotonic()
        deadline = outage_start + args.outage_seconds / 2
        while sum(tries(app)[1].values()) < args.n and time.monotonic() < deadline:
            time.sleep(0.5)
        print(f"{args.n} edits answered in {edits:.0f} s; the worker started: "
              f"{sum(tries(app)[1].values())} deliveries queued "
              f"{time.monotonic() - outage_start:.0f} s later, for "
              f"{args.outage_seconds:.0f} s of outage with FEDERATION_RETRY_SCALE {scale:.6f} "
              f"(two days of tries in the outage)", flush=True)
        time.sleep(max(0.0, outage_start + args.outage_seconds / 2 - time.monotonic()))
        made, _ = tries(app)
        processes.kill("worker")
        print(f"at {time.monotonic() - outage_start:.0f} s: jobs worker killed (SIGKILL) after "
              f"{made} tries; started again 2 s later", flush=True)
        time.sleep(2)
        processes.worker("worker", **settings)
        time.sleep(max(0.0, outage_start + args.outage_seconds - time.monotonic()))
        during = deliveries(port, people["admin_token"])
        made, statuses = tries(app)
        host = "peer.localhost"
        print(f"end of the outage ({time.monotonic() - down_since:.0f} s down in all, "
              f"{time.monotonic() - outage_start:.0f} s since the worker started): {made} tries "
              f"made, deliveries {dict(statuses)}")
        print(f"  admins see: queued {during['queued']}, delivered {during['delivered']}, "
              f"expired {during['expired']}, rejected {during['rejected']}; {host}: "
              f"{server_state(during, host)}", flush=True)

        # The peer is back.
        peer.start()
        recovered = time.monotonic()
        deadline = recovered + (args.drain_timeout or max(args.outage_seconds, 120))
        while time.monotonic() < deadline:
            if deliveries(port, people["admin_token"])["queued"] == 0:
                break
            time.sleep(0.5)
        drained = time.monotonic() - recovered
        time.sleep(3)  # a late duplicate would show here
        after = deliveries(port, people["admin_token"])
        made, statuses = tries(app)
    finally:
        peer.stop()
        processes.stop()

    queued = sum(statuses.values())
    unique = len(peer.received)
    duplicates = sum(count - 1 for count in peer.received.values())
    lost = queued - unique
    first = (peer.first_at - recovered) if peer.first_at else float("nan")
    last = (peer.last_new_at - recovered) if peer.last_new_at else float("nan")
    print(f"after recovery: outbox empty after {drained:.1f} s (first activity received after "
          f"{first:.1f} s, the last new one after {last:.1f} s); {made} tries in all")
    print(f"  admins see: queued {after['queued']}, delivered {after['delivered']}, "
          f"expired {after['expired']}, rejected {after['rejected']}; {host}: "
          f"{server_state(after, host)}")
    print()
    print(f"{'queued':<34} {queued:>6}")
    print(f"{'delivered (our outbox)':<34} {statuses.get('delivered', 0):>6}")
    print(f"{'received by the peer (unique ids)':<34} {unique:>6}")
    print(f"{'lost':<34} {lost:>6}")
    print(f"{'duplicates received':<34} {duplicates:>6}")
    print(f"{'refused by the peer (unverified)':<34} {sum(peer.refused.values()):>6}"
          + (f"  {dict(peer.refused)}" if peer.refused else ""))
    print(f"{'drain time after recovery (s)':<34} {drained:>6.1f}  (on the real schedule, "
          f"FEDERATION_RETRY_SCALE 1: {drained / scale / 3600:.1f} h)")
    print(f"control: a tampered copy of the first activity is refused by the peer: "
          f"{'yes' if peer.control else 'NO'}")
    return 1 if lost or queued < args.n or not peer.control else 0


if __name__ == "__main__":
    sys.exit(main())
