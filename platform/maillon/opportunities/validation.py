"""What members write when they post, relay, answer and ask for a referral (decision 33's one
model per concept, shared by the service, the API and the forms)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field

from maillon.members.validation import SkillList
from maillon.opportunities.models import KINDS
from maillon.validation import Choice, Day, Line, Rules, Text

MAX_TITLE = 160
MIN_DESCRIPTION, MAX_DESCRIPTION = 20, 5000
MAX_NOTE = 600
MAX_ANSWER_MESSAGE = 1000


class OpportunityFields(Rules):
    kind: Annotated[str, Choice(KINDS)] = Field(
        description="job, partnership, call (for papers or projects) or purchase.")
    title: Annotated[str, Line(MAX_TITLE, required=True)] = Field(description="One line.")
    text: Annotated[str, Text(MAX_DESCRIPTION, minimum=MIN_DESCRIPTION)] = Field(
        description="Plain text: what it is, for whom.")
    location: Annotated[str, Line(120)] = Field("", description="Optional.")
    skills: Annotated[list[str], SkillList()] = Field(
        default_factory=list, description="Skills or keywords that fit (they drive the "
        "suggestions).")
    closes_on: Annotated[date | None, Day()] = Field(
        None, description="Optional closing date (YYYY-MM-DD): no relay after it.")
    organisation_id: int | None = Field(
        None, description="Post for an organisation (its admins only).")


class RelayFields(Rules):
    member_id: int = Field(description="One of the caller's connections.")
    note: Annotated[str, Text(MAX_NOTE)] = Field(
        "", description="A personal note to the contact; the poster reads it as your vouch if "
        "they are interested.")


class AnswerFields(Rules):
    interested: bool = Field(description="true: interested; false: not now.")
    message: Annotated[str, Text(MAX_ANSWER_MESSAGE)] = Field(
        "", description="Optional, to the poster (with an interested answer only).")


class ReferralFields(Rules):
    member_id: int = Field(description="A connection of the caller who is an ambassador of "
                           "the opportunity.")
    note: Annotated[str, Text(MAX_NOTE)] = Field("", description="Why you fit, to them.")


class ReferFields(Rules):
    note: Annotated[str, Text(MAX_NOTE)] = Field(
        "", description="Your vouch, which the poster reads.")
