"""The instance row: one per tenant, synced from instances/<slug>/instance.toml or created by
the deployment's operator."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from maillon.db import Base, utcnow
from maillon.lifecycle import Lifecycle

# Whether the instance serves its community: a disabled one answers every request with "closed"
# (its data stays; the operator enables it again).
INSTANCE = Lifecycle.of("instance", initial=("active",),
                        allowed={"active": ("disabled",), "disabled": ("active",)})
ACTIVE = INSTANCE.state("active")
DISABLED = INSTANCE.state("disabled")
# Where the instance level of the configuration comes from: its instance.toml, or the operator's
# page (then ``config`` holds it, and no file exists).
SOURCES = ("file", "operator")
# Keys the operator may set over the file (the placement of an instance in the deployment).
PLACEMENT_KEYS = ("hosts", "theme")


class Instance(Base):
    __tablename__ = "instances"
    __table_args__ = (
        INSTANCE.check_constraint(),
        CheckConstraint("source IN ({})".format(", ".join(f"'{s}'" for s in SOURCES)),
                        name="source_values"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # The instance level: as last synced from instance.toml, or as the operator created it.
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The editable level: admin overrides of keys declared editable.
    overrides: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The operator's overrides of PLACEMENT_KEYS (hosts, theme), over the file's values.
    placement: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(String(10), default="file", server_default="file")
    status: Mapped[str] = mapped_column(String(10), default=ACTIVE, server_default=ACTIVE)
    status_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Changed with the operator's edits: processes reload their host map when it moves.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def setting(self, key: str) -> Any:
        """The effective value of an instance setting (editable override, else the file)."""
        if key in self.overrides:
            return self.overrides[key]
        return self.config[key]

    def __repr__(self) -> str:
        return f"<Instance {self.slug}>"
