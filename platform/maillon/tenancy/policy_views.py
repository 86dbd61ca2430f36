"""The policies editor page (admins): the editable settings of the instance, grouped."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from maillon.db import db
from maillon.errors import ValidationFailed
from maillon.tenancy import policies
from maillon.tenancy.rendering import render

bp = Blueprint("policies", __name__, template_folder="templates")

#: The page's sections, each with its settings in order (every editable key is in one).
GROUPS = (
    ("registration", ("registration.policy", "registration.email_domains",
                      "registration.verify_email")),
    ("introductions", ("introductions.chain_visibility", "introductions.max_hops",
                       "introductions.hop_deadline_days", "introductions.relay_factor",
                       "introductions.retention_days",
                       "introductions.review_first_requests")),
    ("quotas", ("quotas.pending_introductions", "quotas.pending_connection_requests")),
    ("organisations", ("organisations.min_group_size",)),
    ("community", ("tagline", "locale")),
)


def _ip() -> str:
    return request.remote_addr or ""


def _page(errors: dict[str, str], typed: dict[str, str] | None = None, status: int = 200) -> Any:
    listed = {p.key: p for p in policies.list_policies(db.session, g.instance, current_user)}
    return render("tenancy/policies.html", groups=GROUPS, policies=listed, errors=errors,
                  typed=typed or {}, form=FlaskForm()), status


@bp.get("/admin/policies")
@login_required
def edit() -> Any:
    return _page({})


@bp.post("/admin/policies")
@login_required
def save() -> Any:
    listed = policies.list_policies(db.session, g.instance, current_user)  # admins only
    form = FlaskForm()
    if not form.validate_on_submit():
        flash(_("The form has expired: please try again."), "error")
        return redirect(url_for("policies.edit"), 303)
    # Every field is sent (an unticked box is "no"); only the values that differ change.
    changes = {p.key: request.form.get(p.key, "") for p in listed}
    try:
        changed = policies.change_policies(db.session, g.instance, current_user, changes,
                                           ip=_ip())
    except ValidationFailed as exc:
        db.session.rollback()
        flash(_("Nothing was saved: correct the settings marked below."), "error")
        return _page(exc.fields, typed=changes, status=422)
    flash(_("Settings saved.") if changed else _("Nothing changed."), "success")
    return redirect(url_for("policies.edit"), 303)


@bp.post("/admin/policies/<path:key>/reset")
@login_required
def reset(key: str) -> Any:
    policies.list_policies(db.session, g.instance, current_user)  # admins only, first
    form = FlaskForm()
    if not form.validate_on_submit():
        flash(_("The form has expired: please try again."), "error")
        return redirect(url_for("policies.edit"), 303)
    try:
        changed = policies.change_policies(db.session, g.instance, current_user, {},
                                           reset=[key], ip=_ip())
    except ValidationFailed:
        db.session.rollback()
        flash(_("This setting cannot be changed here."), "error")
        return redirect(url_for("policies.edit"), 303)
    flash(_("The setting is back to the value of the instance's file.") if changed
          else _("Nothing changed."), "success")
    return redirect(url_for("policies.edit") + f"#policy-{key.replace('.', '-')}", 303)
