"""The operator's pages, on the operator host only (``OPERATOR_HOST``; resolution refuses
them anywhere else): sign in, the deployment's instances with their health, create one, move
it, disable or enable it, name its admins."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from maillon.db import db
from maillon.errors import ServiceError, ValidationFailed
from maillon.extensions import login_address_limit
from maillon.operators import accounts, instances
from maillon.ops.instance_status import instance_status as deployment_overview
from maillon.tenancy.rendering import render
from maillon.tenancy.settings import LOCALES

bp = Blueprint("operators", __name__, url_prefix="/operator", template_folder="templates")
COOKIE = "maillon_operator"


def _ip() -> str:
    return request.remote_addr or ""


def operator_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        token = request.cookies.get(COOKIE, "")
        operator = accounts.find_operator_by_session(db.session, token) if token else None
        if operator is None:
            return redirect(url_for("operators.login"), 303)
        g.operator = operator
        return view(*args, **kwargs)

    return wrapped


def _form_ok() -> bool:
    if FlaskForm().validate_on_submit():
        return True
    flash(_("The form has expired: please try again."), "error")
    return False


@bp.route("/login", methods=["GET", "POST"])
@login_address_limit
def login() -> Any:
    error = ""
    email = ""
    if request.method == "POST" and _form_ok():
        email = request.form.get("email", "")[:254]
        try:
            operator = accounts.authenticate_operator(db.session, email,
                                                      request.form.get("password", "")[:200])
        except ServiceError as exc:
            error = exc.message
        else:
            token = accounts.start_operator_session(db.session, operator)
            response = redirect(url_for("operators.home"), 303)
            response.set_cookie(COOKIE, token, max_age=accounts.SESSION_HOURS * 3600,
                                path=url_for("operators.home"), httponly=True,
                                samesite="Strict",
                                secure=bool(current_app.config["SESSION_COOKIE_SECURE"]))
            return response
    return render("operators/login.html", form=FlaskForm(), error=error, email=email), (
        401 if error else 200)


@bp.post("/logout")
def logout() -> Any:
    if _form_ok():
        token = request.cookies.get(COOKIE, "")
        if token:
            accounts.end_operator_session(db.session, token)
    response = redirect(url_for("operators.login"), 303)
    response.delete_cookie(COOKIE, path=url_for("operators.home"))
    return response


@bp.get("/")
@operator_required
def home() -> Any:
    overview = deployment_overview(db.session, current_app._get_current_object())  # type: ignore[attr-defined]
    return render("operators/home.html", overview=overview, form=FlaskForm())


def _new_page(errors: dict[str, str], typed: dict[str, str], status: int = 200) -> Any:
    registry = current_app.extensions["maillon.instances"]
    return render("operators/new_instance.html", form=FlaskForm(), errors=errors,
                  typed=typed, themes=sorted(registry.themes), locales=LOCALES), status


@bp.route("/instances/new", methods=["GET", "POST"])
@operator_required
def new_instance() -> Any:
    if request.method == "GET" or not _form_ok():
        return _new_page({}, {"locale": "fr", "theme": "classic"})
    typed = {key: request.form.get(key, "")[:2000] for key in (
        "slug", "name", "locale", "theme", "hosts", "admin_email", "admin_name")}
    try:
        instance = instances.create_instance(
            db.session, g.operator, {**typed, "hosts": typed["hosts"].split()}, ip=_ip())
    except ValidationFailed as exc:
        db.session.rollback()
        return _new_page(exc.fields, typed, 422)
    flash(_("%(name)s is created. Its first admin has an e-mail to choose a password.",
            name=instance.name), "success")
    return redirect(url_for("operators.instance", slug=instance.slug), 303)


def _instance_page(slug: str, errors: dict[str, str] | None = None, status: int = 200) -> Any:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    overview = deployment_overview(db.session, app, only=slug)
    if not overview["instances"]:
        instances.access_instance(db.session, slug)  # 404
    registry = app.extensions["maillon.instances"]
    item = overview["instances"][0]
    own_hosts = [h for h in item["hosts"] if not h.endswith(".localhost")]  # <slug>.localhost
    return render("operators/instance.html", overview=overview, item=item, own_hosts=own_hosts,
                  form=FlaskForm(), errors=errors or {}, themes=sorted(registry.themes)), status


@bp.get("/instances/<slug>")
@operator_required
def instance(slug: str) -> Any:
    return _instance_page(slug)


def _act(slug: str, action: Callable[[], Any], done: str) -> Any:
    if not _form_ok():
        return redirect(url_for("operators.instance", slug=slug), 303)
    try:
        action()
    except ValidationFailed as exc:
        db.session.rollback()
        return _instance_page(slug, exc.fields, 422)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("operators.instance", slug=slug), 303)
    flash(done, "success")
    return redirect(url_for("operators.instance", slug=slug), 303)


@bp.post("/instances/<slug>/placement")
@operator_required
def move(slug: str) -> Any:
    return _act(slug, lambda: instances.move_instance(
        db.session, g.operator, slug, hosts=request.form.get("hosts", "")[:4000].split(),
        theme=request.form.get("theme", ""), ip=_ip()), _("Hosts and theme saved."))


@bp.post("/instances/<slug>/status")
@operator_required
def set_status(slug: str) -> Any:
    enabled = request.form.get("enabled") == "1"
    return _act(slug, lambda: instances.set_instance_status(
        db.session, g.operator, slug, enabled=enabled,
        reason=request.form.get("reason", "")[:4000], ip=_ip()),
        _("The community is open again.") if enabled else _("The community is closed."))


@bp.post("/instances/<slug>/admins")
@operator_required
def add_admin(slug: str) -> Any:
    return _act(slug, lambda: instances.name_admin(
        db.session, g.operator, slug, request.form.get("email", "")[:254], ip=_ip()),
        _("The member is an admin now."))
