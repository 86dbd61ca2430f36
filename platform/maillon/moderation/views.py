"""Staff pages (the moderation home, the audit log and its CSV export, sanctions, appeals, the
report queue) and the member's side (their sanctions, the suspension notice, appealing,
reporting and their reports)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask import Blueprint, Response, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import NotFound

from maillon.db import db
from maillon.errors import ServiceError, ValidationFailed
from maillon.moderation import reports, roles, sanctions, services
from maillon.moderation.forms import (
    REASON_LABELS,
    AppealForm,
    DecisionForm,
    LiftForm,
    ReportDecisionForm,
    ReportForm,
    RoleForm,
    SanctionForm,
)
from maillon.moderation.lifecycle import SANCTION
from maillon.moderation.models import AUDIT_ACTIONS
from maillon.pagination import MAX_ID, page_arg
from maillon.tenancy.rendering import render

bp = Blueprint("moderation", __name__, template_folder="templates")

PER_PAGE = 50


@bp.app_context_processor
def _open_reports() -> dict[str, Any]:
    """The staff menu's badge: subjects waiting in the report queue (one query, only when the
    layout asks, only for staff)."""
    def count() -> int:
        instance = g.get("instance")
        if instance is None or not services.is_staff(instance, current_user):
            return 0
        return reports.count_open_subjects(db.session, instance, current_user)

    return {"open_reports_count": count, "report_reason_labels": REASON_LABELS}


@bp.get("/moderation")
@login_required
def index() -> Any:
    services.access_staff(g.instance, current_user)
    return render("moderation/index.html")


@bp.get("/moderation/member")
@login_required
def go_to_member() -> Any:
    services.access_staff(g.instance, current_user)
    number = request.args.get("member", "").strip().lstrip("#")
    if not number.isdigit() or not 0 < int(number) <= MAX_ID:
        flash(_("Give a member number."), "error")
        return redirect(url_for("moderation.index"))
    return redirect(url_for("moderation.member", member_id=int(number)))


def _filters() -> tuple[services.AuditFilter, dict[str, str]]:
    try:
        return services.parse_audit_filter(request.args), {}
    except ValidationFailed as exc:
        return services.AuditFilter(), exc.fields


@bp.get("/admin/audit")
@login_required
def audit_log() -> Any:
    filters, errors = _filters()
    page = page_arg()
    total, entries = services.list_audit_entries(db.session, g.instance, current_user, filters,
                                                 page=page, per_page=PER_PAGE)
    actors = services.list_audit_actors(db.session, g.instance, current_user)
    if errors:
        flash(_("Some filters are not valid; the whole log is shown."), "error")
    pages = max(1, -(-total // PER_PAGE))
    return render("moderation/audit.html", entries=entries, total=total, page=min(page, pages),
                  pages=pages, filters=filters, errors=errors, actors=actors,
                  actions=AUDIT_ACTIONS, args=request.args), 422 if errors else 200


@bp.get("/admin/audit/export")
@login_required
def audit_export() -> Any:
    services.access_staff(g.instance, current_user, admin=True)
    filters, errors = _filters()
    if errors:
        raise ValidationFailed(errors, _("Some filters are not valid."))
    text = services.export_audit_csv(db.session, g.instance, current_user, filters,
                                     ip=request.remote_addr or "")
    return Response(text, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="audit-{g.instance.slug}.csv"'})


# ---------------------------------------------------------------------- sanctions (staff)


def _until(day: Any) -> datetime | None:
    """A date in the form means "through that day": the sanction ends at the next midnight UTC."""
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def _ip() -> str:
    return request.remote_addr or ""


@bp.route("/moderation/members/<int:member_id>", methods=["GET", "POST"])
@login_required
def member(member_id: int) -> Any:
    target = sanctions.access_moderated_member(db.session, g.instance, current_user, member_id)
    form = SanctionForm()
    status = 200
    if form.validate_on_submit():
        try:
            sanctions.impose_sanction(db.session, g.instance, current_user, member_id,
                                      form.kind.data or "", reason=form.reason.data or "",
                                      until=_until(form.until.data), ip=_ip())
        except ServiceError as exc:
            db.session.rollback()
            _place(form, exc)
            status = exc.status
        else:
            flash(_("The sanction is in force and the member is told why."), "success")
            return redirect(url_for("moderation.member", member_id=member_id))
    elif request.method == "POST":
        status = 422
    _total, rows = sanctions.list_sanctions(db.session, g.instance, current_user,
                                            member_id=member_id, per_page=100)
    role_form = RoleForm(formdata=None, role=target.role)
    return render("moderation/member.html", target=target, form=form, sanctions=rows,
                  lift_form=LiftForm(), role_form=role_form), status


@bp.post("/moderation/members/<int:member_id>/role")
@login_required
def set_role(member_id: int) -> Any:
    services.access_staff(g.instance, current_user, admin=True)
    form = RoleForm()
    if not form.validate_on_submit():
        flash(_("The form has expired: please try again."), "error")
        return redirect(url_for("moderation.member", member_id=member_id), 303)
    try:
        target = roles.change_role(db.session, g.instance, current_user, member_id,
                                   form.role.data or "", reason=form.reason.data or "",
                                   ip=_ip())
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        label = next(c.label for c in form.role.choices  # type: ignore[union-attr]
                     if c.value == target.role)
        flash(_("%(name)s's role is now: %(role)s.", name=target.name, role=label), "success")
    return redirect(url_for("moderation.member", member_id=member_id), 303)


@bp.post("/moderation/sanctions/<int:sanction_id>/lift")
@login_required
def lift(sanction_id: int) -> Any:
    services.access_staff(g.instance, current_user)
    form = LiftForm()
    sanction = sanctions.access_sanction(db.session, g.instance, current_user, sanction_id)
    if form.validate_on_submit():
        try:
            sanctions.lift_sanction(db.session, g.instance, current_user, sanction_id,
                                    reason=form.reason.data or "", ip=_ip())
        except ServiceError as exc:
            db.session.rollback()
            flash(exc.fields.get("reason") or exc.message, "error")
        else:
            flash(_("The sanction is lifted and the member is told."), "success")
    else:
        flash(_("Say why you lift it."), "error")
    return redirect(url_for("moderation.member", member_id=sanction.member_id))


@bp.get("/moderation/sanctions")
@login_required
def sanction_list() -> Any:
    page = page_arg()
    status = request.args.get("status") or None
    if status not in (None, *SANCTION.states):
        status = None
    total, rows = sanctions.list_sanctions(db.session, g.instance, current_user, status=status,
                                           page=page, per_page=PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    return render("moderation/sanctions.html", sanctions=rows, total=total, page=page,
                  pages=pages, status=status)


@bp.route("/moderation/appeals", methods=["GET"])
@login_required
def appeals() -> Any:
    page = page_arg()
    total, rows = sanctions.list_appeals(db.session, g.instance, current_user, page=page,
                                         per_page=PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    return render("moderation/appeals.html", appeals=rows, total=total, page=page,
                  pages=pages, form=DecisionForm())


@bp.post("/moderation/appeals/<int:appeal_id>")
@login_required
def decide(appeal_id: int) -> Any:
    sanctions.access_appeal(db.session, g.instance, current_user, appeal_id)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            sanctions.decide_appeal(db.session, g.instance, current_user, appeal_id,
                                    accept=form.decision.data == "accept",
                                    response=form.response.data or "", ip=_ip())
        except ServiceError as exc:
            db.session.rollback()
            flash(next(iter(exc.fields.values()), exc.message), "error")
        else:
            flash(_("The appeal is decided and the member is told."), "success")
    else:
        flash(_("Choose a decision and write an answer to the member."), "error")
    return redirect(url_for("moderation.appeals"))


# ---------------------------------------------------------------------- the member's side


@bp.get("/account/sanctions")
@login_required
def my_sanctions() -> Any:
    rows = sanctions.list_own_sanctions(db.session, g.instance, current_user)
    return render("moderation/my_sanctions.html", rows=rows, form=AppealForm())


@bp.post("/account/sanctions/<int:sanction_id>/appeal")
@login_required
def appeal(sanction_id: int) -> Any:
    form = AppealForm()
    _appeal(form, current_user, sanction_id)
    return redirect(url_for("moderation.my_sanctions"))


def _appeal(form: AppealForm, member: Any, sanction_id: int) -> None:
    if not form.validate_on_submit():
        flash(_("Write your appeal."), "error")
        return
    try:
        sanctions.appeal_sanction(db.session, g.instance, member, sanction_id,
                                  form.text.data or "")
    except ServiceError as exc:
        db.session.rollback()
        flash(next(iter(exc.fields.values()), exc.message), "error")
    else:
        flash(_("Your appeal is sent. The moderators will answer you."), "success")


SUSPENDED_KEY = "suspended_member_id"


@bp.route("/account/suspended", methods=["GET", "POST"])
def suspended() -> Any:
    """Where the login page sends a suspended member who gave the right password: why, until
    when, and their one appeal."""
    member_id = session.get(SUSPENDED_KEY)
    notice = sanctions.suspension_notice(db.session, g.instance, int(member_id or 0))
    if notice is None:
        session.pop(SUSPENDED_KEY, None)
        return redirect(url_for("accounts.login"))
    form = AppealForm()
    if request.method == "POST":
        _appeal(form, notice.sanction.member, notice.sanction.id)
        return redirect(url_for("moderation.suspended"))
    return render("moderation/suspended.html", notice=notice, form=form)


# ---------------------------------------------------------------------- reports


@bp.route("/report/<subject_type>/<int:subject_id>", methods=["GET", "POST"])
@login_required
def report(subject_type: str, subject_id: int) -> Any:
    """The report form for anything a member can see: what is reported, why, details."""
    if subject_type not in reports.REPORT_SUBJECTS:
        raise NotFound()
    form = ReportForm()
    try:
        subject = reports.access_subject(db.session, g.instance, current_user, subject_type,
                                         subject_id)
    except ServiceError as exc:
        return render("moderation/report_form.html", subject=None, form=None,
                      refusal=exc.message), exc.status
    status = 200
    if form.validate_on_submit():
        try:
            reports.file_report(db.session, g.instance, current_user, subject_type, subject_id,
                                reason=form.reason.data or "", details=form.details.data or "")
        except ServiceError as exc:
            db.session.rollback()
            _place(form, exc)
            status = exc.status
        else:
            flash(_("Thank you: the moderators will look at your report. You will be told "
                    "the outcome here and by e-mail."), "success")
            return redirect(url_for("moderation.my_reports"))
    elif request.method == "POST":
        status = 422
    return render("moderation/report_form.html", subject=subject, form=form,
                  refusal=None), status


@bp.get("/account/reports")
@login_required
def my_reports() -> Any:
    rows = reports.list_own_reports(db.session, g.instance, current_user)
    return render("moderation/my_reports.html", rows=rows)


@bp.get("/moderation/reports")
@login_required
def report_queue() -> Any:
    services.access_staff(g.instance, current_user)
    status = request.args.get("status") or reports.OPEN
    if status not in (reports.OPEN, reports.ACTIONED, reports.DISMISSED):
        status = reports.OPEN
    page = page_arg()
    total, groups = reports.list_report_groups(db.session, g.instance, current_user,
                                               status=status, page=page, per_page=PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    return render("moderation/reports.html", groups=groups, total=total, page=page,
                  pages=pages, status=status)


@bp.get("/moderation/reports/<subject_type>/<int:subject_id>")
@login_required
def report_subject(subject_type: str, subject_id: int, form: Any = None) -> Any:
    rows = reports.list_subject_reports(db.session, g.instance, current_user, subject_type,
                                        subject_id)
    open_rows = [r for r in rows if r.status == reports.OPEN]
    return render("moderation/report_subject.html", rows=rows, open_rows=open_rows,
                  latest=rows[-1], form=form or ReportDecisionForm(),
                  deletable=subject_type in reports.DELETABLE and reports.content_exists(
                      db.session, g.instance, subject_type, subject_id))


@bp.post("/moderation/reports/<int:report_id>/decide")
@login_required
def decide_report(report_id: int) -> Any:
    row = reports.access_report(db.session, g.instance, current_user, report_id)
    subject_type, subject_id = row.subject_type, row.subject_id
    form = ReportDecisionForm()
    if form.validate_on_submit():
        decision = reports.Decision(
            dismiss=form.decision.data == "dismiss", reason=form.reason.data or "",
            sanction=form.sanction.data or None, until=_until(form.until.data),
            delete_content=bool(form.delete_content.data),
            ignore_reporters=bool(form.ignore_reporters.data))
        try:
            reports.decide_report(db.session, g.instance, current_user, report_id, decision,
                                  ip=_ip())
        except ServiceError as exc:
            db.session.rollback()
            _place(form, exc)
            return report_subject(subject_type, subject_id, form=form), exc.status
        flash(_("Decided: the reporters are told the outcome."), "success")
        return redirect(url_for("moderation.report_subject", subject_type=subject_type,
                                subject_id=subject_id))
    return report_subject(subject_type, subject_id, form=form), 422


def _place(form: Any, exc: ServiceError) -> None:
    placed = False
    for name, problem in exc.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, problem]
            placed = True
    if not placed:
        flash(exc.message, "error")
