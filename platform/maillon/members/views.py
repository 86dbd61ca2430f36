"""Profile pages: viewing, editing (fields, experiences, education, photo), the directory."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from werkzeug.exceptions import RequestEntityTooLarge

from maillon.db import begin_read, db
from maillon.errorpages import http_error
from maillon.errors import ServiceError
from maillon.members import experiences, photo_store, photos, profiles, services
from maillon.members.forms import (
    ConfirmForm,
    EducationForm,
    ExperienceForm,
    PhotoForm,
    ProfileForm,
)
from maillon.members.models import Member
from maillon.network.forms import ActionForm, ConnectForm
from maillon.network.visibility import member_cards, profile_network
from maillon.pagination import page_arg
from maillon.tenancy.rendering import render

bp = Blueprint("members", __name__, template_folder="templates")

PER_PAGE = 24
# A photo URL names one upload (a new photo is a new name), but who may see it can change: a
# day in the viewer's own cache only, then revalidated (ETag, 304) after the access check.
PHOTO_MAX_AGE = 24 * 3600


def _me() -> Member:
    """The logged-in member, loaded in this request's session so services can change it."""
    return services.get_member(db.session, g.instance, current_user.id)


def _apply_errors(form: FlaskForm, exc: ServiceError,
                  aliases: dict[str, str] | None = None) -> None:
    """Show a service's field problems next to the fields; anything else as a message."""
    unplaced: list[str] = []
    for name, problem in exc.fields.items():
        field = getattr(form, (aliases or {}).get(name, name), None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, problem]
        else:
            unplaced.append(problem)
    if unplaced or not exc.fields:
        flash(" ".join(unplaced) or exc.message, "error")


@bp.get("/members/<int:member_id>")
@login_required
def profile(member_id: int) -> Any:
    member = services.access_member(db.session, g.instance, current_user, member_id)
    network = profile_network(db.session, g.instance, current_user, member)
    return render("members/profile.html", member=member,
                  is_self=member.id == current_user.id, network=network,
                  connect_form=ConnectForm(), action_form=ActionForm())


@bp.get("/members")
@login_required
def directory() -> Any:
    page = page_arg()
    total, members = services.list_directory(db.session, g.instance, current_user,
                                             page=page, per_page=PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    # Cards, not rows: the template gets plain values and cannot query per member. A card
    # carries its degree and shared count as a badge does.
    cards = member_cards(db.session, g.instance, current_user, members)
    return render("members/directory.html", members=cards, total=total,
                  page=max(1, min(page, pages)), pages=pages,
                  badges={card.id: card for card in cards})


@bp.route("/profile/edit", methods=["GET", "POST"])
@login_required
def edit_profile() -> Any:
    member = _me()
    form = ProfileForm()
    status = 200
    if request.method == "GET":
        form.fill_from(member)
    elif form.validate_on_submit():
        try:
            profiles.update_profile(db.session, member, form.changes())
        except ServiceError as exc:
            db.session.rollback()
            _apply_errors(form, exc, ProfileForm.FIELD_FOR_ERROR)
            status = 422
        else:
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("members.profile", member_id=member.id))
    else:
        status = 422
    return render("members/edit.html", member=member, form=form, photo_form=PhotoForm(),
                  confirm_form=ConfirmForm()), status


@bp.post("/profile/photo")
@login_required
def upload_photo() -> Any:
    member = _me()
    form = PhotoForm()
    if form.validate_on_submit():
        try:
            data = photos.read_upload(form.photo.data.stream,
                                      int(current_app.config["MAX_PHOTO_BYTES"]))
            # Decoding takes a while: end this request's transaction first (a POST's holds
            # SQLite's write lock); set_photo then writes in a short one of its own.
            begin_read(db.session)
            photo = photos.prepare_photo(data)
            photo_store.set_photo(db.session, g.instance, member, photo,
                               current_app.config["VAR_DIR"])
        except ServiceError as exc:
            db.session.rollback()
            _apply_errors(form, exc)
        else:
            flash(_("Your photo is updated."), "success")
            return redirect(url_for("members.edit_profile"))
    return _edit_page_with_photo_form(member, form, 422)


def _edit_page_with_photo_form(member: Member, form: PhotoForm, status: int) -> Any:
    profile_form = ProfileForm(formdata=None)
    profile_form.fill_from(member)
    return render("members/edit.html", member=member, form=profile_form, photo_form=form,
                  confirm_form=ConfirmForm(formdata=None)), status


