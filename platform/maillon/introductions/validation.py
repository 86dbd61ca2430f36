"""The rules of what members write along an introduction, as the validation models the
services, the API and the forms share (``maillon.validation``): the request, a relay's note and
vouch, a decline's reason, advice, the target's answer, thanks, and a direct message.

One limit per field, whichever way it arrives (decision 27); the API documents them in its
schemas and ``docs/api.md``.
"""

from __future__ import annotations

from typing import Annotated

from maillon.members.models import PURPOSES
from maillon.validation import Choice, Rules, Text

#: The request's message: long enough to say who one is and why.
MESSAGE_MIN = 20
MAX_TEXT = 3000  # a request's message, advice, the target's answer
MAX_NOTE = 2000  # a relay's note and vouch, a decline's reason, thanks
MAX_DIRECT_MESSAGE = 5000


class IntroductionRequest(Rules):
    """What the requester writes: who they are and why, for one of the accepted purposes."""

    message: Annotated[str, Text(MAX_TEXT, minimum=MESSAGE_MIN)]
    purpose: Annotated[str, Choice(PURPOSES)]


class RelayNote(Rules):
    """A relay passing the request on: a private note to the next person, a vouch the target
    reads (both optional)."""

    note: Annotated[str, Text(MAX_NOTE)] = ""
    vouch: Annotated[str, Text(MAX_NOTE)] = ""


class PassOn(Rules):
    """A relay here passing on a request from another server (decision 62): an optional
    vouch the next person and the target read."""

    vouch: Annotated[str, Text(MAX_NOTE)] = ""


class DeclineNote(Rules):
    """Why a relay does not pass the request on (read upstream only; optional)."""

    reason: Annotated[str, Text(MAX_NOTE)] = ""


class BlockReason(Rules):
    """Why a moderator blocks a request: the requester reads it (required)."""

    reason: Annotated[str, Text(MAX_NOTE, minimum=1)]


class Advice(Rules):
    """A relay's advice to the requester instead of passing the request on."""

    advice: Annotated[str, Text(MAX_TEXT, minimum=1)]


class Answer(Rules):
    """The target's optional message with their acceptance or refusal."""

    message: Annotated[str, Text(MAX_TEXT)] = ""


class Thanks(Rules):
    """The target's thanks to everyone who carried the request."""

    message: Annotated[str, Text(MAX_NOTE, minimum=1)]


class DirectMessageText(Rules):
    """A message written directly to a member."""

    text: Annotated[str, Text(MAX_DIRECT_MESSAGE, minimum=1)]
