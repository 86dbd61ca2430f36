"""Introduction pages: get introduced, write directly, my introductions, one request with its
actions, and the statistics page for staff (admins and moderators). Thin: parse, call one
service, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from maillon.db import db
from maillon.errors import ServiceError
from maillon.forms import refusal_text, show_problems, submit
from maillon.introductions import crossing, incoming, incoming_relay, services
from maillon.introductions.forms import (
    AdviseForm,
    AnswerForm,
    BlockForm,
    ConfirmForm,
    DeclineForm,
    DirectMessageForm,
    ForwardForm,
    PassOnForm,
    RelayDeclineForm,
    RequestForm,
    RerouteForm,
    ThankForm,
)
from maillon.introductions.lifecycle import INCOMING_STOPPED
from maillon.introductions.records import members_by_id
from maillon.introductions.review import DECLINES, FAN_OUT_TARGETS, RELAY_LOAD
from maillon.introductions.validation import MAX_TEXT
from maillon.members.models import default_contact_policy
from maillon.members.services import access_member
from maillon.moderation.services import is_staff
from maillon.pagination import page_arg
from maillon.tenancy.rendering import render

bp = Blueprint("introductions", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/introductions")

PER_PAGE = 20
TABS = ("sent", "relaying", "received")


@bp.app_context_processor
def _waiting_count() -> dict[str, Any]:
    """The nav badge (requests waiting for the member's action: one query, only when the
    layout asks) and whether the member may write to someone directly."""
    def count() -> int:
        instance = g.get("instance")
        if instance is None or not current_user.is_authenticated:
            return 0
        return services.count_waiting_for(db.session, instance, current_user)
    def can_message(member: Any) -> bool:
        if not current_user.is_authenticated or g.get("instance") is None:
            return False
        return services.can_contact_directly(db.session, g.instance, current_user, member)

    def obstacle(member: Any) -> str | None:
        """Why no introduction to ``member`` can be asked for (a profile shows it instead of
        "Get introduced"), or None."""
        if not current_user.is_authenticated or g.get("instance") is None:
            return None
        return services.introduction_obstacle(db.session, g.instance, current_user, member)

    def reachable(members: Any) -> set[int]:
        """Which of ``members`` (a page of search results) a chain reaches: only they are
        offered "Get introduced"."""
        if not current_user.is_authenticated or g.get("instance") is None:
            return set()
        return services.reachable_among(db.session, g.instance, current_user.id, members)

    return {"introductions_waiting": count, "can_message_directly": can_message,
            "introduction_obstacle": obstacle, "reachable_among": reachable}


def _refusal(exc: ServiceError, form: Any = None) -> None:
    """A service's refusal on the page: problems next to the fields of ``form`` where it has
    them, anything else as a message."""
    db.session.rollback()
    message = refusal_text(exc) if form is None else show_problems(form, exc)
    if message:
        flash(message, "error")


# --- Getting introduced, or writing directly ---------------------------------------------------

def _purpose_choices(form: RequestForm, target: Any) -> None:
    """Offer only the purposes the target accepts (the service still checks)."""
    accepted = {**default_contact_policy(), **(target.contact_policy or {})}["purposes"]
    choices = [c for c in form.purpose.choices  # type: ignore[union-attr]
               if getattr(c, "value", None) in accepted]
    form.purpose.choices = choices or form.purpose.choices


@bp.route("/members/<int:member_id>/introduce", methods=["GET", "POST"])
@login_required
def introduce(member_id: int) -> Any:
    target = access_member(db.session, g.instance, current_user, member_id)
    if target.id == current_user.id:
        abort(404)
    direct = services.can_contact_directly(db.session, g.instance, current_user, target)
    form = RequestForm()
    _purpose_choices(form, target)
    status = 200
    chains = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            index = int(form.chain.data or 0)
        except ValueError:
            index = 0
        try:
            intro = services.request_introduction(
                db.session, g.instance, current_user, target.id, message=form.message.data,
                purpose=form.purpose.data, path_index=index)
        except ServiceError as exc:
            _refusal(exc, form)
            status = exc.status if exc.status in (403, 409, 422) else 422
        else:
            flash(_("Your request is on its way."), "success")
            return redirect(url_for("introductions.detail", intro_id=intro.id), 303)
    elif request.method == "POST":
        status = 422
    try:
        chains = services.find_chains(db.session, g.instance, current_user, target.id)
    except ServiceError as exc:
        flash(exc.message, "error")
    return render("introductions/introduce.html", target=target, form=form, chains=chains,
                  direct=direct, policy=g.instance.setting("introductions.chain_visibility"),
                  message_max=MAX_TEXT), status


@bp.route("/introductions/remote/<int:remote_id>", methods=["GET", "POST"])
@login_required
def introduce_remote(remote_id: int) -> Any:
    """Ask for an introduction to a person on another server, through ``?via=<member>``, one
    of their contacts here (from that member's contacts page), or the nearest one."""
    remote = crossing.remote_target_of(db.session, g.instance, remote_id)
    via = request.args.get("via", type=int)
    carrier = access_member(db.session, g.instance, current_user, via) if via else None
    form = RequestForm()
    done, intro, status = submit(form, lambda: services.request_introduction(
        db.session, g.instance, current_user, None, remote_target_id=remote.id,
        via_member_id=carrier.id if carrier else None, message=form.message.data,
        purpose=form.purpose.data))
    if done and intro is not None:
        flash(_("Your request is on its way."), "success")
        return redirect(url_for("introductions.detail", intro_id=intro.id), 303)
    return render("introductions/introduce_remote.html", remote=remote, carrier=carrier,
                  form=form, message_max=MAX_TEXT), status


@bp.get("/introductions/from-other-servers")
@login_required
def from_other_servers() -> Any:
    """Requests that reached the member from people on other servers: to answer, or to pass
    on when the chain continues here (decision 62)."""
    rows = incoming.list_incoming_introductions(db.session, g.instance, current_user)
    views = incoming_relay.incoming_views(db.session, g.instance, rows, current_user)
    return render("introductions/incoming.html", views=views, form=ConfirmForm(),
                  pass_form=PassOnForm(), decline_form=RelayDeclineForm())


@bp.post("/introductions/from-other-servers/<int:incoming_id>/<any(accept, decline):answer>")
@login_required
def answer_from_other_server(incoming_id: int, answer: str) -> Response:
    form = DeclineForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        if answer == "accept":
            incoming.answer_incoming_introduction(db.session, g.instance, current_user,
                                                  incoming_id, accept=True)
        else:
            incoming_relay.decline_incoming(db.session, g.instance, current_user, incoming_id,
                                            reason=form.reason.data or "")
    except ServiceError as exc:
        _refusal(exc)
    else:
        flash(_("Your answer is on its way to their server.") if answer == "accept"
              else _("Declined: their server is told."), "success")
    return redirect(url_for("introductions.from_other_servers"), 303)


@bp.post("/introductions/from-other-servers/<int:incoming_id>/pass")
@login_required
def pass_from_other_server(incoming_id: int) -> Response:
    """A relay here passes it on along the chain (decision 62)."""
    form = PassOnForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        row = incoming_relay.pass_on(db.session, g.instance, current_user, incoming_id,
                                     vouch=form.vouch.data or "")
    except ServiceError as exc:
        _refusal(exc)
    else:
        flash(_("You passed the request on. Thank you!") if row.status != INCOMING_STOPPED
              else _("No chain reaches them from here any more: the request ends here, and "
                     "their server is told."), "success")
    return redirect(url_for("introductions.from_other_servers"), 303)


@bp.route("/members/<int:member_id>/message", methods=["GET", "POST"])
@login_required
def message(member_id: int) -> Any:
    target = access_member(db.session, g.instance, current_user, member_id)
    if target.id == current_user.id:
        abort(404)
    form = DirectMessageForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.send_direct_message(db.session, g.instance, current_user, target.id,
                                         form.text.data)
        except ServiceError as exc:
            _refusal(exc, form)
            status = exc.status
        else:
            flash(_("Your message is sent to %(name)s.", name=target.name), "success")
            return redirect(url_for("members.profile", member_id=target.id), 303)
    elif request.method == "POST":
        status = 422
    allowed = services.can_contact_directly(db.session, g.instance, current_user, target)
    return render("introductions/message.html", target=target, form=form,
                  allowed=allowed), status


# --- My introductions ---------------------------------------------------------------------------

@bp.get("/introductions")
@login_required
def index() -> Any:
    waiting = services.waiting_by_tab(db.session, g.instance, current_user)
    # Without a chosen tab, the one where something waits for the member opens first.
    first = next((name for name in ("relaying", "received") if waiting[name]), "sent")
    tab = request.args.get("tab", first)
    if tab not in TABS:
        tab = first
    page = page_arg()
    total, rows = services.list_introductions(db.session, g.instance, current_user, tab,
                                              page=page, per_page=PER_PAGE)
    items = list(zip(rows, services.introduction_views(db.session, g.instance, rows,
                                                       current_user), strict=True))
    pages = max(1, -(-total // PER_PAGE))
    return render("introductions/index.html", tab=tab, tabs=TABS, items=items, total=total,
                  page=min(page, pages), pages=pages, waiting=waiting)


@bp.get("/messages")
@login_required
def messages() -> Any:
    """Direct messages sent and received, newest first, with a reply link."""
    page = page_arg()
    total, rows = services.list_direct_messages(db.session, g.instance, current_user,
                                                page=page, per_page=PER_PAGE)
    people = members_by_id(db.session, g.instance, list(
        {m.sender_id for m in rows} | {m.recipient_id for m in rows}))
    pages = max(1, -(-total // PER_PAGE))
    return render("introductions/messages.html", rows=rows, people=people, total=total,
                  page=min(page, pages), pages=pages, tabs=TABS)


@bp.get("/introductions/<int:intro_id>")
@login_required
def detail(intro_id: int) -> Any:
    intro = services.open_introduction(db.session, g.instance, current_user, intro_id,
                                      ip=request.remote_addr or "")
    view = services.introduction_view(db.session, g.instance, intro, current_user)
    reroutes: list[Any] = []
    if view["can_act"]:
        reroutes = services.suggest_reroutes(db.session, g.instance, current_user, intro.id)
    return render("introductions/detail.html", intro=intro, view=view, reroutes=reroutes,
                  forward_form=ForwardForm(), reroute_form=RerouteForm(),
                  decline_form=DeclineForm(), advise_form=AdviseForm(),
                  answer_form=AnswerForm(), thank_form=ThankForm(),
                  confirm_form=ConfirmForm(), block_form=BlockForm(),
                  reviewer=is_staff(g.instance, current_user)
                  and view["role"] != "requester")


def _act(intro_id: int, form: Any, action: Callable[[], Any], done: str,
         back: str = "introductions.detail") -> Response:
    """Run one action on a request, then back to its page (POST/redirect/GET).

    A repeated submit (a double click, a second tab) meets the service's refusal or replay and
    only shows a message: nothing happens twice.
    """
    services.access_introduction(db.session, g.instance, current_user, intro_id)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(" ".join(str(e) for e in errors), "error")
    else:
        try:
            action()
        except ServiceError as exc:
            _refusal(exc)
        else:
            flash(done, "success")
    return redirect(url_for(back, intro_id=intro_id), 303)


@bp.post("/introductions/<int:intro_id>/forward")
@login_required
def forward(intro_id: int) -> Response:
    form = ForwardForm()
    return _act(intro_id, form, lambda: services.forward_introduction(
        db.session, g.instance, current_user, intro_id, note=form.note.data or "",
        vouch=form.vouch.data or ""), _("You passed the request on. Thank you!"))


@bp.post("/introductions/<int:intro_id>/reroute")
@login_required
def reroute(intro_id: int) -> Response:
    form = RerouteForm()
    return _act(intro_id, form, lambda: services.forward_introduction(
        db.session, g.instance, current_user, intro_id, note=form.note.data or "",
        vouch=form.vouch.data or "", to_member_id=form.to_member_id.data),
        _("You passed the request on. Thank you!"))


@bp.post("/introductions/<int:intro_id>/decline")
@login_required
def decline(intro_id: int) -> Response:
    form = DeclineForm()
    return _act(intro_id, form, lambda: services.decline_introduction(
        db.session, g.instance, current_user, intro_id, reason=form.reason.data or ""),
        _("You declined to relay this request."))


@bp.post("/introductions/<int:intro_id>/advise")
@login_required
def advise(intro_id: int) -> Response:
    form = AdviseForm()
    return _act(intro_id, form, lambda: services.advise_introduction(
        db.session, g.instance, current_user, intro_id, advice=form.advice.data),
        _("Your advice is sent to the requester."))


@bp.post("/introductions/<int:intro_id>/accept")
@login_required
def accept(intro_id: int) -> Response:
    form = AnswerForm()
    return _act(intro_id, form, lambda: services.accept_introduction(
        db.session, g.instance, current_user, intro_id, message=form.message.data or "",
        connect=bool(form.connect.data)), _("You accepted the introduction."))


@bp.post("/introductions/<int:intro_id>/reject")
@login_required
def reject(intro_id: int) -> Response:
    form = AnswerForm()
    return _act(intro_id, form, lambda: services.reject_introduction(
        db.session, g.instance, current_user, intro_id, message=form.message.data or ""),
        _("You turned the introduction down."))


@bp.post("/introductions/<int:intro_id>/thank")
@login_required
def thank(intro_id: int) -> Response:
    form = ThankForm()
    return _act(intro_id, form, lambda: services.thank_chain(
        db.session, g.instance, current_user, intro_id, message=form.message.data),
        _("Your thanks are sent to everyone who relayed it."))


@bp.post("/introductions/<int:intro_id>/withdraw")
@login_required
def withdraw(intro_id: int) -> Response:
    return _act(intro_id, ConfirmForm(), lambda: services.withdraw_introduction(
        db.session, g.instance, current_user, intro_id), _("You withdrew your request."))


@bp.post("/introductions/<int:intro_id>/retry")
@login_required
def retry(intro_id: int) -> Response:
    return _act(intro_id, ConfirmForm(), lambda: services.retry_introduction(
        db.session, g.instance, current_user, intro_id),
        _("Your request is on its way along another chain."))


def _back() -> str:
    """Back to the staff's trail page when the action was taken there."""
    return ("introductions.review_trail" if request.form.get("from") == "review"
            else "introductions.detail")


@bp.post("/introductions/<int:intro_id>/approve")
@login_required
def approve(intro_id: int) -> Response:
    return _act(intro_id, ConfirmForm(), lambda: services.approve_introduction(
        db.session, g.instance, current_user, intro_id, ip=request.remote_addr or ""),
        _("Approved: the request is on its way."), _back())


@bp.post("/introductions/<int:intro_id>/block")
@login_required
def block(intro_id: int) -> Response:
    form = BlockForm()
    return _act(intro_id, form, lambda: services.block_introduction(
        db.session, g.instance, current_user, intro_id, reason=form.reason.data or "",
        ip=request.remote_addr or ""), _("The request is blocked; its requester is told why."),
        _back())


# --- Staff review: the queue and a request's trail ---------------------------------------------

@bp.get("/moderation/introductions")
@login_required
def review_queue() -> Any:
    queue = services.review_queue(db.session, g.instance, current_user)
    return render("introductions/review_queue.html", queue=queue, thresholds={
        "fan_out": FAN_OUT_TARGETS, "relay_load": RELAY_LOAD, "declines": DECLINES})


@bp.get("/moderation/introductions/<int:intro_id>")
@login_required
def review_trail(intro_id: int) -> Any:
    intro, hops = services.review_trail(db.session, g.instance, current_user, intro_id)
    # Opening it is recorded (staff who are no part of it), as on the request's own page.
    services.open_introduction(db.session, g.instance, current_user, intro_id,
                               ip=request.remote_addr or "")
    view = services.introduction_view(db.session, g.instance, intro, current_user)
    return render("introductions/review_trail.html", intro=intro, hops=hops, view=view,
                  block_form=BlockForm(), confirm_form=ConfirmForm())
