"""Network pages: my network, invitations, the private trust prompt, a member's contacts.

Every action is a POST with a CSRF token; the services make repeats harmless (one row per
pair), and a refused action comes back as a flash message, never an error page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from maillon.db import db
from maillon.errors import Forbidden, ServiceError
from maillon.federation.outgoing import list_remote_contacts, remote_network
from maillon.forms import refusal_text
from maillon.members.models import Member
from maillon.members.services import VISIBLE_STATUSES, get_member
from maillon.network import services
from maillon.network.forms import AcceptForm, ActionForm, ConnectForm, TrustForm, trust_labels
from maillon.network.lifecycle import CONNECTED, PENDING
from maillon.network.visibility import badges_for, list_contacts, member_cards
from maillon.pagination import page_arg
from maillon.tenancy.rendering import render

bp = Blueprint("network", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/network")

PER_PAGE = 50
MAX_INVITATIONS_SHOWN = 100


def _me() -> Member:
    """The logged-in member, loaded in this request's session."""
    return get_member(db.session, g.instance, current_user.id)


def _form_problem(form: FlaskForm) -> None:
    problems = [str(e) for errors in form.errors.values() for e in errors]
    flash(" ".join(problems) or _("The form has expired: please try again."), "error")


def _refused(exc: ServiceError) -> None:
    db.session.rollback()
    flash(refusal_text(exc), "error")


def _size_advice() -> str:
    """The reminder past about 150 connections (never a cap)."""
    return _("You have more than %(n)d connections. There is no limit, but a network of people "
             "you really have something to say to relays your requests better than a long list "
             "of names.", n=services.NETWORK_SIZE_ADVICE)


