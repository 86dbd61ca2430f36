"""Inbox throughput: verified activities per second and per core, through the whole WSGI app.

    .venv/bin/python bench/federation/inbox.py [-n 400]

Issue 13's goal: at least 200 verified activities/s per core. The script builds the app on a
fresh SQLite var dir (migrated, instances synced, one instance federating), caches a remote
actor's key as a first fetch would, and POSTs ``-n`` distinct Follow activities signed
draft-cavage rsa-sha256 to the shared inbox, calling the WSGI app directly (no HTTP, one
thread): each goes through every check (digest, date, signature, signer) and is stored with
its job. It prints CPU milliseconds per activity (``time.thread_time``: what the neighbours'
load does not change much) and the activities per CPU-second, beside the baseline of the
signature verification alone (what no implementation can avoid), measured the same way.
Signing the requests happens before the timing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

REMOTE = "https://remote.example/users/bob"
KEY_ID = f"{REMOTE}#main-key"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=400)
    args = parser.parse_args()

    from maillon.app import create_app
    from maillon.cli import sync
    from maillon.db import db, utcnow
    from maillon.federation import signatures
    from maillon.federation.models import InboxActivity, RemoteKey
    from maillon.federation.policy import change_policy
    from maillon.members.models import Member
    from maillon.migrate import upgrade
    from maillon.security import hash_password
    from maillon.tenancy.services import get_instance_by_slug

    var = Path(tempfile.mkdtemp(prefix="maillon-inbox-bench-"))
    app = create_app({"VAR_DIR": str(var), "LOCAL_LINKS": True, "SERVER_PORT": 80})
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    with app.app_context():
        upgrade(app.config["DATABASE_URL"])
        sync()
        instance = get_instance_by_slug(db.session, "reseau")
        admin = Member(
            instance_id=instance.id,
            name="Bench Admin",
            email="admin@bench.example",
            password_hash=hash_password("x", "pbkdf2:sha256:1"),
            role="admin",
        )
        db.session.add(admin)
        db.session.add(RemoteKey(key_id=KEY_ID, actor=REMOTE, public_pem=pem, fetched_at=utcnow()))
        db.session.commit()
        change_policy(db.session, instance, admin, {"mode": "blocklist"})

    requests = []
    for n in range(args.n):
        body = json.dumps(
            {
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": f"https://remote.example/follows/{n}",
                "type": "Follow",
                "actor": REMOTE,
                "object": "http://reseau.localhost/actor",
            }
        ).encode()
        headers = signatures.sign_request(
            "POST",
            "http://reseau.localhost/inbox",
            key_id=KEY_ID,
            private_key=key,
            now=utcnow(),
            body=body,
        )
        requests.append(
            EnvironBuilder(
                path="/inbox",
                base_url="http://reseau.localhost",
                method="POST",
                data=body,
                headers=headers,
            ).get_environ()
        )

    def call(environ: dict) -> int:
        status: list[str] = []
        for _ in app.wsgi_app(dict(environ), lambda s, h, e=None: status.append(s)):
            pass
        return int(status[0].split()[0])

    call(requests[0])  # warm-up (the first one is stored too)
    cpu = []
    wall_start = time.perf_counter()
    for environ in requests[1:]:
        start = time.thread_time()
        assert call(environ) == 202
        cpu.append(time.thread_time() - start)
    wall = time.perf_counter() - wall_start
    with app.app_context():
        stored = db.session.query(InboxActivity).count()
    assert stored == args.n, stored

    parsed = signatures.parse_signature({k.lower(): v for k, v in headers.items()})
    lower = {k.lower(): v for k, v in headers.items()}
    base = []
    for _ in range(len(cpu)):
        start = time.thread_time()
        assert signatures.verify(parsed, pem, "POST", "http://reseau.localhost/inbox", lower)
        base.append(time.thread_time() - start)

    def line(name: str, samples: list[float]) -> str:
        median, mean = statistics.median(samples), statistics.fmean(samples)
        return f"{name:<28} {median * 1000:8.2f} {mean * 1000:8.2f} {1 / mean:10.0f}"

    print(
        f"{len(cpu)} activities, SQLite, one thread; wall {wall:.1f} s "
        f"({len(cpu) / wall:.0f}/s with the neighbours' load)"
    )
    print(f"{'':<28} {'median ms':>8} {'mean ms':>8} {'per CPU-s':>10}")
    print(line("inbox POST (whole app)", cpu))
    print(line("baseline: verify only", base))


if __name__ == "__main__":
    main()
