"""Benchmark of an opportunity's suggestions: which of an ambassador's contacts it fits.

    .venv/bin/python bench/opportunities/suggestions.py                  # 5,000 members,
                                                                         # 150 contacts
    .venv/bin/python bench/opportunities/suggestions.py --members 20000 --contacts 500

Builds a synthetic acme community (the demo's generator, bulk) in a temporary SQLite database
and Whoosh index, gives one ambassador ``--contacts`` connections, posts a job for the skills
their contacts list most, then times, median of ``--repeat`` runs:

- engine: ``opportunities.services.suggest_contacts`` as the page and the API call it (the
  contacts one may suggest from the database, one index query restricted to them, the
  members loaded);
- baseline: the naive scan, one index query per contact (the same words, restricted to that
  contact), then sorted by score; it must rank the same people.

Goal: ≤ 50 ms for 150 contacts. Timings are wall-clock on whatever else the machine runs:
compare the columns of one run, not runs.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]

from sqlalchemy import select  # noqa: E402

from maillon import create_app  # noqa: E402
from maillon.db import db  # noqa: E402
from maillon.demo.services import load_demo  # noqa: E402
from maillon.finder.indexing import index_for, reindex  # noqa: E402
from maillon.members.models import Member  # noqa: E402
from maillon.models import metadata  # noqa: E402
from maillon.network import services as network  # noqa: E402
from maillon.opportunities import services  # noqa: E402
from maillon.opportunities import suggestions as suggesting  # noqa: E402
from maillon.tenancy.registry import get_registry  # noqa: E402
from maillon.tenancy.services import get_instance_by_slug, sync_instances  # noqa: E402
from search import SearchQuery  # noqa: E402


def median_ms(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--contacts", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="maillon-bench-opp-") as tmp:
        app = create_app({"VAR_DIR": tmp, "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
                          "INSTANCES_DIR": str(ROOT / "instances"),
                          "THEMES_DIR": str(ROOT / "themes"), "SECRET_KEY": "bench",
                          "MAIL_SUPPRESS_SEND": True})
        metadata.create_all(app.extensions["maillon.engine"])
        with app.app_context():
            run(app, args)


def run(app: Any, args: argparse.Namespace) -> None:
    session = db.session
    sync_instances(session, list(get_registry(app).configs.values()))
    instance = get_instance_by_slug(session, "acme")
    start = time.perf_counter()
    load_demo(session, instance, members=args.members, seed=args.seed, bulk=True)
    members = list(session.scalars(select(Member).where(
        Member.instance_id == instance.id, Member.status == "active", Member.role == "member")
        .order_by(Member.id)))
    rng = random.Random(args.seed)
    ambassador, *others = rng.sample(members, args.contacts + 1)
    for contact in others:
        row = network.request_connection(session, instance, ambassador, contact.id)
        network.accept_connection(session, instance, contact, row.id)
    skills = Counter(s for m in others for s in (m.skills or []))
    opportunity = services.post_opportunity(session, instance, ambassador, {
        "kind": "job", "title": "Senior account manager", "location": "Lyon",
        "text": "An account manager for our key customers in the region.",
        "skills": [s for s, _n in skills.most_common(3)]})
    reindex(session, instance)
    session.commit()
    print(f"{len(members)} members, {args.contacts} contacts, built in "
          f"{time.perf_counter() - start:.0f} s; words: {suggesting.query_words(opportunity)}")

    def engine() -> list[tuple[int, float]]:
        rows = services.suggest_contacts(session, instance, ambassador, opportunity.id)
        session.rollback()
        return [(s.member.id, s.score) for s in rows]

    index = index_for(session, instance)

    def naive() -> list[tuple[int, float]]:
        """One index query per contact, then the best 20."""
        candidates = suggesting.eligible_contacts(
            session, instance, ambassador, opportunity,
            services.ambassador_ids(session, instance, opportunity))
        text = " OR ".join(suggesting.query_words(opportunity))
        scored = []
        for member_id in candidates:
            result = index.search(SearchQuery(text=text, allowed_ids=frozenset({str(member_id)}),
                                              per_page=1, facets=False))
            scored += [(int(h.id), h.score) for h in result.hits]
        session.rollback()
        return sorted(scored, key=lambda p: (-p[1], p[0]))[:suggesting.DEFAULT_LIMIT]

    engine(), naive()  # warm caches
    fast, ours = median_ms(engine, args.repeat)
    slow, theirs = median_ms(naive, max(3, args.repeat // 5))
    same = [i for i, _s in sorted(ours, key=lambda p: (-round(p[1], 6), p[0]))] == [
        i for i, _s in sorted(theirs, key=lambda p: (-round(p[1], 6), p[0]))]
    print(f"{'suggestions':<34}{'median ms':>10}")
    print(f"{'engine (one restricted query)':<34}{fast:>10.1f}   goal ≤ 50 ms")
    print(f"{'baseline (one query per contact)':<34}{slow:>10.1f}")
    print(f"{len(ours)} suggested; same people in the same order: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
