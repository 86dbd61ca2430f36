"""The "Your data" page (export downloads, account deletion) and an admin deleting a member."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from maillon.db import db
from maillon.errors import ServiceError
from maillon.moderation.services import access_staff
from maillon.rights.deletion import delete_member, delete_own_account
from maillon.rights.export import SECTION_LIMIT, export_member_data
from maillon.rights.forms import DeleteAccountForm, DeleteMemberForm
from maillon.tenancy.rendering import render

bp = Blueprint("rights", __name__, template_folder="templates")


def _ip() -> str:
    return request.remote_addr or ""


def _download(body: str, mimetype: str, extension: str) -> Response:
    name = f"{g.instance.slug}-my-data-{current_user.id}.{extension}"
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store"})


@bp.get("/settings/data")
@login_required
def data_page() -> Any:
    return render("rights/data.html", form=DeleteAccountForm(), limit=SECTION_LIMIT)


@bp.get("/settings/data/export.json")
@login_required
def export_json() -> Any:
    data = export_member_data(db.session, g.instance, current_user)
    return _download(json.dumps(data, ensure_ascii=False, indent=2), "application/json",
                     "json")


@bp.get("/settings/data/export.html")
@login_required
def export_html() -> Any:
    data = export_member_data(db.session, g.instance, current_user)
    return _download(render("rights/archive.html", data=data), "text/html", "html")


@bp.post("/settings/data/delete")
@login_required
def delete_account() -> Any:
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            delete_own_account(db.session, g.instance, current_user,
                               password=form.password.data or "",
                               confirmation=form.confirmation.data or "", ip=_ip())
        except ServiceError as exc:
            db.session.rollback()
            field = "confirmation" if exc.code == "confirmation_mismatch" else (
                "password" if exc.code == "wrong_password" else None)
            if field is not None:
                getattr(form, field).errors = [exc.message]
            else:
                flash(exc.message, "error")
            return render("rights/data.html", form=form, limit=SECTION_LIMIT), exc.status
        logout_user()
        session.clear()
        flash(_("Your account is deleted. Thank you for having been part of this community."),
              "info")
        return redirect(url_for("tenancy.home"))
    return render("rights/data.html", form=form, limit=SECTION_LIMIT), 422


@bp.route("/moderation/members/<int:member_id>/delete", methods=["GET", "POST"])
@login_required
def delete_member_page(member_id: int) -> Any:
    from maillon.moderation.sanctions import access_moderated_member

    access_staff(g.instance, current_user, admin=True)
    target = access_moderated_member(db.session, g.instance, current_user, member_id)
    form = DeleteMemberForm()
    status = 200
    if form.validate_on_submit():
        try:
            delete_member(db.session, g.instance, current_user, member_id,
                          reason=form.reason.data or "", ip=_ip())
        except ServiceError as exc:
            db.session.rollback()
            form.reason.errors = [exc.fields.get("reason") or exc.message]
            status = exc.status
        else:
            flash(_("The account is deleted; the member was told by e-mail."), "success")
            return redirect(url_for("moderation.index"))
    elif request.method == "POST":
        status = 422
    return render("rights/delete_member.html", target=target, form=form), status
