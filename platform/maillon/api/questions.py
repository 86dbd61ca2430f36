"""Ask your network: questions to one's connections, answers, thanks (docs/api.md)."""

from __future__ import annotations

from typing import Annotated

from flask import g
from pydantic import BaseModel, Field

from maillon.api.errors import validate_query
from maillon.api.idempotency import Reply
from maillon.api.registry import operation
from maillon.db import db
from maillon.members.models import Member
from maillon.questions import services
from maillon.questions.models import QUESTION, REACHES
from maillon.questions.serialisation import answer_dict, question_dict, view_dict
from maillon.questions.validation import AnswerFields, QuestionFields
from maillon.validation import Choice

TAG = "questions"


class Person(BaseModel):
    id: int
    name: str


class QuestionOut(BaseModel):
    id: int
    text: str
    reach: Annotated[str, Choice(REACHES)]
    status: Annotated[str, Choice(QUESTION.states)]
    asker: Person
    created_at: str
    closed_at: str | None


class AnswerOut(BaseModel):
    id: int
    question_id: int
    author: Person
    text: str
    created_at: str
    updated_at: str
    thanked: bool


class QuestionDetail(QuestionOut):
    answers: list[AnswerOut] = Field(description="The asker: every answer; a recipient: "
                                     "their own.")
    sent_to_connections: int | None = Field(None, description="The asker only: how many of "
                                            "their connections received it.")


class QuestionList(BaseModel):
    total: int
    results: list[QuestionOut]


class QuestionIn(QuestionFields):
    pass


class AnswerIn(AnswerFields):
    pass


class ListArgs(BaseModel):
    received: bool = False
    page: int = Field(1, ge=1, le=10_000)
    per_page: int = Field(20, ge=1, le=100)


@operation("POST", "/questions", summary="Ask your network a question", tag=TAG,
           body=QuestionIn, idempotent=True,
           description=f"To the caller's connections (reach connections) or also up to "
           f"{services.MAX_EXTENDED} of their connections' connections (extended); each is "
           f"told. At most {services.WEEKLY_LIMIT} questions in 7 days.",
           responses={201: ("The question", QuestionDetail),
                      403: "account_limited", 409: "no_recipients",
                      422: "validation_failed", 429: "question_limit_reached"})
def ask_question(member: Member, body: QuestionIn) -> Reply:
    question, _count = services.ask_question(db.session, g.instance, member, body.model_dump())
    view = services.access_question(db.session, g.instance, member, question.id)
    return view_dict(view), 201


@operation("GET", "/questions", summary="The caller's questions, or those asked to them",
           tag=TAG, description="Query: received (true: asked to the caller), page, "
           "per_page. Newest first.",
           responses={200: ("A page of questions", QuestionList), 422: "validation_failed"})
def list_questions(member: Member) -> Reply:
    args = validate_query(ListArgs)
    total, rows = services.list_questions(db.session, g.instance, member,
                                          received=args.received, page=args.page,
                                          per_page=args.per_page)
    return {"total": total, "results": [question_dict(q) for q in rows]}, 200


@operation("GET", "/questions/<int:question_id>", summary="A question and its answers",
           tag=TAG, description="For its asker (every answer) and its recipients (their own).",
           responses={200: ("The question", QuestionDetail),
                      404: "not_found (anyone else, or another instance's)"})
def get_question(member: Member, question_id: int) -> Reply:
    return view_dict(services.access_question(db.session, g.instance, member,
                                              question_id)), 200


@operation("POST", "/questions/<int:question_id>/answers", summary="Answer a question",
           tag=TAG, body=AnswerIn, idempotent=True,
           description="Recipients only; the asker is told. Answering again changes the "
           "answer (200).",
           responses={201: ("The answer", AnswerOut), 200: ("The answer, changed", AnswerOut),
                      403: "cannot_answer_own_question", 404: "not_found",
                      409: "question_closed", 422: "validation_failed"})
def answer_question(member: Member, question_id: int, body: AnswerIn) -> Reply:
    row, created = services.answer_question(db.session, g.instance, member, question_id,
                                            body.model_dump())
    return answer_dict(row), 201 if created else 200


@operation("POST", "/answers/<int:answer_id>/thank", summary="Thank an answer", tag=TAG,
           description="The asker only; the answerer is told once.",
           responses={200: ("The answer", AnswerOut), 404: "not_found"})
def thank_answer(member: Member, answer_id: int) -> Reply:
    return answer_dict(services.thank_answer(db.session, g.instance, member, answer_id)), 200


@operation("POST", "/questions/<int:question_id>/close", summary="Close one's question",
           tag=TAG, responses={200: ("The question", QuestionOut), 403: "forbidden",
                               404: "not_found"})
def close_question(member: Member, question_id: int) -> Reply:
    return question_dict(services.close_question(db.session, g.instance, member,
                                                 question_id)), 200
