"""Staff roles: an admin names moderators and admins (docs/api.md)."""

from __future__ import annotations

from typing import Literal

from flask import g, request
from pydantic import BaseModel, Field

from maillon.api.idempotency import Reply
from maillon.api.registry import operation
from maillon.db import db
from maillon.members.models import Member
from maillon.moderation.roles import MAX_REASON, change_role
from maillon.validation import Body

TAG = "moderation"


class RoleIn(Body):
    role: Literal["member", "moderator", "admin"]
    reason: str = Field("", max_length=MAX_REASON, description="Kept in the audit log.")


class RoleOut(BaseModel):
    id: int
    role: Literal["member", "moderator", "admin"]


@operation("POST", "/admin/members/<int:member_id>/role", summary="Change a member's role "
           "(admins)", tag=TAG, body=RoleIn, description=(
               "Audited (role_changed, with the old and new roles); the same role again "
               "changes nothing."),
           responses={200: ("The member's role now", RoleOut),
                      403: "forbidden (not an admin), cannot_change_own_role",
                      404: "not_found (another instance's id too)",
                      409: "last_admin, member_not_active", 422: "validation_failed"})
def set_role(member: Member, member_id: int, body: RoleIn) -> Reply:
    target = change_role(db.session, g.instance, member, member_id, body.role,
                         reason=body.reason, ip=request.remote_addr or "")
    return {"id": target.id, "role": target.role}, 200
