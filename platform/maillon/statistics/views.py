"""The statistics dashboard (moderators and admins): page, CSV download, and the old address
of the introductions' statistics."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from maillon.db import db
from maillon.errors import ValidationFailed
from maillon.moderation.services import access_staff
from maillon.statistics import charts, services
from maillon.statistics.periods import StatsRange, parse_range, presets
from maillon.tenancy.rendering import render

bp = Blueprint("statistics", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/statistics")


def _range() -> tuple[StatsRange, dict[str, str]]:
    try:
        return parse_range(request.args), {}
    except ValidationFailed as exc:
        return parse_range({}), exc.fields


@bp.get("/admin/statistics")
@login_required
def dashboard() -> Any:
    access_staff(g.instance, current_user)  # before reading any argument
    rng, errors = _range()
    if errors:
        flash(_("The dates are not valid; the last 90 days are shown."), "error")
    data = services.dashboard(db.session, g.instance, current_user, rng)
    figures = charts.dashboard_figures(data, services.ACTIVITY, services.MODERATION)
    return render("statistics/dashboard.html", data=data, figures=figures, rng=rng,
                  presets=presets(), errors=errors, activity=services.ACTIVITY,
                  moderation=services.MODERATION,
                  args={k: v for k, v in request.args.items() if k in ("since", "until")}), (
        422 if errors else 200)


@bp.get("/admin/statistics.csv")
@login_required
def download() -> Any:
    access_staff(g.instance, current_user)
    rng, errors = _range()
    if errors:
        flash(_("The dates are not valid; the last 90 days are shown."), "error")
        return redirect(url_for("statistics.dashboard"))
    data = services.dashboard(db.session, g.instance, current_user, rng)
    name = f"statistics-{g.instance.slug}-{rng.since.isoformat()}-{rng.until.isoformat()}.csv"
    return Response(services.dashboard_csv(data), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/admin/introductions/stats")
def old_address() -> Any:
    """Where the introductions' statistics were: they are part of the dashboard now."""
    query = request.query_string.decode("latin-1")
    return redirect(url_for("statistics.dashboard") + (f"?{query}" if query else ""), 301)
