"""What asking one's network tells members: a question (to each recipient), an answer (to the
asker), a thank-you (to the answerer)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from maillon.members.models import Member
from maillon.notifications.models import Notification
from maillon.notifications.services import Link, NotificationKind, notify, register_kind
from maillon.tenancy.models import Instance


def _question(n: Notification) -> Link:
    return "questions.detail", {"question_id": int((n.data or {}).get("question_id", 0))}


def _asked(actor: str, data: Mapping[str, Any]) -> str:
    if data.get("degree") == 2:
        return _("%(actor)s, a contact of one of your connections, asks: %(text)s",
                 actor=actor, text=data.get("excerpt", ""))
    return _("%(actor)s asks their network: %(text)s", actor=actor,
             text=data.get("excerpt", ""))


def _answered(actor: str, data: Mapping[str, Any]) -> str:
    return _("%(actor)s answered your question", actor=actor)


def _thanked(actor: str, data: Mapping[str, Any]) -> str:
    return _("%(actor)s thanked you for your answer", actor=actor)


register_kind(NotificationKind("question_asked", _l("Questions from my network"), _asked,
                               _question, email_template="questions/email/question_asked"))
register_kind(NotificationKind("question_answered", _l("Answers to my questions"), _answered,
                               _question, default_email=True,
                               email_template="questions/email/question_answered"))
register_kind(NotificationKind("answer_thanked", _l("Thanks for my answers"), _thanked,
                               _question, email_template="questions/email/answer_thanked"))


def tell_asked(session: Session, instance: Instance, recipient: Member, asker: Member,
               question: Any, degree: int, excerpt: str) -> None:
    notify(session, instance, recipient, "question_asked", actor=asker, subject=question,
           data={"question_id": question.id, "degree": degree, "excerpt": excerpt})


def tell_answered(session: Session, instance: Instance, asker: Member, author: Member,
                  question: Any) -> None:
    notify(session, instance, asker, "question_answered", actor=author, subject=question,
           data={"question_id": question.id})


def tell_thanked(session: Session, instance: Instance, author: Member, asker: Member,
                 question: Any) -> None:
    notify(session, instance, author, "answer_thanked", actor=asker, subject=question,
           data={"question_id": question.id})
