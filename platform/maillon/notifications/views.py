"""Notification pages: the list (seen = read), opening one, preferences; the nav badge count."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, flash, g, has_request_context, redirect, request, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from maillon.db import db, utcnow
from maillon.members.services import get_member
from maillon.notifications import services
from maillon.notifications.forms import PreferencesForm
from maillon.pagination import page_arg
from maillon.tenancy.rendering import render

bp = Blueprint("notifications", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/notifications")

PER_PAGE = 20


@bp.app_context_processor
def _unread_badge() -> dict[str, Any]:
    """A callable, so the COUNT runs only where the layout shows it (not for e-mails)."""

    def notification_count() -> int:
        if not has_request_context() or g.get("instance") is None \
                or not current_user.is_authenticated:
            return 0
        if "unread_notifications" not in g:
            g.unread_notifications = services.unread_count(db.session, g.instance,
                                                           current_user)
        return int(g.unread_notifications)

    return {"notification_count": notification_count}


def time_ago(moment: datetime) -> str:
    """"5 minutes ago" in the page's language (Flask-Babel's own helper uses naive time)."""
    delta = moment - utcnow()
    if delta.total_seconds() > -60:
        return _("just now")
    return str(format_timedelta(delta, granularity="minute", add_direction=True))


@bp.get("/notifications")
@login_required
def index() -> Any:
    page = page_arg()
    total, rows, unread = services.read_notifications(db.session, g.instance, current_user,
                                                      page=page, per_page=PER_PAGE)
    g.pop("unread_notifications", None)  # the badge counts after this page was seen
    pages = max(1, -(-total // PER_PAGE))
    return render("notifications/index.html", notifications=rows, unread=unread, total=total,
                  page=min(page, pages), pages=pages, describe=services.describe,
                  time_ago=time_ago, mark_form=FlaskForm())


@bp.get("/notifications/<int:notification_id>")
@login_required
def open_one(notification_id: int) -> Any:
    endpoint, values = services.open_notification(db.session, g.instance, current_user,
                                                  notification_id)
    return redirect(url_for(endpoint, **values))


@bp.post("/notifications/mark-read")
@login_required
def mark_all_read() -> Any:
    if FlaskForm().validate_on_submit():
        services.mark_read(db.session, g.instance, current_user)
        flash(_("All your notifications are marked as read."), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/settings/notifications", methods=["GET", "POST"])
@login_required
def settings() -> Any:
    member = get_member(db.session, g.instance, current_user.id)
    form = PreferencesForm()
    if form.validate_on_submit():
        services.update_preferences(db.session, g.instance, member, form.changes())
        flash(_("Your notification settings are saved."), "success")
        return redirect(url_for("notifications.settings"))
    status = 422 if request.method == "POST" else 200
    if request.method == "GET":
        form.fill_from(services.preferences(member))
    return render("notifications/settings.html", form=form, kinds=services.optional_kinds()), status