def _pages(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


@bp.get("/network")
@login_required
def my_network() -> Any:
    me = _me()
    page = page_arg()
    total, connections = services.list_connections(db.session, g.instance, me,
                                                   status=CONNECTED, page=page,
                                                   per_page=PER_PAGE)
    _, received = services.list_connections(db.session, g.instance, me, status=PENDING,
                                            direction="in", per_page=MAX_INVITATIONS_SHOWN)
    _, sent = services.list_connections(db.session, g.instance, me, status=PENDING,
                                        direction="out", per_page=MAX_INVITATIONS_SHOWN)

    def visible(rows: list[Any]) -> list[Any]:
        return [r for r in rows if r.other(me.id).status in VISIBLE_STATUSES]

    connections, received, sent = visible(connections), visible(received), visible(sent)
    # Degree and shared connections next to every name, as on any other member list.
    badges = badges_for(db.session, g.instance, me,
                        [r.other_id(me.id) for r in (*received, *sent, *connections)])
    return render("network/index.html", me=me, connections=connections, badges=badges,
                  received=received, sent=sent, total=total, page=page,
                  pages=_pages(total, PER_PAGE),
                  advice=total > services.NETWORK_SIZE_ADVICE,
                  advice_threshold=services.NETWORK_SIZE_ADVICE,
                  trust_choices=trust_labels(), action_form=ActionForm(),
                  remote=remote_network(db.session, g.instance, me))


@bp.post("/members/<int:member_id>/connect")
@login_required
def connect(member_id: int) -> Any:
    me = _me()
    form = ConnectForm()
    if not form.validate_on_submit():
        _form_problem(form)
        return redirect(url_for("members.profile", member_id=member_id))
    try:
        row = services.request_connection(db.session, g.instance, me, member_id,
                                          form.message.data or "")
    except ServiceError as exc:
        _refused(exc)
        return redirect(url_for("members.profile", member_id=member_id))
    if row.status == CONNECTED:
        # They had already invited us: this accepted their invitation.
        flash(_("You are now connected."), "success")
        return redirect(url_for("network.trust", connection_id=row.id))
    flash(_("Your invitation is sent."), "success")
    if services.count_connections(db.session, g.instance, me.id) >= \
            services.NETWORK_SIZE_ADVICE:
        flash(_size_advice(), "info")
    return redirect(url_for("members.profile", member_id=member_id))


@bp.post("/network/connections/<int:connection_id>/accept")
@login_required
def accept(connection_id: int) -> Any:
    me = _me()
    form = AcceptForm()
    if not form.validate_on_submit():
        _form_problem(form)
        return redirect(url_for("network.my_network"))
    try:
        services.accept_connection(db.session, g.instance, me, connection_id,
                                   trust=form.trust.data)
    except ServiceError as exc:
        _refused(exc)
        return redirect(url_for("network.my_network"))
    flash(_("You are now connected."), "success")
    if form.trust.data is None:
        return redirect(url_for("network.trust", connection_id=connection_id))
    return redirect(url_for("network.my_network"))


@bp.post("/network/connections/<int:connection_id>/decline")
@login_required
def decline(connection_id: int) -> Any:
    me = _me()
    if ActionForm().validate_on_submit():
        try:
            services.decline_connection(db.session, g.instance, me, connection_id)
        except ServiceError as exc:
            _refused(exc)
        else:
            flash(_("The invitation is declined."), "success")
    else:
        _form_problem(ActionForm())
    return redirect(url_for("network.my_network"))


@bp.post("/network/connections/<int:connection_id>/remove")
@login_required
def remove(connection_id: int) -> Any:
    """Withdraw one's own invitation, or remove a connection (either side)."""
    me = _me()
    form = ActionForm()
    if form.validate_on_submit():
        row = services.access_connection(db.session, g.instance, me, connection_id)
        was = row.status
        try:
            services.remove_connection(db.session, g.instance, me, connection_id)
        except ServiceError as exc:
            _refused(exc)
        else:
            if was == CONNECTED:
                flash(_("The connection is removed."), "success")
            elif was == PENDING:
                flash(_("The invitation is withdrawn."), "success")
    else:
        _form_problem(form)
    return redirect(url_for("network.my_network"))


@bp.route("/network/connections/<int:connection_id>/trust", methods=["GET", "POST"])
@login_required
def trust(connection_id: int) -> Any:
    """The one-click private rating, offered after accepting and editable later."""
    me = _me()
    row = services.access_connection(db.session, g.instance, me, connection_id)
    form = TrustForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            _form_problem(form)
            return redirect(url_for("network.trust", connection_id=connection_id))
        try:
            services.set_trust(db.session, g.instance, me, connection_id, int(form.trust.data))
        except ServiceError as exc:
            _refused(exc)
            return redirect(url_for("network.my_network"))
        flash(_("Your rating is saved. Only you can see it."), "success")
        return redirect(url_for("network.my_network"))
    if row.status != CONNECTED:
        flash(_("You can rate only your connections."), "error")
        return redirect(url_for("network.my_network"))
    return render("network/trust.html", connection=row, other=row.other(me.id),
                  current=row.trust_of(me.id), trust_choices=trust_labels(), form=form)


@bp.get("/members/<int:member_id>/contacts")
@login_required
def contacts(member_id: int) -> Any:
    me = _me()
    page = page_arg()
    try:
        owner, total, members = list_contacts(db.session, g.instance, me, member_id,
                                              page=page, per_page=PER_PAGE)
    except Forbidden as exc:
        db.session.rollback()
        owner = get_member(db.session, g.instance, member_id)
        return render("network/contacts.html", owner=owner, members=[], total=0, page=1,
                      pages=1, hidden=exc.message), 403
    # Cards, not rows: the template gets plain values and cannot query per contact.
    return render("network/contacts.html", owner=owner,
                  members=member_cards(db.session, g.instance, me, members), total=total,
                  page=page, pages=_pages(total, PER_PAGE), hidden=None,
                  remote=list_remote_contacts(db.session, g.instance, me, member_id)
                  if page == 1 else [])
