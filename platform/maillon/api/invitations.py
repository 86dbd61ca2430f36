"""Invitations in bulk from a CSV file (admins): preview, send, progress (docs/api.md)."""

from __future__ import annotations

from typing import Literal

from flask import g, request
from pydantic import BaseModel, Field

from maillon.accounts import bulk_invitations as bulk
from maillon.api.idempotency import Reply
from maillon.api.registry import operation
from maillon.db import db
from maillon.members.models import Member
from maillon.validation import Body

TAG = "moderation"


class BatchIn(Body):
    csv: str = Field(min_length=1, max_length=bulk.MAX_BYTES, description=(
        "The file's text: one address per row, in a column headed email (also e-mail, "
        "mail, courriel) or the first cell holding an @; commas or semicolons."))
    filename: str = Field("", max_length=200)


class Problem(BaseModel):
    line: int
    email: str
    problem: Literal["invalid", "duplicate", "member", "domain"]


class BatchOut(BaseModel):
    id: int
    status: Literal["draft", "sending", "done"]
    filename: str
    created_at: str
    total: int = Field(description="Rows with an address.")
    ready: int = Field(description="Rows that will be invited.")
    handled: int
    invited: int
    skipped: int
    failed: int = Field(description="Not sent: the admin who started it is no longer one.")
    sent_at: str | None
    finished_at: str | None
    problems: list[Problem]


@operation("POST", "/admin/invitations/batches", summary="Check a CSV file of invitations",
           tag=TAG, body=BatchIn, idempotent=True, description=(
               f"Up to {bulk.MAX_ROWS} rows. Nothing is sent: the answer is a draft naming "
               "each row's problem; send it with /send."),
           responses={201: ("The draft", BatchOut),
                      403: "forbidden (not an admin of this instance)",
                      422: "validation_failed (fields.file: empty, too large, too many rows)"})
def preview_batch(member: Member, body: BatchIn) -> Reply:
    batch = bulk.preview_batch(db.session, g.instance, member, body.csv,
                               filename=body.filename)
    return bulk.batch_dict(batch), 201


@operation("POST", "/admin/invitations/batches/<int:batch_id>/send",
           summary="Send a checked batch of invitations", tag=TAG, description=(
               "The worker sends it in chunks; follow handled/total with GET. Sending again "
               "sends nothing more."),
           responses={202: ("The batch, sending", BatchOut),
                      403: "forbidden", 404: "not_found (another instance's id too)"})
def send_batch(member: Member, batch_id: int) -> Reply:
    batch = bulk.send_batch(db.session, g.instance, member, batch_id,
                            ip=request.remote_addr or "")
    return bulk.batch_dict(batch), 202


@operation("GET", "/admin/invitations/batches/<int:batch_id>",
           summary="A batch of invitations and its progress", tag=TAG,
           responses={200: ("The batch", BatchOut), 403: "forbidden",
                      404: "not_found (another instance's id too)"})
def get_batch(member: Member, batch_id: int) -> Reply:
    return bulk.batch_dict(bulk.access_batch(db.session, g.instance, member, batch_id)), 200


