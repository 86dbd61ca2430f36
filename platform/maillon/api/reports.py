"""Reports: members report what they can see; staff decide; reporters are told the outcome
(docs/api.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from flask import g, request
from pydantic import BaseModel, Field

from maillon.api.errors import validate_query
from maillon.api.idempotency import Reply
from maillon.api.registry import MAX_ID, operation
from maillon.db import db
from maillon.members.models import Member
from maillon.moderation import reports, services
from maillon.moderation.lifecycle import REPORT, REPORT_OPEN
from maillon.moderation.models import REPORT_REASONS, REPORT_SUBJECTS
from maillon.validation import Body, Choice

TAG = "moderation"

SubjectType = Annotated[str, Choice(REPORT_SUBJECTS)]
Reason = Annotated[str, Choice(REPORT_REASONS)]
Status = Annotated[str, Choice(REPORT.states)]


class ReportIn(Body):
    subject_type: SubjectType = Field(description="What is reported (post: a post in a "
                                      "hub).")
    subject_id: int = Field(ge=1, le=MAX_ID)
    reason: Reason
    details: str = Field("", max_length=reports.MAX_DETAILS)


class ReportSubject(BaseModel):
    type: SubjectType
    id: int
    name: str = Field(description="The reported member, or the content's author.")
    member_id: int | None = Field(None, description="Staff only: the reported member.")


class ReportOut(BaseModel):
    id: int
    status: Status
    subject: ReportSubject
    reason: Reason
    details: str
    created_at: str
    decided_at: str | None
    outcome: Literal["action_taken", "no_action"] | None = Field(
        description="What the reporter is told; which action is never said.")
    reporter: dict[str, Any] | None = Field(None, description="Staff only: {id, name}.")
    snapshot: str | None = Field(None, description="Staff only: the reported text as the "
                                 "reporter saw it.")
    ignored: bool | None = Field(None, description="Staff only: filed while staff ignore this "
                                 "reporter about this subject (never queued).")
    resolution: str | None = Field(None, description="Staff only: the moderator's reason.")
    actions: list[str] | None = Field(None, description="Staff only: dismiss, warn, limit, "
                                      "suspend, delete_content.")


class ReportList(BaseModel):
    total: int
    results: list[ReportOut]


class ReportDetail(ReportOut):
    subject_reports: list[ReportOut] = Field(description="Every report on the same subject, "
                                             "oldest first.")


class ReportGroupOut(BaseModel):
    subject: ReportSubject
    count: int
    reasons: dict[str, int]
    first_at: str
    last_at: str
    latest_report_id: int


class ReportGroupList(BaseModel):
    total: int
    results: list[ReportGroupOut]


@operation("POST", "/reports", summary="Report a member or content", tag=TAG, body=ReportIn,
           idempotent=True, description=(
               "Only what the caller can see: anything else answers 404 as it would itself. "
               "A repeat while the caller's report on the subject is open updates it (200). "
               "The reporter is told the outcome later (notification and e-mail); the "
               "reported member never learns who reported them."),
           responses={201: ("The new report", ReportOut),
                      200: ("The caller's open report on this subject, updated", ReportOut),
                      404: "not_found (not visible to the caller, or another instance's)",
                      422: "validation_failed, cannot_report_self, cannot_report_own_content",
                      429: f"report_limit_reached (more than {reports.DAILY_LIMIT} new "
                           "reports in 24 hours)"})
def create_report(member: Member, body: ReportIn) -> Reply:
    report, created = reports.file_report(db.session, g.instance, member, body.subject_type,
                                          body.subject_id, reason=body.reason,
                                          details=body.details)
    return reports.report_dict(report, staff=False), 201 if created else 200


@operation("GET", "/reports/mine", summary="The caller's reports", tag=TAG,
           description="Newest first, with their status and outcome.",
           responses={200: ("The caller's reports", ReportList)})
def my_reports(member: Member) -> Reply:
    return _own_reports(member)


def _own_reports(member: Member) -> Reply:
    rows = reports.list_own_reports(db.session, g.instance, member)
    return {"total": len(rows),
            "results": [reports.report_dict(r, staff=False) for r in rows]}, 200


@operation("GET", "/me/reports", summary="The caller's reports (as /reports/mine)", tag=TAG,
           description="The same list under /me, beside /me/sanctions.",
           responses={200: ("The caller's reports", ReportList)})
def me_reports(member: Member) -> Reply:
    return _own_reports(member)


class QueueArgs(BaseModel):
    status: Status = REPORT_OPEN
    page: int = Field(1, ge=1, le=10_000)
    per_page: int = Field(20, ge=1, le=100)


@operation("GET", "/admin/reports", summary="The report queue (staff)", tag=TAG,
           description="Reports grouped by subject (count, reasons, first and last date), "
           "latest first. Query: status (default open), page, per_page. Reports from a "
           "reporter staff ignore about a subject are left out.",
           responses={200: ("A page of reported subjects", ReportGroupList),
                      403: "forbidden (not staff)", 422: "validation_failed"})
def report_queue(member: Member) -> Reply:
    services.access_staff(g.instance, member)
    args = validate_query(QueueArgs)
    total, groups = reports.list_report_groups(db.session, g.instance, member,
                                               status=args.status, page=args.page,
                                               per_page=args.per_page)
    return {"total": total, "results": [
        {"subject": {"type": grp.subject_type, "id": grp.subject_id, "name": grp.subject_name,
                     "member_id": grp.subject_member_id},
         "count": grp.count, "reasons": grp.reasons, "first_at": grp.first_at.isoformat(),
         "last_at": grp.last_at.isoformat(), "latest_report_id": grp.latest_id}
        for grp in groups]}, 200


@operation("GET", "/admin/reports/<int:report_id>", summary="A report (staff)", tag=TAG,
           description="With its reporter, the snapshot, and every report on the same subject.",
           responses={200: ("The report", ReportDetail), 403: "forbidden",
                      404: "not_found (also another instance's report)"})
def get_report(member: Member, report_id: int) -> Reply:
    report = reports.access_report(db.session, g.instance, member, report_id)
    rows = reports.list_subject_reports(db.session, g.instance, member, report.subject_type,
                                        report.subject_id)
    return {**reports.report_dict(report, staff=True),
            "subject_reports": [reports.report_dict(r, staff=True) for r in rows]}, 200


class ResolveIn(Body):
    action: Literal["dismiss", "warn", "limit", "suspend", "delete_content"] = Field(
        description="dismiss; a sanction of the reported member; or delete_content (a "
        "recommendation or a message).")
    reason: str = Field(min_length=1, max_length=reports.MAX_RESOLUTION,
                        description="A sanctioned member reads it; reporters never do.")
    until: datetime | None = Field(None, description="limit, suspend: when it ends (ISO 8601 "
                                   "with a time zone); absent: until lifted.")
    delete_content: bool = Field(False, description="With a sanction: also delete the "
                                 "reported recommendation or message.")
    ignore_further: bool = Field(False, description="With dismiss: later reports from these "
                                 "reporters about this subject are accepted but not queued.")


@operation("POST", "/admin/reports/<int:report_id>/resolve", summary="Decide on a report",
           tag=TAG, body=ResolveIn, idempotent=True, description=(
               "Staff. One decision closes every open report on the report's subject "
               "(actioned or dismissed); audited (report_actioned, report_dismissed, and the "
               "sanction's own entry); each reporter is told whether action was taken."),
           responses={200: ("The reports closed", ReportList),
                      403: "forbidden, cannot_decide_own_report, cannot_sanction_staff",
                      404: "not_found",
                      409: "report_decided (no open report on the subject), content_gone, "
                           "subject_gone",
                      422: "validation_failed"})
def resolve_report(member: Member, report_id: int, body: ResolveIn) -> Reply:
    sanction = body.action if body.action in ("warn", "limit", "suspend") else None
    decision = reports.Decision(
        dismiss=body.action == "dismiss", reason=body.reason, sanction=sanction,
        until=body.until, delete_content=body.action == "delete_content" or body.delete_content,
        ignore_reporters=body.ignore_further)
    rows = reports.decide_report(db.session, g.instance, member, report_id, decision,
                                 ip=request.remote_addr or "")
    return {"total": len(rows),
            "results": [reports.report_dict(r, staff=True) for r in rows]}, 200
