"""Questions and answers as the API shows them."""

from __future__ import annotations

from typing import Any

from maillon.questions.models import Answer, Question
from maillon.questions.services import QuestionView


def question_dict(question: Question) -> dict[str, Any]:
    return {"id": question.id, "text": question.text, "reach": question.reach,
            "status": question.status,
            "asker": {"id": question.asker.id, "name": question.asker.name},
            "created_at": question.created_at.isoformat(),
            "closed_at": question.closed_at.isoformat() if question.closed_at else None}


def answer_dict(answer: Answer) -> dict[str, Any]:
    return {"id": answer.id, "question_id": answer.question_id,
            "author": {"id": answer.author.id, "name": answer.author.name},
            "text": answer.text, "created_at": answer.created_at.isoformat(),
            "updated_at": answer.updated_at.isoformat(),
            "thanked": answer.thanked_at is not None}


def view_dict(view: QuestionView) -> dict[str, Any]:
    """The asker: every answer and how many connections received it; a recipient: their own
    answer only, and nothing about the other recipients."""
    out = question_dict(view.question)
    out["answers"] = [answer_dict(a) for a in view.answers]
    if view.is_asker:
        out["sent_to_connections"] = view.first_degree_count
    return out
