"""What members write when they ask their network and answer (decision 33's one model per
concept, shared by the service, the API and the form)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from maillon.questions.models import REACHES
from maillon.validation import Choice, Rules, Text

MIN_QUESTION, MAX_QUESTION = 10, 1000
MAX_ANSWER = 3000


class QuestionFields(Rules):
    text: Annotated[str, Text(MAX_QUESTION, minimum=MIN_QUESTION)] = Field(
        description="The question, plain text.")
    reach: Annotated[str, Choice(REACHES)] = Field(
        "connections", description="connections: your connections; extended: also some of "
        "their connections (you are never told who).")


class AnswerFields(Rules):
    text: Annotated[str, Text(MAX_ANSWER, minimum=1)] = Field(
        description="The answer, plain text; only the asker reads it.")
