"""Sister communities' exchanges in process against the same exchanges over loopback HTTP.

    .venv/bin/python bench/federation/local.py [-n 200]

Decision 58 hands a fetch or a delivery between two instances of one deployment to the app in
the same process instead of the network. This script measures what one exchange costs both
ways, in one run: academia fetches the actor document of a reseau member (a signed GET,
verified by reseau as any signed fetch is checked: its key host against its policy) ``-n``
times

* **in process** (``FEDERATION_LOCAL_EXCHANGE`` on, the default), and
* **over HTTP** to the same app served on a loopback port by Werkzeug's threaded server
  (``FEDERATION_LOCAL_EXCHANGE`` off, ``FEDERATION_DEV_NETWORK`` on so that loopback is
  allowed): what the exchange would cost without decision 58, the socket and the server's
  HTTP parsing included.

It prints the median and p95 wall milliseconds of each, side by side. Fresh SQLite var dir,
migrated, instances synced, both communities federating, the member reachable.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _times(run: object, n: int) -> list[float]:
    took = []
    for _ in range(n):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        took.append((time.perf_counter() - start) * 1000)
    return sorted(took)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=200)
    args = parser.parse_args()

    from sqlalchemy import select
    from werkzeug.serving import make_server

    from maillon.app import create_app
    from maillon.cli import sync
    from maillon.db import db, utcnow
    from maillon.federation import membership, urls
    from maillon.federation.connections import fetch_actor
    from maillon.federation.policy import change_policy
    from maillon.members.models import Member
    from maillon.migrate import upgrade
    from maillon.security import hash_password
    from maillon.tenancy.services import get_instance_by_slug

    port = _free_port()
    var = Path(tempfile.mkdtemp(prefix="maillon-local-bench-"))
    app = create_app({"VAR_DIR": str(var), "LOCAL_LINKS": True, "SERVER_PORT": port})
    with app.app_context():
        upgrade(app.config["DATABASE_URL"])
        sync()
        academia = get_instance_by_slug(db.session, "academia")
        reseau = get_instance_by_slug(db.session, "reseau")
        members = {}
        for instance in (academia, reseau):
            admin = Member(instance_id=instance.id, email=f"admin@{instance.slug}.example",
                           name="Admin", role="admin", status="active",
                           password_hash=hash_password("x", "pbkdf2:sha256:1"))
            person = Member(instance_id=instance.id, email=f"person@{instance.slug}.example",
                            name="Person", status="active", password_hash=admin.password_hash)
            db.session.add_all([admin, person])
            db.session.commit()
            change_policy(db.session, instance, admin, {"mode": "blocklist"})
            db.session.commit()
            members[instance.slug] = person
        membership.change_member_federation(db.session, reseau, members["reseau"],
                                            {"enabled": True})
        db.session.commit()
        target = urls.member_actor(reseau, members["reseau"].id)
        assert db.session.scalar(select(Member.id).where(Member.id == members["reseau"].id))

    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def fetch() -> None:
        with app.app_context():
            document = fetch_actor(db.session, academia, target, utcnow())
            assert document["id"] == target

    results = {}
    try:
        for label, local in (("in process", True), ("over HTTP", False)):
            app.config.update(FEDERATION_LOCAL_EXCHANGE=local, FEDERATION_DEV_NETWORK=not local)
            for _ in range(10):  # warm-up: keys made, connections opened, templates loaded
                fetch()
            results[label] = _times(fetch, args.n)
    finally:
        server.shutdown()
    print(f"signed fetch of a sister community's actor, {args.n} times each (wall ms)")
    print(f"{'':12} {'median':>8} {'p95':>8}")
    for label, took in results.items():
        p95 = took[min(len(took) - 1, int(0.95 * len(took)))]
        print(f"{label:12} {statistics.median(took):8.2f} {p95:8.2f}")
    base = statistics.median(results["over HTTP"])
    print(f"in process / over HTTP: {statistics.median(results['in process']) / base:.2f}")


if __name__ == "__main__":
    main()
