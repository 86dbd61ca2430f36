"""The instance's editable settings (admins): read them, change or reset several at once
(docs/api.md)."""

from __future__ import annotations

from typing import Any, Literal

from flask import g, request
from pydantic import BaseModel, Field

from maillon.api.idempotency import Reply
from maillon.api.registry import operation
from maillon.db import db
from maillon.members.models import Member
from maillon.tenancy import policies
from maillon.validation import Body

TAG = "moderation"


class PolicyOut(BaseModel):
    key: str
    value: Any = Field(description="In force.")
    file_value: Any = Field(description="The instance's configuration file's.")
    edited: bool = Field(description="Whether the value in force was set here.")
    type: Literal["bool", "int", "float", "list", "str"]
    choices: list[str] | None
    minimum: float | None
    maximum: float | None


class PolicyList(BaseModel):
    results: list[PolicyOut]


class PoliciesIn(Body):
    changes: dict[str, Any] = Field(default_factory=dict, description="key → new value.")
    reset: list[str] = Field(default_factory=list, description=(
        "Keys back to the configuration file's value."))


def _listed(member: Member) -> dict[str, Any]:
    return {"results": [p.as_dict() for p in policies.list_policies(db.session, g.instance,
                                                                     member)]}


@operation("GET", "/admin/policies", summary="The instance's editable settings (admins)",
           tag=TAG, responses={200: ("Every editable setting", PolicyList),
                               403: "forbidden (not an admin of this instance)"})
def list_policies(member: Member) -> Reply:
    return _listed(member), 200


@operation("PATCH", "/admin/policies", summary="Change or reset settings (admins)", tag=TAG,
           body=PoliciesIn, description=(
               "All or nothing: one bad value and nothing changes (422 with a message per "
               "key). Each setting whose value in force changes is audited "
               "(policy_changed); sending the values in force again changes nothing."),
           responses={200: ("Every editable setting, after the change", PolicyList),
                      403: "forbidden (not an admin of this instance)",
                      422: "validation_failed (fields: the bad keys)"})
def change_policies(member: Member, body: PoliciesIn) -> Reply:
    policies.change_policies(db.session, g.instance, member, body.changes, reset=body.reset,
                             ip=request.remote_addr or "")
    return _listed(member), 200
