"""What members write in hubs, as the validation models the services, the API and the forms
share (``maillon.validation``, decision 33): a hub, a thread, a post, a moderator's reason."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from maillon.hubs.models import HUB_VISIBILITIES
from maillon.validation import Choice, Line, Rules, Text

MAX_NAME = 80
MAX_DESCRIPTION = 2000
MAX_TITLE = 160
MAX_POST = 10_000
MAX_REASON = 1000
MAX_CLIENT_KEY = 64


class HubFields(Rules):
    """A new hub: its name, what it is about, and who may read it."""

    name: Annotated[str, Line(MAX_NAME, required=True)] = Field(
        description="Unique in the instance, whatever the case.")
    description: Annotated[str, Text(MAX_DESCRIPTION)] = Field(
        "", description="What the hub is about: plain text, line breaks kept.")
    visibility: Annotated[str, Choice(HUB_VISIBILITIES)] = Field(
        "open", description="open: every member reads it and joins at once; request: only "
        "its members read it, and its moderators approve who joins.")


class PostFields(Rules):
    """A reply, or the text of a post being edited."""

    text: Annotated[str, Text(MAX_POST, minimum=1)] = Field(
        description="Plain text: paragraphs, links and @mentions (@first.last) are rendered; "
        "HTML is shown as typed.")


class ThreadFields(PostFields):
    """A new thread: its title and opening post."""

    title: Annotated[str, Line(MAX_TITLE, required=True)]


class RemovalReason(Rules):
    """Why a hub moderator removes a post (kept in the audit log)."""

    reason: Annotated[str, Text(MAX_REASON, minimum=1)]
