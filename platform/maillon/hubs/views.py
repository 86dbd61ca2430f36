"""Hub pages: the list of hubs, a hub with its threads, its members and requests, a thread
with its posts, writing, editing, deleting, removing and following.

Every action is a POST with a CSRF token; a refused action comes back as a flash message, a
refused form as the page again with the problems next to the fields.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.wrappers import Response

from maillon.db import db
from maillon.errors import ServiceError
from maillon.forms import refusal_text, show_problems, submit
from maillon.hubs import search, services, threads
from maillon.hubs.forms import EditForm, HubForm, RemovalForm, ReplyForm, ThreadForm
from maillon.hubs.lifecycle import PUBLISHED
from maillon.hubs.models import Post
from maillon.hubs.text import render_post
from maillon.network.forms import ActionForm
from maillon.pagination import page_arg
from maillon.tenancy.rendering import render

bp = Blueprint("hubs", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/hubs")

THREADS_PER_PAGE = 20
POSTS_PER_PAGE = 20


def _refused(exc: ServiceError) -> None:
    db.session.rollback()
    flash(refusal_text(exc), "error")


def _post_html(post: Post) -> Markup:
    return render_post(post.text, post.mentions or [],
                       lambda member_id: url_for("members.profile", member_id=member_id))


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"post_html": _post_html,
            "text_html": lambda text: render_post(text, [], lambda member_id: ""),
            "when": lambda moment: format_datetime(moment, "medium")}


# ---------------------------------------------------------------------- hubs


@bp.get("/hubs")
@login_required
def index() -> Any:
    page = page_arg()
    mine = request.args.get("mine") == "1"
    total, rows = services.list_hubs(db.session, g.instance, current_user, page=page,
                                     per_page=THREADS_PER_PAGE, mine=mine)
    return render("hubs/index.html", rows=rows, total=total, page=page, mine=mine,
                  per_page=THREADS_PER_PAGE)


@bp.get("/hubs/search")
@login_required
def search_page() -> Any:
    text = (request.args.get("q") or "").strip()
    hub_name = (request.args.get("hub") or "").strip() or None
    page = page_arg()
    found, problem, status = None, None, 200
    if text or hub_name:
        try:
            found = search.search_threads(db.session, g.instance, current_user, text=text,
                                          hub=hub_name, page=page, per_page=THREADS_PER_PAGE)
        except ServiceError as exc:
            problem, status = exc.message, exc.status
    return render("hubs/search.html", q=text, hub_name=hub_name, found=found, problem=problem,
                  page=page, per_page=THREADS_PER_PAGE), status


@bp.route("/hubs/new", methods=["GET", "POST"])
@login_required
def create() -> Any:
    form = HubForm()
    outcome = submit(form, lambda: services.create_hub(db.session, g.instance, current_user,
                                                       form.changes())[0])
    if outcome.done and outcome.result is not None:
        flash(_("Your hub is open: start its first thread."), "success")
        return redirect(url_for("hubs.hub", hub_id=outcome.result.id))
    return render("hubs/new.html", form=form), outcome.status


@bp.route("/hubs/<int:hub_id>/settings", methods=["GET", "POST"])
@login_required
def settings(hub_id: int) -> Any:
    access = services.moderated(services.access_hub(db.session, g.instance, current_user,
                                                    hub_id))
    form = HubForm()
    if request.method == "GET":
        form.process(data={"name": access.hub.name, "description": access.hub.description,
                           "visibility": access.hub.visibility})
    outcome = submit(form, lambda: services.update_hub(db.session, g.instance, current_user,
                                                       hub_id, form.changes()))
    if outcome.done:
        flash(_("The hub is saved."), "success")
        return redirect(url_for("hubs.hub", hub_id=hub_id))
    return render("hubs/settings.html", form=form, hub=access.hub), outcome.status


def _hub_page(hub_id: int, form: ThreadForm | None = None, status: int = 200) -> Any:
    access = services.access_hub(db.session, g.instance, current_user, hub_id)
    total, rows = (threads.list_threads(db.session, g.instance, current_user, hub_id,
                                        page=page_arg(), per_page=THREADS_PER_PAGE)
                   if access.can_read else (0, []))
    return render("hubs/hub.html", access=access, hub=access.hub, threads=rows, total=total,
                  page=page_arg(), per_page=THREADS_PER_PAGE, form=form or ThreadForm(),
                  action_form=ActionForm()), status


@bp.get("/hubs/<int:hub_id>")
@login_required
def hub(hub_id: int) -> Any:
    return _hub_page(hub_id)


@bp.post("/hubs/<int:hub_id>/join")
@login_required
def join(hub_id: int) -> Response:
    if ActionForm().validate_on_submit():
        try:
            row, _created = services.join_hub(db.session, g.instance, current_user, hub_id)
        except ServiceError as exc:
            _refused(exc)
        else:
            flash(_("Welcome to the hub.") if row.status == "active" else
                  _("Your request is sent to the hub's moderators."), "success")
    return redirect(url_for("hubs.hub", hub_id=hub_id))


@bp.post("/hubs/<int:hub_id>/leave")
@login_required
def leave(hub_id: int) -> Response:
    if ActionForm().validate_on_submit():
        try:
            if services.leave_hub(db.session, g.instance, current_user, hub_id):
                flash(_("You left the hub."), "success")
        except ServiceError as exc:
            _refused(exc)
    return redirect(url_for("hubs.hub", hub_id=hub_id))


@bp.get("/hubs/<int:hub_id>/members")
@login_required
def members(hub_id: int) -> Any:
    access = services.readable(services.access_hub(db.session, g.instance, current_user,
                                                   hub_id))
    page = page_arg()
    total, rows = services.list_memberships(db.session, g.instance, current_user, hub_id,
                                            page=page)
    waiting = services.list_memberships(db.session, g.instance, current_user, hub_id,
                                        pending=True)[1] if access.can_moderate else []
    return render("hubs/members.html", access=access, hub=access.hub, rows=rows, total=total,
                  page=page, per_page=50, waiting=waiting, action_form=ActionForm())


@bp.post("/hubs/<int:hub_id>/requests/<int:member_id>/<any(approve, refuse):decision>")
@login_required
def decide(hub_id: int, member_id: int, decision: str) -> Response:
    if ActionForm().validate_on_submit():
        try:
            services.decide_request(db.session, g.instance, current_user, hub_id, member_id,
                                    approve=decision == "approve")
        except ServiceError as exc:
            _refused(exc)
    return redirect(url_for("hubs.members", hub_id=hub_id))


@bp.post("/hubs/<int:hub_id>/members/<int:member_id>/<any(moderator, member):role>")
@login_required
def set_role(hub_id: int, member_id: int, role: str) -> Response:
    if ActionForm().validate_on_submit():
        try:
            services.set_hub_role(db.session, g.instance, current_user, hub_id, member_id,
                                  role)
        except ServiceError as exc:
            _refused(exc)
    return redirect(url_for("hubs.members", hub_id=hub_id))


# ---------------------------------------------------------------------- threads


@bp.post("/hubs/<int:hub_id>/threads")
@login_required
def start(hub_id: int) -> Any:
    form = ThreadForm()
    if not form.validate_on_submit():
        return _hub_page(hub_id, form, 422)
    try:
        thread, _post, _created = threads.start_thread(
            db.session, g.instance, current_user, hub_id, form.changes(),
            client_key=form.client_key.data)
    except ServiceError as exc:
        db.session.rollback()
        unplaced = show_problems(form, exc)
        if unplaced:
            flash(unplaced, "error")
        return _hub_page(hub_id, form, exc.status)
    return redirect(url_for("hubs.thread", thread_id=thread.id))


def _thread_page(thread_id: int, form: ReplyForm | None = None, status: int = 200) -> Any:
    page = page_arg()
    seen, total, posts = threads.list_posts(db.session, g.instance, current_user, thread_id,
                                            page=page, per_page=POSTS_PER_PAGE)
    following = threads.is_following(db.session, g.instance, current_user, thread_id)
    return render("hubs/thread.html", thread=seen.thread, access=seen.access, posts=posts,
                  total=total, page=page, per_page=POSTS_PER_PAGE, following=following,
                  form=form or ReplyForm(), action_form=ActionForm(),
                  published=PUBLISHED), status


@bp.get("/threads/<int:thread_id>")
@login_required
def thread(thread_id: int) -> Any:
    return _thread_page(thread_id)


@bp.post("/threads/<int:thread_id>/posts")
@login_required
def reply(thread_id: int) -> Any:
    form = ReplyForm()
    if not form.validate_on_submit():
        return _thread_page(thread_id, form, 422)
    try:
        post, _created = threads.reply(db.session, g.instance, current_user, thread_id,
                                       form.changes(), client_key=form.client_key.data)
    except ServiceError as exc:
        db.session.rollback()
        unplaced = show_problems(form, exc)
        if unplaced:
            flash(unplaced, "error")
        return _thread_page(thread_id, form, exc.status)
    return _to_post(post)


def _to_post(post: Post) -> Response:
    page = threads.post_page(db.session, g.instance, post, POSTS_PER_PAGE)
    return redirect(url_for("hubs.thread", thread_id=post.thread_id,
                            page=page if page > 1 else None, _anchor=f"post-{post.id}"))


@bp.post("/threads/<int:thread_id>/<any(follow, unfollow):action>")
@login_required
def follow(thread_id: int, action: str) -> Response:
    if ActionForm().validate_on_submit():
        try:
            following = threads.follow_thread(db.session, g.instance, current_user, thread_id,
                                              following=action == "follow")
        except ServiceError as exc:
            _refused(exc)
        else:
            flash(_("You follow this thread: you will be told of replies.") if following
                  else _("You no longer follow this thread."), "success")
    return redirect(url_for("hubs.thread", thread_id=thread_id))


# ---------------------------------------------------------------------- posts


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit(post_id: int) -> Any:
    post, seen = threads.access_own_post(db.session, g.instance, current_user, post_id)
    form = EditForm(data={"text": post.text}) if request.method == "GET" else EditForm()
    outcome = submit(form, lambda: threads.edit_post(db.session, g.instance, current_user,
                                                     post_id, form.changes()))
    if outcome.done:
        flash(_("Your post is changed."), "success")
        return _to_post(post)
    return render("hubs/edit.html", post=post, thread=seen.thread, form=form), outcome.status


@bp.post("/posts/<int:post_id>/delete")
@login_required
def delete(post_id: int) -> Response:
    if ActionForm().validate_on_submit():
        try:
            post = threads.delete_post(db.session, g.instance, current_user, post_id)
        except ServiceError as exc:
            _refused(exc)
        else:
            flash(_("Your post is deleted."), "success")
            if post.opening:
                return redirect(url_for("hubs.hub", hub_id=post.thread.hub_id))
            return _to_post(post)
    return redirect(request.referrer or url_for("hubs.index"))


@bp.route("/posts/<int:post_id>/remove", methods=["GET", "POST"])
@login_required
def remove(post_id: int) -> Any:
    post, seen = threads.access_post(db.session, g.instance, current_user, post_id)
    services.moderated(seen.access)
    form = RemovalForm()
    outcome = submit(form, lambda: threads.remove_post(
        db.session, g.instance, current_user, post_id, form.reason.data or "",
        ip=request.remote_addr or ""))
    if outcome.done:
        flash(_("The post is removed."), "success")
        if post.opening:
            return redirect(url_for("hubs.hub", hub_id=seen.access.hub.id))
        return _to_post(post)
    return render("hubs/remove.html", post=post, thread=seen.thread, form=form), outcome.status
