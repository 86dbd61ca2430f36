"""Asking one's network: who receives a question, answering it, thanking answers.

Recipients: the asker's active connections (at most ``MAX_CONNECTIONS``), and with the
"extended" reach also up to ``MAX_EXTENDED`` of their connections' connections, those sharing
the most connections with the asker first (the graph service, not a query per member).
Suspended, deleted or unconfirmed accounts receive nothing.

What each one learns (decision 43): the asker sees the answers, each with its author (who
chose to answer), and never who else received the question, nor how many of their
connections' connections did. A recipient sees the question and their own answer only: the
other answers would tell them who else is in the asker's network. Nobody else sees anything
(another member's question is a 404).

Quota: ``WEEKLY_LIMIT`` questions per member in 7 days, and a member limited by the
moderators cannot ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload
from werkzeug.exceptions import NotFound

from maillon.db import begin_write, flush_or_find, utcnow
from maillon.errors import Conflict, Forbidden, ServiceError
from maillon.hubs.text import excerpt
from maillon.members.models import Member
from maillon.moderation.sanctions import check_not_limited
from maillon.network.services import connection_ids
from maillon.network.visibility import badges_for, degree_circles
from maillon.pagination import MAX_ID, MAX_PAGE, MAX_PER_PAGE
from maillon.questions.models import (
    CLOSED,
    OPEN,
    QUESTION,
    Answer,
    Question,
    QuestionRecipient,
)
from maillon.questions.notifications import tell_answered, tell_asked, tell_thanked
from maillon.questions.validation import AnswerFields, QuestionFields
from maillon.tenancy.models import Instance
from maillon.validation import check

WEEKLY_LIMIT = 3
MAX_CONNECTIONS = 1000
MAX_EXTENDED = 100
#: Second-degree members ranked for the extended reach, at most (their shared counts are one
#: vectorised gather on the graph).
MAX_CANDIDATES = 5000


def _acting(instance: Instance, member: Member | None) -> Member:
    if member is None or member.instance_id != instance.id or member.status != "active":
        raise NotFound()
    return member


def recipients_for(session: Session, instance: Instance, asker: Member, reach: str
                   ) -> dict[int, int]:
    """{member id: degree} of those who receive a question of ``asker`` (active members)."""
    first = sorted(set(connection_ids(session, instance, asker.id)))[:MAX_CONNECTIONS]
    chosen = dict.fromkeys(first, 1)
    if reach == "extended" and first:
        circles = degree_circles(session, instance, asker.id, 2)
        if len(circles) >= 2:  # a second circle too large to list is left out
            second = sorted(circles[1] - set(first) - {asker.id})[:MAX_CANDIDATES]
            active = set(session.scalars(select(Member.id).where(
                Member.instance_id == instance.id, Member.id.in_(second),
                Member.status == "active"))) if second else set()
            badges = badges_for(session, instance, asker, sorted(active))
            ranked = sorted(active, key=lambda m: (-badges[m].shared if m in badges else 0, m))
            chosen.update(dict.fromkeys(ranked[:MAX_EXTENDED], 2))
    if not chosen:
        return {}
    active_first = set(session.scalars(select(Member.id).where(
        Member.instance_id == instance.id, Member.id.in_([m for m, d in chosen.items()
                                                          if d == 1]),
        Member.status == "active")))
    return {m: d for m, d in chosen.items() if d == 2 or m in active_first}


def ask_question(session: Session, instance: Instance, asker: Member,
                 data: dict[str, object]) -> tuple[Question, int]:
    """Send a question to one's network: (the question, how many of one's connections
    received it). The second-degree recipients are never counted for the asker."""
    fields = check(QuestionFields, data)
    asker = _acting(instance, asker)
    # The slow part (the graph) before the write lock.
    recipients = recipients_for(session, instance, asker, fields.reach)
    begin_write(session)
    check_not_limited(session, instance, asker)
    recent = int(session.scalar(select(func.count(Question.id)).where(
        Question.instance_id == instance.id, Question.asker_id == asker.id,
        Question.created_at > utcnow() - timedelta(days=7))) or 0)
    if recent >= WEEKLY_LIMIT:
        raise ServiceError("question_limit_reached", _(
            "You have asked %(n)d questions this week: that is the limit for now.",
            n=WEEKLY_LIMIT), status=429)
    if not recipients:
        raise Conflict("no_recipients", _(
            "Nobody would receive your question yet: connect with members first."))
    question = Question(instance_id=instance.id, asker_id=asker.id, text=fields.text,
                        reach=fields.reach, created_at=utcnow())
    QUESTION.apply(question, OPEN)
    session.add(question)
    session.flush()
    members = {m.id: m for m in session.scalars(select(Member).where(
        Member.instance_id == instance.id, Member.id.in_(list(recipients))))}
    short = excerpt(fields.text, 160)
    for member_id, degree in sorted(recipients.items()):
        session.add(QuestionRecipient(instance_id=instance.id, question_id=question.id,
                                      member_id=member_id, degree=degree))
        tell_asked(session, instance, members[member_id], asker, question, degree, short)
    session.commit()
    return question, sum(1 for d in recipients.values() if d == 1)


@dataclass(frozen=True)
class QuestionView:
    """A question as one member may see it."""

    question: Question
    is_asker: bool
    degree: int | None  # the viewer's, when they received it
    answers: list[Answer]  # the asker: every answer; a recipient: their own
    first_degree_count: int | None  # the asker only: connections who received it


def _recipient(session: Session, instance: Instance, question_id: int, member_id: int
               ) -> QuestionRecipient | None:
    return session.scalar(select(QuestionRecipient).where(
        QuestionRecipient.instance_id == instance.id,
        QuestionRecipient.question_id == question_id,
        QuestionRecipient.member_id == member_id))


def access_question(session: Session, instance: Instance, member: Member | None,
                    question_id: int) -> QuestionView:
    """The question for its asker or one of its recipients; a 404 for anyone else."""
    member = _acting(instance, member)
    if not 0 < question_id <= MAX_ID:
        raise NotFound()
    question = session.scalar(select(Question).options(joinedload(Question.asker)).where(
        Question.instance_id == instance.id, Question.id == question_id))
    if question is None:
        raise NotFound()
    answers = select(Answer).options(joinedload(Answer.author)).where(
        Answer.instance_id == instance.id, Answer.question_id == question.id)
    if question.asker_id == member.id:
        count = int(session.scalar(select(func.count(QuestionRecipient.id)).where(
            QuestionRecipient.instance_id == instance.id,
            QuestionRecipient.question_id == question.id,
            QuestionRecipient.degree == 1)) or 0)
        return QuestionView(question, True, None, list(session.scalars(
            answers.join(Member, Member.id == Answer.author_id)
            .where(Member.status == "active").order_by(Answer.id))), count)
    row = _recipient(session, instance, question.id, member.id)
    if row is None:
        raise NotFound()
    return QuestionView(question, False, row.degree, list(session.scalars(
        answers.where(Answer.author_id == member.id))), None)


def list_questions(session: Session, instance: Instance, member: Member, *, received: bool,
                   page: int = 1, per_page: int = 20) -> tuple[int, list[Question]]:
    """The member's questions (``received`` False) or those asked to them, newest first."""
    member = _acting(instance, member)
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, min(page, MAX_PAGE))
    query = select(Question).where(Question.instance_id == instance.id)
    if received:
        query = query.join(QuestionRecipient, QuestionRecipient.question_id == Question.id).where(
            QuestionRecipient.instance_id == instance.id,
            QuestionRecipient.member_id == member.id)
    else:
        query = query.where(Question.asker_id == member.id)
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = list(session.scalars(query.options(joinedload(Question.asker))
                                .order_by(Question.id.desc())
                                .offset((page - 1) * per_page).limit(per_page)))
    return total, rows


