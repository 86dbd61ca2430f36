"""The member (account and profile in one row) with their experiences and education."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import gettext
from sqlalchemy import JSON, ColumnElement, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maillon.db import Base, TenantScoped, utcnow

PURPOSES = ("recruiting", "business", "partnership", "research", "advice", "other")
DIRECT_CHOICES = ("anyone", "network", "nobody")
RELAYING_CHOICES = ("open", "busy", "off")
CONTACTS_VISIBLE_CHOICES = ("nobody", "connections", "second_degree", "members")
ROLES = ("member", "moderator", "admin")
# unverified: waits for the e-mail link; pending: waits for an admin's approval.
STATUSES = ("active", "unverified", "pending", "suspended", "deleted")


def former_member_label() -> str:
    """What a deleted account is called wherever a name shows, in the reader's language."""
    return gettext("a former member")


def default_contact_policy() -> dict[str, Any]:
    return {"direct": "network", "introductions": True, "purposes": list(PURPOSES),
            "max_hops": 6}


def default_visibility() -> dict[str, Any]:
    return {"in_directory": True, "contacts_visible_to": "connections"}


class Member(TenantScoped, Base):
    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("instance_id", "email"),
        # Who cannot relay, found without reading every member (``routing.unavailable_ids``).
        Index("ix_members_instance_relaying", "instance_id", "relaying"),
        Index("ix_members_instance_status", "instance_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    role: Mapped[str] = mapped_column(String(12), default="member")
    status: Mapped[str] = mapped_column(String(12), default="active", index=True)
    email_verified_at: Mapped[datetime | None]
    suspended_until: Mapped[datetime | None]
    suspension_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    last_login_at: Mapped[datetime | None]

    # Read through ``name``: a deleted account keeps its row (others' introductions refer to
    # it) with this column blank, and is called "a former member" wherever a name shows.
    stored_name: Mapped[str] = mapped_column("name", String(120))
    headline: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[str] = mapped_column(String(120), default="")
    organisation: Mapped[str] = mapped_column(String(120), default="")
    location: Mapped[str] = mapped_column(String(120), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    offers: Mapped[str] = mapped_column(Text, default="")
    seeks: Mapped[str] = mapped_column(Text, default="")
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    open_to_opportunities: Mapped[bool] = mapped_column(default=False)
    photo: Mapped[str | None] = mapped_column(String(80))
    locale: Mapped[str | None] = mapped_column(String(5))
    relaying: Mapped[str] = mapped_column(String(8), default="open")
    contact_policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=default_contact_policy)
    visibility: Mapped[dict[str, Any]] = mapped_column(JSON, default=default_visibility)
    # kind → {"app": bool, "email": bool}; missing kinds take the defaults in notifications.
    notification_prefs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    experiences: Mapped[list[Experience]] = relationship(
        back_populates="member", cascade="all, delete-orphan",
        order_by="(Experience.end_date.is_(None).desc(), Experience.start_date.desc())",
    )
    education: Mapped[list[Education]] = relationship(
        back_populates="member", cascade="all, delete-orphan",
        order_by="Education.start_year.desc()",
    )

    # Flask-Login: the member object is the "user"; the login session token is its id.
    is_anonymous = False

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    def get_id(self) -> str:
        token = getattr(self, "_login_token", None)
        if token is None:
            raise RuntimeError("member has no login session")
        return str(token)

    @hybrid_property
    def name(self) -> str:
        if self.status == "deleted":
            return former_member_label()
        return self.stored_name

    @name.inplace.setter
    def _name_setter(self, value: str) -> None:
        self.stored_name = value

    @name.inplace.expression
    @classmethod
    def _name_expression(cls) -> ColumnElement[str]:
        return cls.stored_name  # type: ignore[return-value]

    @property
    def is_moderator(self) -> bool:
        return self.role in ("moderator", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def __repr__(self) -> str:
        return f"<Member {self.id} {self.email}>"


class Experience(TenantScoped, Base):
    __tablename__ = "experiences"
    __table_args__ = (Index("ix_experiences_member", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(120))
    organisation: Mapped[str] = mapped_column(String(120), default="")
    location: Mapped[str] = mapped_column(String(120), default="")
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    description: Mapped[str] = mapped_column(Text, default="")

    member: Mapped[Member] = relationship(back_populates="experiences")


class Education(TenantScoped, Base):
    __tablename__ = "education"
    __table_args__ = (Index("ix_education_member", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    school: Mapped[str] = mapped_column(String(160))
    degree: Mapped[str] = mapped_column(String(160), default="")
    field: Mapped[str] = mapped_column(String(160), default="")
    start_year: Mapped[int | None]
    end_year: Mapped[int | None]

    member: Mapped[Member] = relationship(back_populates="education")
