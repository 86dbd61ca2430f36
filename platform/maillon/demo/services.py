"""Loading demo communities: realistic members for the demo instances, large ones for benches.

Two modes. The normal demo (``members`` omitted or small) creates members through the ORM and
sends ``member_changed`` for each, so search indexing and other listeners see them as if they
had registered; it is idempotent (members already there are skipped). Bulk mode (a large
``members``) inserts with Core in batches, reports progress per batch, and sends no per-member
signal: run ``maillon search reindex`` afterwards.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from functools import lru_cache

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from maillon.db import settings, utcnow
from maillon.demo.catalogue import community_for
from maillon.demo.profiles import MemberSpec, ProfileGenerator
from maillon.members.models import Education, Experience, Member
from maillon.members.signals import member_changed
from maillon.security import hash_password
from maillon.tenancy.models import Instance

DEMO_PASSWORD = "maillon-demo"  # noqa: S105 - public on purpose: printed by `maillon serve`
BULK_THRESHOLD = 2_000  # above this many members, bulk mode unless told otherwise
BATCH_SIZE = 2_000


@lru_cache(maxsize=4)
def demo_password_hash(method: str) -> str:
    """The demo password hashed ONCE per process and shared by every demo member.

    scrypt costs tens of milliseconds per hash: hashing per member would take minutes for a
    normal demo and hours for a benchmark community. Sharing one salted hash is harmless for a
    password that is public anyway.
    """
    return hash_password(DEMO_PASSWORD, method)


def _hash_method(session: Session) -> str:
    return str(settings(session)["PASSWORD_HASH_METHOD"])


def load_demo(session: Session, instance: Instance, *, members: int | None = None,
              seed: int = 7, progress: Callable[[int], None] | None = None,
              bulk: bool | None = None) -> int:
    """Fill an instance with its demo community; returns how many members were created.

    ``members`` counts everyone created, staff and personas first (the instance's own size
    when omitted). ``bulk`` defaults to True above BULK_THRESHOLD members.
    """
    community = community_for(instance.slug, instance.setting("registration.email_domains"))
    total = community.size if members is None else members
    if bulk is None:
        bulk = total > BULK_THRESHOLD
    rng = random.Random(f"{seed}:{instance.slug}")
    password_hash = demo_password_hash(_hash_method(session))
    existing = set(session.scalars(select(Member.email).where(
        Member.instance_id == instance.id)))
    if bulk:
        generator = ProfileGenerator(community, rng, utcnow(), taken_emails=existing)
        created = _insert_bulk(session, instance, _bulk_specs(generator, existing, total),
                               password_hash, progress)
    else:
        generator = ProfileGenerator(community, rng, utcnow())
        specs = generator.personas()[:total]
        specs += [generator.member() for _ in range(total - len(specs))]
        # The same seed makes the same people: a second load adds nobody.
        created = _insert_orm(session, instance, [s for s in specs if s.email not in existing],
                              password_hash)
        if progress is not None:
            progress(created)
    if not bulk:
        # A network, endorsements and introductions in every state, with the same seed.
        from maillon.demo.introductions import load_introductions
        from maillon.demo.network import load_endorsements, load_network

        load_network(session, instance, seed=seed)
        load_endorsements(session, instance, seed=seed)
        load_introductions(session, instance, seed=seed)
        from maillon.demo.moderation import load_moderation

        load_moderation(session, instance, seed=seed)
        from maillon.demo.federation import load_federation

        load_federation(session, instance)
        from maillon.demo.organisations import load_organisations

        load_organisations(session, instance, seed=seed)
        from maillon.demo.hubs import load_hubs

        load_hubs(session, instance, seed=seed)
        from maillon.demo.questions import load_questions

        load_questions(session, instance, seed=seed)
        from maillon.demo.opportunities import load_opportunities

        load_opportunities(session, instance, seed=seed)
    return created


def _bulk_specs(generator: ProfileGenerator, existing: set[str],
                total: int) -> Iterator[MemberSpec]:
    count = 0
    for spec in generator.personas():
        if count < total and spec.email not in existing:
            count += 1
            yield spec
    for _ in range(total - count):
        yield generator.member()


def _insert_orm(session: Session, instance: Instance, specs: list[MemberSpec],
                password_hash: str) -> int:
    members = []
    for spec in specs:
        member = Member(instance_id=instance.id, password_hash=password_hash, **spec.values)
        member.experiences = [Experience(instance_id=instance.id, **vars(e))
                              for e in spec.experiences]
        member.education = [Education(instance_id=instance.id, **vars(e))
                            for e in spec.education]
        members.append(member)
    session.add_all(members)
    session.flush()
    for member in members:
        member_changed.send(session, member=member)
    session.commit()
    return len(members)


def _insert_bulk(session: Session, instance: Instance, specs: Iterator[MemberSpec],
                 password_hash: str, progress: Callable[[int], None] | None) -> int:
    """Core inserts, BATCH_SIZE members per transaction; no per-member signals."""
    tables = Member.metadata.tables
    members, experiences, education = (tables[Member.__tablename__],
                                       tables[Experience.__tablename__],
                                       tables[Education.__tablename__])
    created = 0
    batch: list[MemberSpec] = []

    def flush() -> None:
        rows = [{"instance_id": instance.id, "password_hash": password_hash, "photo": None,
                 "suspended_until": None, "suspension_reason": None, "last_login_at": None,
                 **spec.values} for spec in batch]
        session.execute(insert(members), rows)
        # Ids by address, in one query: RETURNING with ordered results falls back to one
        # statement per row on SQLite, which is several times slower.
        emails = [spec.email for spec in batch]
        by_email = dict(session.execute(select(members.c.email, members.c.id).where(
            members.c.instance_id == instance.id, members.c.email.in_(emails))).all())
        ids = [by_email[email] for email in emails]
        exp_rows = [{"instance_id": instance.id, "member_id": member_id, **vars(e)}
                    for member_id, spec in zip(ids, batch, strict=True)
                    for e in spec.experiences]
        edu_rows = [{"instance_id": instance.id, "member_id": member_id, **vars(e)}
                    for member_id, spec in zip(ids, batch, strict=True)
                    for e in spec.education]
        session.execute(insert(experiences), exp_rows)
        session.execute(insert(education), edu_rows)
        session.commit()
        if progress is not None:
            progress(len(batch))

    for spec in specs:
        batch.append(spec)
        if len(batch) == BATCH_SIZE:
            flush()
            created += len(batch)
            batch = []
    if batch:
        flush()
        created += len(batch)
    return created


def demo_logins(session: Session, slug: str) -> list[tuple[str, str]]:
    """The well-known demo accounts of an instance (staff, then personas) that exist."""
    instance = session.scalar(select(Instance).where(Instance.slug == slug))
    if instance is None:
        return []
    community = community_for(slug, instance.setting("registration.email_domains"))
    emails = [p.email for p in community.personas]
    roles = dict(session.execute(select(Member.email, Member.role).where(
        Member.instance_id == instance.id, Member.email.in_(emails))).all())
    return [(email, roles[email]) for email in emails if email in roles]
