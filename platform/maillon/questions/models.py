"""Questions, who received them, and their answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from maillon.db import Base, TenantScoped, utcnow
from maillon.lifecycle import Lifecycle
from maillon.members.models import Member

QUESTION = Lifecycle.of("question", initial={"open"}, allowed={
    # Closed by the asker: no more answers; the answers stay.
    "open": {"closed"},
    "closed": set(),
})
OPEN = QUESTION.state("open")
CLOSED = QUESTION.state("closed")
#: connections: the asker's first degree; extended: also some of their connections' connections.
REACHES = ("connections", "extended")


class Question(TenantScoped, Base):
    __tablename__ = "questions"
    __table_args__ = (
        QUESTION.check_constraint(),
        CheckConstraint("reach IN ('connections', 'extended')", name="reach_values"),
        Index("ix_questions_asker", "instance_id", "asker_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asker_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    reach: Mapped[str] = mapped_column(String(12), default="connections")
    status: Mapped[str] = mapped_column(String(8), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    asker: Mapped[Member] = relationship()


class QuestionRecipient(TenantScoped, Base):
    """A member the question was sent to; ``degree`` 1 (a connection) or 2. Never shown to the
    asker: who their connections' connections are stays unknown to them."""

    __tablename__ = "question_recipients"
    __table_args__ = (
        UniqueConstraint("question_id", "member_id"),
        CheckConstraint("degree IN (1, 2)", name="degree_values"),
        Index("ix_question_recipients_member", "instance_id", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    degree: Mapped[int] = mapped_column(default=1)

    question: Mapped[Question] = relationship()


class Answer(TenantScoped, Base):
    """One answer per recipient (answering again changes it); ``thanked_at`` once the asker
    thanked it."""

    __tablename__ = "question_answers"
    __table_args__ = (UniqueConstraint("question_id", "author_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"),
                                             index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    thanked_at: Mapped[datetime | None]

    question: Mapped[Question] = relationship()
    author: Mapped[Member] = relationship()
