"""Loading demo members (bootstrap version; the demo helper fills in realistic data)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.members.models import Member
from maillon.tenancy.models import Instance

DEMO_PASSWORD = "maillon-demo"


def load_demo(session: Session, instance: Instance, *, members: int | None = None,
              seed: int = 7, progress: Callable[[int], None] | None = None) -> int:
    return 0


def demo_logins(session: Session, slug: str) -> list[tuple[str, str]]:
    rows = session.execute(select(Member.email, Member.role).join(Instance).where(
        Instance.slug == slug, Member.role == "admin").limit(2))
    return [(e, r) for e, r in rows]
