"""Registration, verification, login and logout, password reset, approvals and invitations."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.exceptions import TooManyRequests

from maillon.accounts import services, throttle
from maillon.accounts.forms import (
    EmailForm,
    InviteForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
)
from maillon.db import db
from maillon.errorpages import retry_after, too_many_requests, wait_message
from maillon.errors import ServiceError
from maillon.extensions import (
    limiter,
    login_address_limit,
    login_limit,
    mail_limit,
    registration_address_limit,
)
from maillon.moderation.sanctions import suspension_notice
from maillon.moderation.services import access_staff
from maillon.moderation.views import SUSPENDED_KEY
from maillon.pagination import MAX_ID
from maillon.security import is_local_path
from maillon.tenancy.rendering import render
from maillon.tenancy.settings import LOCALES

bp = Blueprint("accounts", __name__, template_folder="templates")


def _mail_email_key() -> str:
    """Per address and instance: nobody can flood one mailbox through these forms."""
    email = (request.form.get("email") or "").strip().lower()
    return f"{g.instance.slug}:mail:{request.endpoint}:{email}"


def _apply_field_errors(form: Any, exc: ServiceError) -> None:
    """Field problems next to their fields. A validation failure gives a sentence per field;
    other errors give API clients a word ("taken"), so their translated message goes there."""
    placed = False
    for name, problem in exc.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors,
                            problem if exc.code == "validation_failed" else exc.message]
            placed = True
    if not placed:
        flash(exc.message, "error")


@bp.route("/register", methods=["GET", "POST"])
@registration_address_limit
def register() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("tenancy.home"))
    form = RegisterForm()
    if request.method == "GET":
        form.invitation.data = request.args.get("invitation", "")
    if form.validate_on_submit():
        try:
            outcome = services.register_member(
                db.session, g.instance, email=form.email.data or "",
                password=form.password.data or "", name=form.name.data or "",
                locale=session.get("locale"), invitation_code=form.invitation.data or None)
        except ServiceError as exc:
            _apply_field_errors(form, exc)
        else:
            if outcome.status == "active" and outcome.member is not None:
                _log_in(outcome.member)
                flash(_("Welcome! Tell the community who you are."), "success")
                return redirect(url_for("members.edit_profile"))
            return render("accounts/registered.html", status=outcome.status,
                          email=form.email.data)
    policy = g.instance.setting("registration.policy")
    return render("accounts/register.html", form=form, policy=policy,
                  domains=g.instance.setting("registration.email_domains"))


@bp.get("/verify/<token>")
def verify_email(token: str) -> Any:
    try:
        member = services.verify_email(db.session, g.instance, token)
    except ServiceError as exc:
        if exc.code == "already_confirmed":
            return render("accounts/message.html", title=_("Address confirmed"),
                          message=exc.message, login=True)
        return render("accounts/message.html", title=_("Link not valid"),
                      message=exc.message, resend=True), 400
    if member.status == "pending":
        return render("accounts/message.html", title=_("Address confirmed"),
                      message=_("An administrator will review your registration soon."))
    _log_in(member)
    flash(_("Your address is confirmed. Welcome!"), "success")
    return redirect(url_for("members.edit_profile"))


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
@limiter.limit(mail_limit, methods=["POST"], key_func=_mail_email_key)
def resend_verification() -> Any:
    form = EmailForm()
    if form.validate_on_submit():
        services.resend_verification(db.session, g.instance, form.email.data or "")
        return render("accounts/message.html", title=_("Check your mailbox"), message=_(
            "If this address waits for confirmation, a new link is on its way."))
    return render("accounts/resend.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@login_address_limit
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("tenancy.home"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data or ""
        attempt = throttle.check_login(g.instance, email)
        try:
            member = services.authenticate(db.session, g.instance, email,
                                           form.password.data or "")
        except ServiceError as exc:
            if exc.code == "invalid_credentials":
                throttle.record_failure(attempt)
            if isinstance(exc, services.AccountSuspended) and suspension_notice(
                    db.session, g.instance, exc.member_id) is not None:
                # The password proves who they are: show why, and the appeal form.
                throttle.remember_device(attempt)
                session.clear()
                session[SUSPENDED_KEY] = exc.member_id
                return redirect(url_for("moderation.suspended"))
            flash(exc.message, "error")
            return render("accounts/login.html", form=form), exc.status
        throttle.remember_device(attempt)
        _log_in(member)
        target = request.args.get("next", "")
        if not is_local_path(target):
            target = url_for("tenancy.home")
        return redirect(target)
    return render("accounts/login.html", form=form)


def _log_in(member: Any) -> None:
    chosen = session.get("locale")  # the switcher's choice before logging in wins
    services.start_login_session(db.session, member, request.user_agent.string or "")
    session.clear()
    login_user(member)
    if chosen in LOCALES and chosen != member.locale:
        from maillon.members.profiles import set_member_locale

        set_member_locale(db.session, member, chosen)
    if member.locale:
        session["locale"] = member.locale


@bp.post("/logout")
def logout() -> Any:
    if current_user.is_authenticated:
        services.end_login_session(db.session, g.instance, current_user.get_id())
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("tenancy.home"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
@limiter.limit(mail_limit, methods=["POST"], key_func=_mail_email_key)
def forgot_password() -> Any:
    form = EmailForm()
    if form.validate_on_submit():
        services.request_password_reset(db.session, g.instance, form.email.data or "")
        return render("accounts/message.html", title=_("Check your mailbox"), message=_(
            "If this address belongs to a member, a link to choose a new password is on its "
            "way. It works for two hours."))
    return render("accounts/forgot.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Any:
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            member = services.reset_password(db.session, g.instance, token,
                                             form.password.data or "")
        except ServiceError as exc:
            _apply_field_errors(form, exc)
        else:
            throttle.forget_failures(g.instance, member.email)
            logout_user()
            session.clear()
            flash(_("Your password is changed. Log in with the new one."), "success")
            return redirect(url_for("accounts.login"))
    return render("accounts/reset.html", form=form)


@bp.route("/admin/approvals", methods=["GET", "POST"])
@login_required
def approvals() -> Any:
    access_staff(g.instance, current_user, admin=True)
    invite_form = InviteForm()
    if request.method == "POST" and request.form.get("action") in ("approve", "reject"):
        member_id = request.form.get("member_id", type=int) or 0
        if not 0 < member_id <= MAX_ID:
            abort(404)
        if request.form["action"] == "approve":
            services.approve_member(db.session, g.instance, current_user, member_id,
                                    ip=request.remote_addr or "")
            flash(_("Member approved."), "success")
        else:
            services.reject_member(db.session, g.instance, current_user, member_id,
                                   ip=request.remote_addr or "")
            flash(_("Registration refused."), "info")
        return redirect(url_for("accounts.approvals"))
    if invite_form.validate_on_submit():
        try:
            services.create_invitation(db.session, g.instance, current_user,
                                       invite_form.email.data or "", ip=request.remote_addr or "")
        except ServiceError as exc:
            _apply_field_errors(invite_form, exc)
        else:
            flash(_("Invitation sent."), "success")
            return redirect(url_for("accounts.approvals"))
    pending = services.list_pending_members(db.session, g.instance)
    return render("accounts/approvals.html", pending=pending, invite_form=invite_form)


@bp.errorhandler(TooManyRequests)
def _too_many(exc: TooManyRequests) -> Any:
    """A limited form comes back with what was typed (never a password) and the wait."""
    endpoint = request.endpoint or ""
    if request.method != "POST" or endpoint not in LIMITED_FORMS:
        return too_many_requests(exc)
    form_class, template = LIMITED_FORMS[endpoint]
    form = form_class()
    flash(wait_message(retry_after(exc)), "error")
    context: dict[str, Any] = {}
    if endpoint == "accounts.register":
        context = {"policy": g.instance.setting("registration.policy"),
                   "domains": g.instance.setting("registration.email_domains")}
    return too_many_requests(exc, render(template, form=form, **context))


LIMITED_FORMS: dict[str, tuple[type[Any], str]] = {
    "accounts.login": (LoginForm, "accounts/login.html"),
    "accounts.register": (RegisterForm, "accounts/register.html"),
    "accounts.resend_verification": (EmailForm, "accounts/resend.html"),
    "accounts.forgot_password": (EmailForm, "accounts/forgot.html"),
}
