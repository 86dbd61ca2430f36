"""The instance row: one per tenant, synced from instances/<slug>/instance.toml."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from maillon.db import Base, utcnow


class Instance(Base):
    __tablename__ = "instances"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # The instance level, as last synced from instance.toml.
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The editable level: admin overrides of keys declared editable.
    overrides: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def setting(self, key: str) -> Any:
        """The effective value of an instance setting (editable override, else the file)."""
        if key in self.overrides:
            return self.overrides[key]
        return self.config[key]

    def __repr__(self) -> str:
        return f"<Instance {self.slug}>"
