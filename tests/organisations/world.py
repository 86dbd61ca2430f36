"""A community with organisations: the introductions test world plus organisations,
affiliations and admins made through the services."""

from __future__ import annotations

from typing import Any

from maillon.db import utcnow
from maillon.organisations import services
from tests.introductions.world import World


class OrgWorld(World):
    def verified(self, name: str, email: str, **profile: Any) -> int:
        """A member whose address (at ``email``) is verified."""
        return self.member(name, email=email, email_verified_at=utcnow(), **profile)

    def organisation(self, creator: int, name: str, **fields: Any) -> int:
        org, _ = self.call(services.create_organisation, creator, {"name": name, **fields})
        return int(org.id)

    def join(
        self,
        member: int,
        org: int,
        *,
        role: str = "",
        current: bool = True,
        confirm_by: int | None = None,
    ) -> int:
        """A claim, confirmed by ``confirm_by`` (an admin) when given."""
        row, _ = self.call(
            services.claim_affiliation, member, org, {"role": role, "current": current}
        )
        if confirm_by is not None and row.status != "confirmed":
            self.call(services.confirm_affiliation, confirm_by, row.id)
        return int(row.id)
