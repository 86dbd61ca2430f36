"""Invitations in bulk (admins): upload a CSV file, read the preview, send, watch the progress."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from maillon.accounts import bulk_invitations as bulk
from maillon.db import db
from maillon.errors import ValidationFailed
from maillon.tenancy.rendering import render

bp = Blueprint("invitations", __name__, template_folder="templates")


def _text() -> tuple[str, str]:
    """The uploaded file's text (UTF-8, else Windows-1252 as spreadsheets save it) or the
    pasted text, and the file's name."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        raw = upload.read(bulk.MAX_BYTES + 1)
        try:
            return raw.decode("utf-8"), upload.filename
        except UnicodeDecodeError:
            return raw.decode("cp1252", errors="replace"), upload.filename
    return request.form.get("addresses", ""), ""


@bp.route("/admin/invitations", methods=["GET", "POST"])
@login_required
def upload() -> Any:
    batches = bulk.recent_batches(db.session, g.instance, current_user)  # admins only
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            flash(_("The form has expired: please try again."), "error")
            return redirect(url_for("invitations.upload"), 303)
        text, filename = _text()
        try:
            batch = bulk.preview_batch(db.session, g.instance, current_user, text,
                                       filename=filename)
        except ValidationFailed as exc:
            db.session.rollback()
            errors, status = exc.fields, 422
        else:
            return redirect(url_for("invitations.batch", batch_id=batch.id), 303)
    return render("accounts/invitations_bulk.html", batches=batches, errors=errors,
                  max_rows=bulk.MAX_ROWS), status


@bp.get("/admin/invitations/batches/<int:batch_id>")
@login_required
def batch(batch_id: int) -> Any:
    found = bulk.access_batch(db.session, g.instance, current_user, batch_id)
    return render("accounts/invitation_batch.html", batch=found, info=bulk.batch_dict(found))


@bp.post("/admin/invitations/batches/<int:batch_id>/send")
@login_required
def send(batch_id: int) -> Any:
    bulk.access_batch(db.session, g.instance, current_user, batch_id)  # admins only, first
    if not FlaskForm().validate_on_submit():
        flash(_("The form has expired: please try again."), "error")
    else:
        bulk.send_batch(db.session, g.instance, current_user, batch_id,
                        ip=request.remote_addr or "")
    return redirect(url_for("invitations.batch", batch_id=batch_id), 303)