def answer_question(session: Session, instance: Instance, member: Member, question_id: int,
                    data: dict[str, object]) -> tuple[Answer, bool]:
    """A recipient answers (the asker is told the first time); answering again changes the
    answer: (the answer, whether it is new)."""
    fields = check(AnswerFields, data)
    begin_write(session)
    view = access_question(session, instance, member, question_id)
    if view.is_asker:
        raise Forbidden("cannot_answer_own_question", _(
            "You cannot answer your own question."))
    if view.question.status != OPEN:
        raise Conflict("question_closed", _("This question is closed: it takes no more "
                                            "answers."))
    if view.answers:
        own = view.answers[0]
        own.text, own.updated_at = fields.text, utcnow()
        session.commit()
        return own, False
    now = utcnow()
    answer = Answer(instance_id=instance.id, question_id=view.question.id, author_id=member.id,
                    text=fields.text, created_at=now, updated_at=now)
    session.add(answer)
    replayed = flush_or_find(session, lambda: session.scalar(select(Answer).where(
        Answer.instance_id == instance.id, Answer.question_id == question_id,
        Answer.author_id == member.id)))
    if replayed is not None:
        return replayed, False
    tell_answered(session, instance, view.question.asker, member, view.question)
    session.commit()
    return answer, True


def thank_answer(session: Session, instance: Instance, asker: Member, answer_id: int
                 ) -> Answer:
    """The asker thanks an answer (its author is told once); thanking again changes nothing."""
    begin_write(session)
    asker = _acting(instance, asker)
    if not 0 < answer_id <= MAX_ID:
        raise NotFound()
    answer = session.scalar(select(Answer).where(Answer.instance_id == instance.id,
                                                 Answer.id == answer_id))
    if answer is None:
        raise NotFound()
    view = access_question(session, instance, asker, answer.question_id)
    if not view.is_asker or answer.id not in {a.id for a in view.answers}:
        raise NotFound()
    if answer.thanked_at is None:
        answer.thanked_at = utcnow()
        tell_thanked(session, instance, answer.author, asker, view.question)
        session.commit()
    return answer


def close_question(session: Session, instance: Instance, asker: Member, question_id: int
                   ) -> Question:
    """The asker closes their question: no more answers; closing again changes nothing."""
    begin_write(session)
    view = access_question(session, instance, asker, question_id)
    if not view.is_asker:
        raise Forbidden("forbidden", _("Only the member who asked may close this question."))
    if view.question.status == OPEN:
        QUESTION.apply(view.question, CLOSED)
        view.question.closed_at = utcnow()
        session.commit()
    return view.question
