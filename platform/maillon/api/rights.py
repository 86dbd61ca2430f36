"""Data rights: the caller's export, deleting one's account, an admin deleting a member's."""

from __future__ import annotations

from typing import Any

from flask import g, request
from pydantic import BaseModel, Field

from maillon.api.idempotency import Reply
from maillon.api.registry import operation
from maillon.db import db
from maillon.members.models import Member
from maillon.rights.deletion import delete_member, delete_own_account
from maillon.rights.export import export_member_data
from maillon.validation import Body

TAG = "data rights"


class Export(BaseModel):
    """Everything about the caller (docs/api.md describes each key)."""

    format_version: int = Field(description="1; a change of shape comes with a new number.")
    generated_at: str
    instance: dict[str, Any]
    account: dict[str, Any]
    profile: dict[str, Any]
    connections: list[dict[str, Any]]
    endorsements: dict[str, list[dict[str, Any]]]
    recommendations: dict[str, list[dict[str, Any]]]
    introductions: dict[str, list[dict[str, Any]]]
    messages: dict[str, list[dict[str, Any]]]
    notifications: list[dict[str, Any]]
    sanctions: list[dict[str, Any]]
    audit: list[dict[str, Any]]
    limits: dict[str, Any] = Field(description="{per_list, truncated: [list names cut to "
                                   "their per_list newest entries]}")


class DeleteMeIn(Body):
    password: str = Field(min_length=1, max_length=200)


class DeleteMemberIn(Body):
    reason: str = Field(min_length=1, max_length=2000)


class Deleted(BaseModel):
    id: int
    status: str = Field(description="deleted")


@operation("GET", "/me/export", summary="Everything about the caller", tag=TAG,
           responses={200: ("The caller's data as one JSON document", Export)})
def export_me(member: Member) -> Reply:
    return export_member_data(db.session, g.instance, member), 200


@operation("DELETE", "/me", summary="Delete the caller's account", tag=TAG, body=DeleteMeIn,
           description="Personal data is removed; others' introductions keep \"a former "
                       "member\"; the token stops working (a repeat answers 401).",
           responses={202: ("The account is deleted", Deleted),
                      403: "wrong_password", 409: "last_admin (the instance's only admin)"})
def delete_me(member: Member, body: DeleteMeIn) -> Reply:
    delete_own_account(db.session, g.instance, member, password=body.password,
                       ip=request.remote_addr or "")
    return {"id": member.id, "status": "deleted"}, 202


@operation("POST", "/admin/members/<int:member_id>/delete", summary="Delete a member's "
           "account (admins)", tag=TAG, body=DeleteMemberIn, idempotent=True,
           description="The member is told by e-mail, with the reason, before their data "
                       "goes; audited (member_deleted). A deleted account is a 404.",
           responses={200: ("The account is deleted", Deleted),
                      403: "forbidden (not an admin), cannot_sanction_staff (an admin)",
                      422: "validation_failed, cannot_sanction_self"})
def delete_member_account(member: Member, member_id: int, body: DeleteMemberIn) -> Reply:
    deleted = delete_member(db.session, g.instance, member, member_id, reason=body.reason,
                            ip=request.remote_addr or "")
    return {"id": deleted.id, "status": "deleted"}, 200
