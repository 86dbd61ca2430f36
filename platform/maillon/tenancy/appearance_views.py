"""The appearance page (admins): the community's colours and logo (decision 55)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.exceptions import RequestEntityTooLarge

from maillon.db import begin_read, db
from maillon.errorpages import http_error
from maillon.errors import ValidationFailed
from maillon.tenancy import appearance, logos
from maillon.tenancy.registry import get_registry
from maillon.tenancy.rendering import render

bp = Blueprint("appearance", __name__, template_folder="templates")


def _ip() -> str:
    return request.remote_addr or ""


def _page(errors: dict[str, str], typed: dict[str, str] | None = None, status: int = 200) -> Any:
    options = {o.name: o for o in appearance.list_options(db.session, g.instance, current_user,
                                                          get_registry())}
    return render("tenancy/appearance.html", colours=appearance.COLOURS, options=options,
                  errors=errors, typed=typed or {}, form=FlaskForm(),
                  max_mb=logos.MAX_LOGO_BYTES / 1024 / 1024), status


def _expired() -> Any:
    flash(_("The form has expired: please try again."), "error")
    return redirect(url_for("appearance.edit"), 303)


@bp.get("/admin/appearance")
@login_required
def edit() -> Any:
    return _page({})


@bp.post("/admin/appearance")
@login_required
def save() -> Any:
    registry = get_registry()
    listed = appearance.list_options(db.session, g.instance, current_user, registry)
    if not FlaskForm().validate_on_submit():
        return _expired()
    typed = {o.name: request.form.get(o.name, "") for o in listed if o.name in appearance.COLOURS}
    # The page sends every colour: only those that differ from the value in force change.
    in_force = {o.name: o.value for o in listed}
    changes = {name: value for name, value in typed.items()
               if value.strip().lower() != (in_force[name] or "").lower()}
    try:
        changed = appearance.change_options(db.session, g.instance, current_user, registry,
                                            changes, ip=_ip())
    except ValidationFailed as exc:
        db.session.rollback()
        flash(_("Nothing was saved: correct the colours marked below."), "error")
        return _page(exc.fields, typed=typed, status=422)
    flash(_("The colours are saved.") if changed else _("Nothing changed."), "success")
    return redirect(url_for("appearance.edit"), 303)


@bp.post("/admin/appearance/<name>/reset")
@login_required
def reset(name: str) -> Any:
    registry = get_registry()
    appearance.list_options(db.session, g.instance, current_user, registry)  # admins only
    if not FlaskForm().validate_on_submit():
        return _expired()
    try:
        changed = appearance.change_options(db.session, g.instance, current_user, registry,
                                            {}, reset=[name], ip=_ip())
    except ValidationFailed as exc:
        db.session.rollback()
        flash(next(iter(exc.fields.values())), "error")
        return redirect(url_for("appearance.edit"), 303)
    if name == "logo":
        message = _("The theme's logo is back.") if changed else _("Nothing changed.")
    else:
        message = _("The colour is back to the theme's.") if changed else _("Nothing changed.")
    flash(message, "success")
    return redirect(url_for("appearance.edit") + f"#option-{name}", 303)


@bp.post("/admin/appearance/logo")
@login_required
def upload_logo() -> Any:
    registry = get_registry()
    appearance.list_options(db.session, g.instance, current_user, registry)  # admins only
    if not FlaskForm().validate_on_submit():
        return _expired()
    upload = request.files.get("logo")
    try:
        if upload is None:
            raise ValidationFailed({"logo": _("Choose an image file.")})
        data = logos.read_logo_upload(upload.stream)
        # Decoding takes a while: end this request's write transaction first (SQLite's
        # lock); set_logo then writes in a short one of its own.
        begin_read(db.session)
        png = logos.prepare_logo(data)
        appearance.set_logo(db.session, g.instance, current_user, registry, png,
                            current_app.config["VAR_DIR"], ip=_ip())
    except ValidationFailed as exc:
        db.session.rollback()
        return _page({"logo": exc.fields.get("logo", "")}, status=422)
    flash(_("The logo is updated."), "success")
    return redirect(url_for("appearance.edit") + "#option-logo", 303)


@bp.errorhandler(RequestEntityTooLarge)
def _upload_too_large(exc: RequestEntityTooLarge) -> Any:
    """A body over MAX_CONTENT_LENGTH is refused before the view runs: say so on the page."""
    if request.endpoint != "appearance.upload_logo" or not current_user.is_authenticated:
        return http_error(exc)
    return _page({"logo": _("The logo is too large (at most %(mb).1f MB).",
                            mb=logos.MAX_LOGO_BYTES / 1024 / 1024)}, status=413)
