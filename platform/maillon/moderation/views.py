"""Staff pages: the moderation home and the audit log (with its CSV export)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, g, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from maillon.db import db
from maillon.errors import ValidationFailed
from maillon.moderation import services
from maillon.moderation.models import AUDIT_ACTIONS
from maillon.pagination import page_arg
from maillon.tenancy.rendering import render

bp = Blueprint("moderation", __name__, template_folder="templates")

PER_PAGE = 50


@bp.get("/moderation")
@login_required
def index() -> Any:
    services.access_staff(g.instance, current_user)
    return render("moderation/index.html")


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
