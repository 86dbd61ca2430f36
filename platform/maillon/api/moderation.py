"""Moderation and administration: the audit log (staff, docs/api.md)."""

from __future__ import annotations

from typing import Any, Literal

from flask import Response, g, request
from pydantic import BaseModel, Field, ValidationError

from maillon.api.errors import pydantic_fields
from maillon.api.idempotency import Reply
from maillon.api.registry import operation
from maillon.db import db
from maillon.errors import ValidationFailed
from maillon.members.models import Member
from maillon.moderation import services

TAG = "moderation"


class AuditArgs(BaseModel):
    actor: str = ""
    action: str = ""
    subject: str = ""
    since: str = ""
    until: str = ""
    format: Literal["json", "csv"] = "json"
    page: int = Field(1, ge=1, le=10_000)
    per_page: int = Field(20, ge=1, le=100)


class AuditActor(BaseModel):
    id: int | None = Field(description="null once the account is gone; name stays.")
    name: str


class AuditSubject(BaseModel):
    type: str | None = Field(description="member, introduction, invitation, or null.")
    id: int | None
    member_id: int | None = Field(description="The member concerned, while the account exists.")
    name: str


class AuditEntryOut(BaseModel):
    id: int
    created_at: str
    actor: AuditActor
    action: str
    subject: AuditSubject
    reason: str
    ip: str
    data: dict[str, Any]


class AuditList(BaseModel):
    total: int
    results: list[AuditEntryOut]


def _args() -> AuditArgs:
    try:
        return AuditArgs.model_validate(dict(request.args.items()))
    except ValidationError as exc:
        raise ValidationFailed(pydantic_fields(exc)) from None


@operation("GET", "/admin/audit", summary="The audit log (admins)", tag=TAG, description=(
               "Query: actor (member id), action, subject (member id), since and until "
               "(YYYY-MM-DD, whole UTC days), format (json or csv; csv ignores page and "
               "per_page, and the export is itself audited), page, per_page. Newest first."),
           responses={200: ("A page of the log, or the CSV file", AuditList),
                      403: "forbidden (not an admin of this instance)",
                      422: "validation_failed"})
def audit_log(member: Member) -> Reply:
    services.access_staff(g.instance, member, admin=True)  # before reading any argument
    args = _args()
    filters = services.parse_audit_filter(args.model_dump(mode="python", exclude={
        "format", "page", "per_page"}))
    if args.format == "csv":
        text = services.export_audit_csv(db.session, g.instance, member, filters,
                                         ip=request.remote_addr or "")
        return Response(text, mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="audit-{g.instance.slug}.csv"'}), 200
    total, entries = services.list_audit_entries(db.session, g.instance, member, filters,
                                                 page=args.page, per_page=args.per_page)
    return {"total": total, "results": [services.audit_dict(e) for e in entries]}, 200
