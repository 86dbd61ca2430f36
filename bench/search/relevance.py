"""Search relevance on the demo communities: nDCG@10 and MRR over graded judgments.

Builds the three demo instances (``maillon demo``, seed 7) in a temporary var/ (SQLite and
Whoosh), indexes them, and runs every query of ``judgments.toml`` through the real
``finder.services.search_members``, as a logged-in member of the instance sees it (network
boosts included; ``--anonymous`` without). Prints nDCG@10 and MRR (first result of grade ≥ 1)
overall, per language and per query type.

    .venv/bin/python bench/search/relevance.py                 # ~1 minute: builds, measures
    .venv/bin/python bench/search/relevance.py --var /tmp/rv   # keep/reuse the built var/
    .venv/bin/python bench/search/relevance.py --var /tmp/rv --show 'CFO' --verbose
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import tomllib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
GOAL = 0.85
K = 10
# The member each instance's searches are made as: an ordinary member persona of the demo.
VIEWERS = {"academia": "claire.dubois@univ-lumiere.example.fr",
           "acme": "sam.taylor@acme.example", "reseau": "julien.perrin@example.org"}


@dataclass
class Judged:
    instance: str
    text: str
    language: str
    type: str
    grades: dict[str, int] = field(default_factory=dict)  # e-mail -> grade


def load_judgments(path: Path) -> list[Judged]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out = []
    for q in data["query"]:
        grades = {e: g for g in (3, 2, 1) for e in q.get(f"grade{g}", [])}
        out.append(Judged(q["instance"], q["text"], q["language"], q["type"], grades))
    return out


def dcg(grades: Iterable[int]) -> float:
    return sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(grades))


def ndcg(ranked: list[str], judged: dict[str, int], k: int = K) -> float:
    ideal = dcg(sorted(judged.values(), reverse=True)[:k])
    return dcg(judged.get(e, 0) for e in ranked[:k]) / ideal if ideal else 0.0


def reciprocal_rank(ranked: list[str], judged: dict[str, int]) -> float:
    for i, email in enumerate(ranked, 1):
        if judged.get(email, 0) >= 1:
            return 1.0 / i
    return 0.0


def build(var: Path) -> None:
    """Migrate, load the demo communities and index them, in ``var``."""
    from maillon import create_app
    from maillon.cli import sync
    from maillon.db import db
    from maillon.demo.services import load_demo
    from maillon.finder.indexing import reindex
    from maillon.migrate import upgrade
    from maillon.tenancy.services import get_instance_by_slug

    app = create_app()
    with app.app_context():
        upgrade(app.config["DATABASE_URL"])
        sync()
        for slug in VIEWERS:
            instance = get_instance_by_slug(db.session, slug)
            created = load_demo(db.session, instance, seed=7)
            indexed = reindex(db.session, instance)
            print(f"{slug}: {created} members created, {indexed} indexed", file=sys.stderr)


def run(judgments: list[Judged], anonymous: bool, show: str | None,
        dump: Path | None) -> list[tuple[Judged, list[str], float, float]]:
    from sqlalchemy import select

    from maillon import create_app
    from maillon.db import db
    from maillon.finder.indexing import _iter_documents
    from maillon.finder.services import search_members
    from maillon.members.models import Member
    from maillon.tenancy.services import get_instance_by_slug

    app = create_app()
    results = []
    with app.app_context():
        instances = {slug: get_instance_by_slug(db.session, slug) for slug in VIEWERS}
        emails: dict[int, str] = dict(db.session.execute(select(Member.id, Member.email)).all())
        if dump is not None:
            docs = {slug: [dict(d, email=emails[int(d["id"])])
                           for d in _iter_documents(db.session, inst)]
                    for slug, inst in instances.items()}
            dump.write_text(json.dumps(docs, ensure_ascii=False, default=str), encoding="utf-8")
        known = set(emails.values())
        for q in judgments:
            missing = [e for e in q.grades if e not in known]
            if missing:
                print(f"warning: {q.instance} {q.text!r}: {len(missing)} judged members are not "
                      "in the demo (was the demo changed? regenerate with make_judgments.py)",
                      file=sys.stderr)
            instance = instances[q.instance]
            viewer = None if anonymous else db.session.scalar(select(Member).where(
                Member.instance_id == instance.id, Member.email == VIEWERS[q.instance]))
            outcome = search_members(db.session, instance, viewer, text=q.text, per_page=K,
                                     language=q.language)
            ranked = [emails[h.member.id] for h in outcome.hits]
            results.append((q, ranked, ndcg(ranked, q.grades), reciprocal_rank(ranked, q.grades)))
            if show is not None and (show == "*" or show == q.text):
                print(f"\n{q.instance} {q.text!r}: nDCG@10 {results[-1][2]:.3f} "
                      f"total {outcome.total} suggestion {outcome.suggestion!r}")
                for h, email in zip(outcome.hits, ranked, strict=True):
                    print(f"  {q.grades.get(email, 0)} {h.score:7.3f} {h.member.name:24} "
                          f"{h.member.position}")
            db.session.rollback()
    return results


def report(results: list[tuple[Judged, list[str], float, float]], verbose: bool) -> float:
    groups: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for q, _, n, rr in results:
        for key in ("all", f"language {q.language}", f"type {q.type}", f"instance {q.instance}"):
            groups[key].append((n, rr))
    print(f"{'':28} {'queries':>7} {'nDCG@10':>8} {'MRR':>6}")
    for key in sorted(groups, key=lambda k: (k != "all", k)):
        values = groups[key]
        n = sum(v[0] for v in values) / len(values)
        rr = sum(v[1] for v in values) / len(values)
        print(f"{key:28} {len(values):7d} {n:8.3f} {rr:6.3f}")
    if verbose:
        print("\nworst queries:")
        for q, _, n, rr in sorted(results, key=lambda r: r[2])[:25]:
            print(f"  {n:.3f} {rr:.2f} {q.instance:9} {q.type:13} {q.text}")
    overall = sum(r[2] for r in results) / len(results)
    verdict = "met" if overall >= GOAL else "NOT met"
    print(f"\nnDCG@10 {overall:.3f} over {len(results)} queries: goal {GOAL} {verdict}")
    return overall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--var", help="var/ directory to build in or reuse (default: temporary)")
    parser.add_argument("--judgments", default=str(HERE / "judgments.toml"))
    parser.add_argument("--anonymous", action="store_true",
                        help="search without a viewer (no network boosts)")
    parser.add_argument("--show", metavar="QUERY", help="print the top 10 of this query (* all)")
    parser.add_argument("--verbose", action="store_true", help="list the worst queries")
    parser.add_argument("--dump", metavar="JSON", help="write the indexed profiles (for "
                        "make_judgments.py)")
    args = parser.parse_args()
    tmp = None
    if args.var:
        var = Path(args.var).resolve()
    else:
        tmp = tempfile.TemporaryDirectory(prefix="maillon-relevance-")
        var = Path(tmp.name)
    os.environ["MAILLON_VAR_DIR"] = str(var)
    os.environ["MAILLON_DATABASE_URL"] = f"sqlite:///{var / 'maillon.db'}"
    os.environ["MAILLON_SEARCH_BACKEND"] = "whoosh"
    os.environ.setdefault("MAILLON_DB_STATEMENT_TIMEOUT_MS", "0")
    sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]
    if not (var / "maillon.db").exists():
        build(var)
    try:
        judgments = [] if args.dump and not Path(args.judgments).exists() else \
            load_judgments(Path(args.judgments))
        results = run(judgments, args.anonymous, args.show,
                      Path(args.dump) if args.dump else None)
        if results:
            report(results, args.verbose)
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
