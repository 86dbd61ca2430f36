"""The rules of what members write to build their network, as the validation models the
services, the API and the forms share (``maillon.validation``): a connection request, an
endorsed skill, a recommendation and a request for one. One limit per field (decision 33).
"""

from __future__ import annotations

from typing import Annotated

from flask_babel import gettext as _
from pydantic import Field, model_validator

from maillon.members.validation import MAX_SKILL_LENGTH
from maillon.network.recommendation_models import RELATIONSHIPS
from maillon.validation import Choice, Line, Rules, Text, fail

MAX_MESSAGE = 1000  # a connection request's message
MIN_TEXT, MAX_TEXT = 20, 3000  # a recommendation
MAX_DETAIL = 120  # how the author knows the member, when "other"
MAX_REQUEST_MESSAGE = 1000  # asking for a recommendation


class ConnectionRequest(Rules):
    """An invitation to connect, with an optional personal message."""

    message: Annotated[str, Text(MAX_MESSAGE)] = Field(
        "", description="Shown to the invited member with the invitation.")


class EndorsedSkill(Rules):
    """One of the member's listed skills (the service checks that it is listed)."""

    skill: Annotated[str, Line(MAX_SKILL_LENGTH, required=True)] = Field(
        description="One of the member's listed skills, in any case.")


class RecommendationFields(Rules):
    """What an author writes about a connection: how they know them, and the text."""

    relationship: Annotated[str, Choice(RELATIONSHIPS)] = Field(description=(
        "How the author knows the member: managed_directly (the author managed them), "
        "reported_to (the author reported to them), same_team, client (the author was their "
        "client), studied_together, other (then say how in relationship_detail)."))
    relationship_detail: Annotated[str, Line(MAX_DETAIL)] = Field(
        "", description="Required with relationship other; ignored otherwise.")
    text: Annotated[str, Text(MAX_TEXT, minimum=MIN_TEXT)] = Field(
        description="What the author valued: plain text, line breaks kept.")

    @model_validator(mode="after")
    def _detail_with_other(self) -> RecommendationFields:
        if self.relationship != "other":
            self.relationship_detail = ""
        elif not self.relationship_detail:
            fail(_("Say how you know this member."), "relationship_detail")
        return self


class RecommendationAsk(Rules):
    """Asking a connection for a recommendation, with an optional message."""

    message: Annotated[str, Text(MAX_REQUEST_MESSAGE)] = ""