@bp.errorhandler(RequestEntityTooLarge)
def _upload_too_large(exc: RequestEntityTooLarge) -> Any:
    """A body over MAX_CONTENT_LENGTH is refused while the form (and its CSRF token) is read,
    before the view runs: answer on the edit page rather than with a bare error page."""
    if request.endpoint != "members.upload_photo" or not current_user.is_authenticated:
        return http_error(exc)
    form = PhotoForm(formdata=None)
    limit = int(current_app.config["MAX_PHOTO_BYTES"])
    form.photo.errors = [_("The photo is too large (at most %(mb).1f MB).",
                           mb=limit / 1024 / 1024)]
    return _edit_page_with_photo_form(_me(), form, 413)


@bp.post("/profile/photo/delete")
@login_required
def delete_photo() -> Any:
    member = _me()
    if ConfirmForm().validate_on_submit():
        photo_store.remove_photo(db.session, g.instance, member, current_app.config["VAR_DIR"])
        flash(_("Your photo is removed."), "success")
    return redirect(url_for("members.edit_profile"))


@dataclass(frozen=True)
class _Section:
    """What differs between the experience and the education sub-pages of the profile."""

    kind: str  # the template members/<kind>_form.html and the edit page's anchor
    path: str  # in the URLs: /profile/<path>/...
    form: type[ExperienceForm] | type[EducationForm]
    add: Callable[[Session, Member, Mapping[str, Any]], object]
    get: Callable[[Session, Member, int], object]
    update: Callable[[Session, Member, int, Mapping[str, Any]], object]
    delete: Callable[[Session, Member, int], None]
    add_title: LazyString
    edit_title: LazyString
    removed: LazyString


SECTIONS = (
    _Section("experience", "experiences", ExperienceForm, experiences.add_experience,
             experiences.get_experience, experiences.update_experience,
             experiences.delete_experience, _l("Add an experience"), _l("Edit an experience"),
             _l("The experience is removed.")),
    _Section("education", "education", EducationForm, experiences.add_education,
             experiences.get_education, experiences.update_education,
             experiences.delete_education, _l("Add education"), _l("Edit education"),
             _l("The entry is removed.")),
)


def _item_page(section: _Section, form: ExperienceForm | EducationForm,
               save: Callable[[Mapping[str, Any]], object], title: LazyString) -> Any:
    """The flow of an experience or education sub-page: show the form, or save it."""
    if form.validate_on_submit():
        try:
            save(form.changes())
        except ServiceError as exc:
            db.session.rollback()
            _apply_errors(form, exc)
        else:
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("members.edit_profile") + f"#{section.kind}")
    status = 422 if request.method == "POST" else 200
    return render(f"members/{section.kind}_form.html", form=form, title=str(title)), status


def _add_item(section: _Section) -> Any:
    member = _me()
    return _item_page(section, section.form(),
                      lambda data: section.add(db.session, member, data), section.add_title)


def _edit_item(section: _Section, item_id: int) -> Any:
    member = _me()
    row = section.get(db.session, member, item_id)
    return _item_page(section, section.form(obj=row),
                      lambda data: section.update(db.session, member, item_id, data),
                      section.edit_title)


def _delete_item(section: _Section, item_id: int) -> Any:
    member = _me()
    if ConfirmForm().validate_on_submit():
        section.delete(db.session, member, item_id)
        flash(str(section.removed), "success")
    return redirect(url_for("members.edit_profile") + f"#{section.kind}")


# Endpoints members.add_experience, members.edit_education, ...: one flow, two kinds of rows.
for _section in SECTIONS:
    bp.add_url_rule(f"/profile/{_section.path}/new", f"add_{_section.kind}",
                    login_required(partial(_add_item, _section)), methods=["GET", "POST"])
    bp.add_url_rule(f"/profile/{_section.path}/<int:item_id>/edit", f"edit_{_section.kind}",
                    login_required(partial(_edit_item, _section)), methods=["GET", "POST"])
    bp.add_url_rule(f"/profile/{_section.path}/<int:item_id>/delete", f"delete_{_section.kind}",
                    login_required(partial(_delete_item, _section)), methods=["POST"])


@bp.get("/members/<int:member_id>/photo/<name>")
def photo(member_id: int, name: str) -> Any:
    viewer = current_user if current_user.is_authenticated else None
    path = photo_store.photo_path(db.session, g.instance, viewer, member_id, name,
                               current_app.config["VAR_DIR"])
    # ETag: the file name (one per upload); If-None-Match gets a 304, after the access check.
    response = send_file(path, mimetype="image/jpeg", max_age=PHOTO_MAX_AGE, conditional=True,
                         etag=path.stem)
    # Never in a shared cache: who may see a photo depends on the viewer (send_file says
    # "public" when given a max_age).
    response.cache_control.public = False
    response.cache_control.private = True
    response.vary.add("Cookie")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
