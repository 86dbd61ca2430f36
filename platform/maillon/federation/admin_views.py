"""Pages: the admins' federation policy (``/admin/federation``), a member's federation
choices (``/settings/federation``) and their connections with people on other servers
(``/network/remote``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Response, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from maillon.db import db
from maillon.errors import Conflict, ServiceError, ValidationFailed
from maillon.extensions import remote_lookup_limit
from maillon.federation import connections, delivery, local, membership, outgoing, policy, urls
from maillon.federation.lifecycle import CONNECTED, DECLINED, WITHDRAWN
from maillon.federation.models import MODES, SEVERITIES
from maillon.forms import refusal_text
from maillon.members.models import Member
from maillon.members.services import get_member
from maillon.tenancy.rendering import render

T = TypeVar("T")

bp = Blueprint("federation_admin", __name__, template_folder="templates")
# "from Réseau Entraide" for a sister community of this deployment, "from host" otherwise.
bp.add_app_template_global(local.server_label, "server_label")


def _ip() -> str:
    return request.remote_addr or ""


def _page(
    errors: dict[str, str] | None = None, typed: dict[str, Any] | None = None, status: int = 200
) -> Any:
    view = policy.get_policy(db.session, g.instance, current_user)
    return render(
        "federation/admin.html",
        policy=view,
        deliveries=delivery.delivery_overview(db.session, g.instance, current_user),
        modes=MODES,
        severities=SEVERITIES,
        errors=errors or {},
        typed=typed or {},
        form=FlaskForm(),
        handle_domain=urls.handle_domain(g.instance),
    ), status


def _expired() -> Any:
    flash(_("The form has expired: please try again."), "error")
    return redirect(url_for("federation_admin.edit"), 303)


@bp.get("/admin/federation")
@login_required
def edit() -> Any:
    return _page()


@bp.post("/admin/federation")
@login_required
def save() -> Any:
    policy.get_policy(db.session, g.instance, current_user)  # admins only, first
    if not FlaskForm().validate_on_submit():
        return _expired()
    change = {
        "mode": request.form.get("mode", ""),
        "discoverable": request.form.get("discoverable") == "1",
    }
    try:
        changed = policy.change_policy(db.session, g.instance, current_user, change, ip=_ip())
    except ValidationFailed as exc:
        db.session.rollback()
        return _page(exc.fields, status=422)
    flash(_("Federation settings saved.") if changed else _("Nothing changed."), "success")
    return redirect(url_for("federation_admin.edit"), 303)


@bp.post("/admin/federation/servers")
@login_required
def save_server() -> Any:
    policy.get_policy(db.session, g.instance, current_user)
    if not FlaskForm().validate_on_submit():
        return _expired()
    domain = request.form.get("domain", "")
    rule: dict[str, Any] = {
        "domain": domain,
        "severity": request.form.get("severity", ""),
        "reject_media": request.form.get("reject_media") == "1",
        "reject_reports": request.form.get("reject_reports") == "1",
        "public_comment": request.form.get("public_comment", ""),
        "private_comment": request.form.get("private_comment", ""),
    }
    try:
        policy.change_policy(db.session, g.instance, current_user, {"servers": [rule]}, ip=_ip())
    except ValidationFailed as exc:
        db.session.rollback()
        errors = {key.removeprefix("servers.0."): message for key, message in exc.fields.items()}
        flash(_("The server was not saved: correct the fields marked below."), "error")
        return _page(errors, typed=rule, status=422)
    flash(_("The rule for %(domain)s is saved.", domain=policy.normalise_domain(domain)), "success")
    return redirect(url_for("federation_admin.edit") + "#servers", 303)


@bp.post("/admin/federation/servers/remove")
@login_required
def remove_server() -> Any:
    policy.get_policy(db.session, g.instance, current_user)
    if not FlaskForm().validate_on_submit():
        return _expired()
    domain = request.form.get("domain", "")
    try:
        changed = policy.change_policy(
            db.session, g.instance, current_user, {"remove": [domain]}, ip=_ip()
        )
    except ValidationFailed:
        db.session.rollback()
        changed = False
    flash(
        _("The rule for %(domain)s is removed.", domain=domain)
        if changed
        else _("Nothing changed."),
        "success",
    )
    return redirect(url_for("federation_admin.edit") + "#servers", 303)


@bp.post("/admin/federation/import")
@login_required
def import_servers() -> Any:
    policy.get_policy(db.session, g.instance, current_user)
    if not FlaskForm().validate_on_submit():
        return _expired()
    upload = request.files.get("file")
    data = upload.stream.read(policy.MAX_CSV_BYTES + 1) if upload else b""
    try:
        count = policy.import_csv(db.session, g.instance, current_user, data, ip=_ip())
    except ValidationFailed as exc:
        db.session.rollback()
        flash(_("Nothing was imported: correct the file."), "error")
        return _page(
            {"file": exc.fields.get("file") or next(iter(exc.fields.values()), "")}, status=422
        )
    flash(_("Servers read from the file: %(num)d.", num=count), "success")
    return redirect(url_for("federation_admin.edit") + "#servers", 303)


@bp.get("/admin/federation.csv")
@login_required
def export_servers() -> Response:
    text = policy.export_csv(db.session, g.instance, current_user)
    return Response(
        text,
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{g.instance.slug}-federation.csv"'},
    )


@bp.route("/settings/federation", methods=["GET", "POST"])
@login_required
def member_settings() -> Any:
    member = get_member(db.session, g.instance, current_user.id)
    status = 200
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            flash(_("The form has expired: please try again."), "error")
            return redirect(url_for("federation_admin.member_settings"), 303)
        choice = {
            name: request.form.get(name) == "1" for name in ("enabled", "discoverable", "indexable")
        }
        membership.change_member_federation(db.session, g.instance, member, choice)
        flash(_("Your federation settings are saved."), "success")
        return redirect(url_for("federation_admin.member_settings"), 303)
    state = membership.member_federation(db.session, g.instance, member)
    return render(
        "federation/member_settings.html",
        remote=connections.list_remote_connections(db.session, g.instance, member),
        state=state,
        form=FlaskForm(),
        handle_domain=urls.handle_domain(g.instance),
    ), status


@bp.post("/settings/federation/requests/<int:connection_id>/<any(accept, decline):answer>")
@login_required
def answer_request(connection_id: int, answer: str) -> Any:
    member = get_member(db.session, g.instance, current_user.id)
    if not FlaskForm().validate_on_submit():
        flash(_("The form has expired: please try again."), "error")
        return redirect(url_for("federation_admin.member_settings"), 303)
    try:
        connections.answer_remote_request(
            db.session, g.instance, member, connection_id, accept=answer == "accept"
        )
    except Conflict as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("federation_admin.member_settings"), 303)
    flash(
        _("You are connected. Their server is told.")
        if answer == "accept"
        else _("Request declined. Their server is told."),
        "success",
    )
    return redirect(url_for("federation_admin.member_settings") + "#requests", 303)


@bp.get("/network/remote")
@login_required
@remote_lookup_limit
def remote_person() -> Any:
    """Find someone on another server by their address, and see them before asking."""
    member = get_member(db.session, g.instance, current_user.id)
    address = request.args.get("address", "").strip()
    profile, error, status = None, None, 200
    if address:
        try:
            profile = outgoing.look_up_remote_person(db.session, g.instance, member, address)
        except ServiceError as exc:
            db.session.rollback()
            error, status = refusal_text(exc), exc.status
    return render(
        "federation/remote_person.html",
        address=address,
        profile=profile,
        state=outgoing.connection_state(db.session, g.instance, member, profile.uri)
        if profile
        else None,
        error=error,
        form=FlaskForm(),
    ), status


def _on_address(act: Callable[[Member, str], T]) -> tuple[T | None, Any]:
    """A POST about the address on the lookup page: ``act(member, address)``, or None and the
    redirect back to the lookup with why (an expired form, a refusal)."""
    member = get_member(db.session, g.instance, current_user.id)
    address = request.form.get("address", "").strip()
    back = redirect(url_for("federation_admin.remote_person", address=address), 303)
    if not FlaskForm().validate_on_submit():
        flash(_("The form has expired: please try again."), "error")
        return None, back
    try:
        return act(member, address), back
    except ServiceError as exc:
        db.session.rollback()
        flash(refusal_text(exc), "error")
        return None, back


@bp.post("/network/remote/introduction")
@login_required
@remote_lookup_limit
def introduce_remote_person() -> Any:
    """"Get introduced" from the lookup: the person is kept here, then the request page."""

    def remember(member: Member, address: str) -> int:
        actor_id = outgoing.remember_remote_person(db.session, g.instance, member, address).id
        db.session.commit()
        return actor_id

    actor_id, back = _on_address(remember)
    if actor_id is None:
        return back
    return redirect(url_for("introductions.introduce_remote", remote_id=actor_id), 303)


@bp.post("/network/remote")
@login_required
@remote_lookup_limit
def connect_remote() -> Any:
    done, back = _on_address(lambda member, address: outgoing.connect_remote_person(
        db.session, g.instance, member, address))
    if done is None:
        return back
    connection, actor, _sent = done
    if connection.status == CONNECTED:
        flash(_("You are connected with %(name)s.", name=actor.name), "success")
    else:
        flash(
            _("Your request is sent to %(name)s on %(server)s.", name=actor.name,
              server=actor.handle.rpartition("@")[2]),
            "success",
        )
    return redirect(url_for("network.my_network") + "#remote", 303)


@bp.post("/network/remote/<int:connection_id>/remove")
@login_required
def remove_remote(connection_id: int) -> Any:
    member = get_member(db.session, g.instance, current_user.id)
    if not FlaskForm().validate_on_submit():
        flash(_("The form has expired: please try again."), "error")
        return redirect(url_for("network.my_network") + "#remote", 303)
    connection = outgoing.remove_remote_connection(db.session, g.instance, member, connection_id)
    messages = {
        WITHDRAWN: _("Request withdrawn. Their server is told."),
        DECLINED: _("Request declined. Their server is told."),
    }
    flash(messages.get(connection.status, _("Connection removed. Their server is told.")),
          "success")
    return redirect(url_for("network.my_network") + "#remote", 303)
