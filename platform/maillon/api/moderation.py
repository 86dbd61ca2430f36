"""Moderation and administration: the audit log, sanctions and appeals (docs/api.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from flask import Response, g, request
from pydantic import BaseModel, Field

from maillon.api.errors import validate_query
from maillon.api.idempotency import Reply
from maillon.api.registry import operation
from maillon.db import db
from maillon.members.models import Member
from maillon.moderation import sanctions, services
from maillon.moderation.lifecycle import APPEAL, APPEAL_OPEN, SANCTION
from maillon.moderation.models import SANCTION_KINDS, Appeal, Sanction
from maillon.validation import Body, Choice

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




@operation("GET", "/admin/audit", summary="The audit log (admins)", tag=TAG, description=(
               "Query: actor (member id), action, subject (member id), since and until "
               "(YYYY-MM-DD, whole UTC days), format (json or csv; csv ignores page and "
               "per_page, and the export is itself audited), page, per_page. Newest first."),
           responses={200: ("A page of the log, or the CSV file", AuditList),
                      403: "forbidden (not an admin of this instance)",
                      422: "validation_failed"})
def audit_log(member: Member) -> Reply:
    services.access_staff(g.instance, member, admin=True)  # before reading any argument
    args: AuditArgs = validate_query(AuditArgs)
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


# ---------------------------------------------------------------------- sanctions and appeals


class SanctionIn(Body):
    reason: str = Field(min_length=1, max_length=sanctions.MAX_REASON,
                        description="The member reads it.")
    until: datetime | None = Field(None, description="When it ends (ISO 8601 with a time "
                                   "zone, in the future); absent: until lifted. Not for warn.")


class LiftIn(Body):
    reason: str = Field(min_length=1, max_length=sanctions.MAX_REASON)


class AppealIn(Body):
    text: str = Field(min_length=1, max_length=sanctions.MAX_APPEAL)


class DecisionIn(Body):
    response: str = Field(min_length=1, max_length=sanctions.MAX_REASON,
                          description="The member reads it.")


class SanctionOut(BaseModel):
    id: int
    member_id: int
    kind: Annotated[str, Choice(SANCTION_KINDS)]
    status: Annotated[str, Choice(SANCTION.states)]
    reason: str
    until: str | None
    created_at: str
    appeal: dict[str, Any] | None = Field(description="{id, status, text, response} or null.")


class SanctionList(BaseModel):
    total: int
    results: list[SanctionOut]


class AppealOut(BaseModel):
    id: int
    sanction_id: int
    member_id: int
    status: Annotated[str, Choice(APPEAL.states)]
    text: str
    response: str
    created_at: str


class AppealList(BaseModel):
    total: int
    results: list[AppealOut]


def _appeal_dict(appeal: Appeal) -> dict[str, Any]:
    return {"id": appeal.id, "sanction_id": appeal.sanction_id, "member_id": appeal.member_id,
            "status": appeal.status, "text": appeal.text, "response": appeal.response,
            "created_at": appeal.created_at.isoformat()}


def _sanction_dict(sanction: Sanction, appeal: Appeal | None) -> dict[str, Any]:
    return {"id": sanction.id, "member_id": sanction.member_id, "kind": sanction.kind,
            "status": sanction.status, "reason": sanction.reason,
            "until": sanction.until.isoformat() if sanction.until else None,
            "created_at": sanction.created_at.isoformat(),
            "appeal": None if appeal is None else _appeal_dict(appeal)}


def _impose(kind: str, member: Member, member_id: int, body: SanctionIn) -> Reply:
    sanction = sanctions.impose_sanction(db.session, g.instance, member, member_id, kind,
                                         reason=body.reason, until=body.until,
                                         ip=request.remote_addr or "")
    return _sanction_dict(sanction, None), 201


_IMPOSE_ERRORS = {403: "forbidden (not staff), cannot_sanction_staff",
                  404: "not_found (also another instance's member)",
                  422: "validation_failed, cannot_sanction_self"}


@operation("POST", "/admin/members/<int:member_id>/warn", summary="Warn a member (staff)",
           tag=TAG, body=SanctionIn, idempotent=True,
           description="The member is told why (notification and e-mail); audited.",
           responses={201: ("The warning", SanctionOut), **_IMPOSE_ERRORS})
def warn_member(member: Member, member_id: int, body: SanctionIn) -> Reply:
    return _impose("warn", member, member_id, body)


@operation("POST", "/admin/members/<int:member_id>/limit", summary="Limit a member (staff)",
           tag=TAG, body=SanctionIn, idempotent=True,
           description="No new introductions, direct messages or connection requests (403 "
           "account_limited) until it ends; replaces a limit in force; audited.",
           responses={201: ("The limit", SanctionOut), **_IMPOSE_ERRORS})
def limit_member(member: Member, member_id: int, body: SanctionIn) -> Reply:
    return _impose("limit", member, member_id, body)


@operation("POST", "/admin/members/<int:member_id>/suspend", summary="Suspend a member (staff)",
           tag=TAG, body=SanctionIn, idempotent=True,
           description="Sessions and tokens stop working (401 account_suspended), out of "
           "search and chains, requests they hold move on; audited.",
           responses={201: ("The suspension", SanctionOut), **_IMPOSE_ERRORS})
def suspend_member(member: Member, member_id: int, body: SanctionIn) -> Reply:
    return _impose("suspend", member, member_id, body)


@operation("POST", "/admin/members/<int:member_id>/unsuspend", summary="Lift a suspension",
           tag=TAG, body=LiftIn, idempotent=True, description="Staff; audited; the member "
           "is told.",
           responses={200: ("The lifted suspensions", SanctionList),
                      403: "forbidden", 404: "not_found",
                      409: "sanction_not_active (no suspension in force)"})
def unsuspend_member(member: Member, member_id: int, body: LiftIn) -> Reply:
    lifted = sanctions.lift_member_sanctions(db.session, g.instance, member, member_id,
                                             "suspend", reason=body.reason,
                                             ip=request.remote_addr or "")
    return {"total": len(lifted), "results": [_sanction_dict(s, None) for s in lifted]}, 200


@operation("POST", "/admin/sanctions/<int:sanction_id>/lift", summary="Lift a sanction",
           tag=TAG, body=LiftIn, idempotent=True, description="Staff; audited; the member "
           "is told.",
           responses={200: ("The sanction", SanctionOut), 403: "forbidden",
                      404: "not_found", 409: "sanction_not_active"})
def lift_sanction(member: Member, sanction_id: int, body: LiftIn) -> Reply:
    services.access_staff(g.instance, member)
    sanction = sanctions.lift_sanction(db.session, g.instance, member, sanction_id,
                                       reason=body.reason, ip=request.remote_addr or "")
    return _sanction_dict(sanction, None), 200


class SanctionsArgs(BaseModel):
    member_id: int | None = Field(None, ge=1, le=2**63 - 1)
    status: Annotated[str, Choice(SANCTION.states)] | None = None
    page: int = Field(1, ge=1, le=10_000)
    per_page: int = Field(20, ge=1, le=100)


@operation("GET", "/admin/sanctions", summary="Sanctions (staff)", tag=TAG,
           description="Query: member_id, status, page, per_page. Newest first.",
           responses={200: ("A page of sanctions", SanctionList), 403: "forbidden",
                      422: "validation_failed"})
def list_sanctions(member: Member) -> Reply:
    services.access_staff(g.instance, member)
    args = validate_query(SanctionsArgs)
    total, rows = sanctions.list_sanctions(db.session, g.instance, member,
                                           member_id=args.member_id, status=args.status,
                                           page=args.page, per_page=args.per_page)
    return {"total": total, "results": [_sanction_dict(s, None) for s in rows]}, 200


@operation("GET", "/me/sanctions", summary="The caller's sanctions", tag=TAG,
           description="With the appeal of each, if any.",
           responses={200: ("The caller's sanctions, newest first", SanctionList)})
def my_sanctions(member: Member) -> Reply:
    rows = sanctions.list_own_sanctions(db.session, g.instance, member)
    return {"total": len(rows), "results": [_sanction_dict(s, a) for s, a in rows]}, 200


@operation("POST", "/sanctions/<int:sanction_id>/appeal", summary="Appeal against a sanction",
           tag=TAG, body=AppealIn, idempotent=True,
           description="The sanctioned member, once per sanction. A suspended member appeals "
           "on the page their login leads to (their tokens no longer work).",
           responses={201: ("The appeal", AppealOut),
                      404: "not_found (not the caller's sanction)",
                      409: "already_appealed, sanction_not_active",
                      422: "validation_failed"})
def appeal(member: Member, sanction_id: int, body: AppealIn) -> Reply:
    row = sanctions.appeal_sanction(db.session, g.instance, member, sanction_id, body.text)
    return _appeal_dict(row), 201


class AppealsArgs(BaseModel):
    status: Annotated[str, Choice(APPEAL.states)] = APPEAL_OPEN
    page: int = Field(1, ge=1, le=10_000)
    per_page: int = Field(20, ge=1, le=100)


@operation("GET", "/admin/appeals", summary="The appeal queue (staff)", tag=TAG,
           description="Query: status (default open), page, per_page. Oldest first.",
           responses={200: ("A page of appeals", AppealList), 403: "forbidden",
                      422: "validation_failed"})
def list_appeals(member: Member) -> Reply:
    services.access_staff(g.instance, member)
    args = validate_query(AppealsArgs)
    total, rows = sanctions.list_appeals(db.session, g.instance, member, status=args.status,
                                         page=args.page, per_page=args.per_page)
    return {"total": total, "results": [_appeal_dict(a) for a in rows]}, 200


def _decide(member: Member, appeal_id: int, body: DecisionIn, accept: bool) -> Reply:
    row = sanctions.decide_appeal(db.session, g.instance, member, appeal_id, accept=accept,
                                  response=body.response, ip=request.remote_addr or "")
    return _appeal_dict(row), 200


_DECIDE_ERRORS = {403: "forbidden, cannot_decide_own_appeal", 404: "not_found",
                  409: "appeal_decided", 422: "validation_failed"}


@operation("POST", "/admin/appeals/<int:appeal_id>/accept", summary="Accept an appeal",
           tag=TAG, body=DecisionIn, idempotent=True,
           description="Staff: the sanction is lifted, the member told; audited.",
           responses={200: ("The appeal", AppealOut), **_DECIDE_ERRORS})
def accept_appeal(member: Member, appeal_id: int, body: DecisionIn) -> Reply:
    return _decide(member, appeal_id, body, True)


@operation("POST", "/admin/appeals/<int:appeal_id>/reject", summary="Reject an appeal",
           tag=TAG, body=DecisionIn, idempotent=True,
           description="Staff: the sanction stays, the member told; audited.",
           responses={200: ("The appeal", AppealOut), **_DECIDE_ERRORS})
def reject_appeal(member: Member, appeal_id: int, body: DecisionIn) -> Reply:
    return _decide(member, appeal_id, body, False)
