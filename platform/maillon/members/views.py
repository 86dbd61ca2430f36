"""Profile pages (bootstrap version: the members helper completes editing and photos)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g
from flask_login import current_user, login_required

from maillon.db import db
from maillon.members.services import access_member
from maillon.tenancy.rendering import render

bp = Blueprint("members", __name__, template_folder="templates")


@bp.get("/members/<int:member_id>")
@login_required
def profile(member_id: int) -> Any:
    member = access_member(db.session, g.instance, current_user, member_id)
    return render("members/profile.html", member=member)


@bp.get("/members")
@login_required
def directory() -> Any:
    return render("members/directory.html", members=[])


@bp.route("/profile/edit", methods=["GET", "POST"])
@login_required
def edit_profile() -> Any:
    return render("members/profile.html", member=current_user)


@bp.get("/members/<int:member_id>/photo/<name>")
def photo(member_id: int, name: str) -> Any:
    abort(404)
