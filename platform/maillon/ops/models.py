"""Operations tables: the jobs workers' heartbeats."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from maillon.db import Base, utcnow


class WorkerHeartbeat(Base):
    """When a jobs worker last went round its loop; /readyz wants one recent beat."""

    __tablename__ = "worker_heartbeats"

    worker: Mapped[str] = mapped_column(String(200), primary_key=True)  # host:pid:thread
    last_beat_at: Mapped[datetime] = mapped_column(default=utcnow)
