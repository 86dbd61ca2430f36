"""Opportunities: the lists, posting, one opportunity's page (suggestions and relays for an
ambassador, the answer for a contact, reach and answers for its poster, asking for a
referral), and the actions."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from maillon.db import db
from maillon.errors import ServiceError
from maillon.finder.services import SearchUnavailable
from maillon.forms import refusal_text, submit
from maillon.members.models import Member
from maillon.network.forms import ActionForm
from maillon.opportunities import services
from maillon.opportunities import suggestions as suggesting
from maillon.opportunities.forms import (
    AnswerForm,
    OpportunityForm,
    ReferForm,
    ReferralForm,
    RelayForm,
)
from maillon.organisations.services import managed_organisations
from maillon.pagination import page_arg
from maillon.tenancy.rendering import render

bp = Blueprint("opportunities", __name__, template_folder="templates")

PER_PAGE = 20
#: Other contacts offered in the page's "relay to another contact" list, at most.
MAX_OTHERS = 300


def _when(moment: Any) -> str:
    """When it was posted: the day, in the reader's language and time zone (the time of day,
    to the second, was noise in a list)."""
    return format_date(moment, "medium")


@bp.get("/opportunities")
@login_required
def index() -> Any:
    scope = request.args.get("scope", "open")
    if scope not in services.SCOPES:
        scope = "open"
    page = page_arg()
    total, rows = services.list_opportunities(db.session, g.instance, current_user,
                                              scope=scope, page=page, per_page=PER_PAGE)
    return render("opportunities/index.html", rows=rows, total=total, page=page,
                  per_page=PER_PAGE, scope=scope, when=_when, day=format_date)


def _new_form() -> OpportunityForm:
    form = OpportunityForm()
    form.organisation_id.choices = [("", _("Personally"))] + [
        (str(o.id), _("For %(name)s", name=o.name))
        for o in managed_organisations(db.session, g.instance, current_user)]
    return form


@bp.route("/opportunities/new", methods=["GET", "POST"])
@login_required
def new() -> Any:
    form = _new_form()
    outcome = submit(form, lambda: services.post_opportunity(db.session, g.instance,
                                                             current_user, form.changes()))
    if outcome.done and outcome.result is not None:
        flash(_("Your opportunity is posted."), "success")
        return redirect(url_for("opportunities.detail", opportunity_id=outcome.result.id))
    return render("opportunities/new.html", form=form), outcome.status


def _detail(opportunity_id: int, status: int = 200, **forms: Any) -> Any:
    view = services.access_opportunity(db.session, g.instance, current_user, opportunity_id)
    suggested: list[suggesting.Suggestion] = []
    others: list[Member] = []
    search_down = False
    relaying = view.is_ambassador and view.opportunity.accepts_relays(services.today())
    if relaying:
        try:
            suggested = services.suggest_contacts(db.session, g.instance, current_user,
                                                  opportunity_id)
        except SearchUnavailable:
            search_down = True
        others = services.other_contacts(db.session, g.instance, current_user, opportunity_id,
                                         {s.member.id for s in suggested}, MAX_OTHERS)
    return render("opportunities/detail.html", view=view, o=view.opportunity,
                  suggested=suggested, others=others, search_down=search_down,
                  relaying=relaying, relay_form=forms.get("relay_form") or RelayForm(),
                  answer_form=forms.get("answer_form") or AnswerForm(),
                  referral_form=forms.get("referral_form") or ReferralForm(),
                  refer_form=ReferForm(), action_form=ActionForm(), when=_when,
                  today=services.today, day=format_date), status


@bp.get("/opportunities/<int:opportunity_id>")
@login_required
def detail(opportunity_id: int) -> Any:
    return _detail(opportunity_id)


def _refused(exc: ServiceError) -> None:
    db.session.rollback()
    flash(refusal_text(exc), "error")


@bp.post("/opportunities/<int:opportunity_id>/relays")
@login_required
def relay(opportunity_id: int) -> Any:
    form = RelayForm()
    if not form.validate_on_submit():
        return _detail(opportunity_id, 422)
    data = {**form.changes(), "member_id": request.form.get("member_id", type=int) or 0}
    try:
        row, _created = services.relay_opportunity(db.session, g.instance, current_user,
                                                   opportunity_id, data)
    except ServiceError as exc:
        _refused(exc)
        return _detail(opportunity_id, exc.status)
    flash(_("Passed on to %(name)s.", name=row.contact.name), "success")
    return redirect(url_for("opportunities.detail", opportunity_id=opportunity_id,
                            _anchor="relay"))


@bp.post("/relays/<int:relay_id>/answer")
@login_required
def answer(relay_id: int) -> Any:
    form = AnswerForm()
    opportunity_id = request.form.get("opportunity_id", type=int) or 0
    if form.validate_on_submit():
        interested = request.form.get("interested") == "1"
        try:
            row = services.answer_relay(db.session, g.instance, current_user, relay_id,
                                        {"interested": interested,
                                         "message": form.message.data or ""})
        except ServiceError as exc:
            _refused(exc)
        else:
            opportunity_id = row.opportunity_id
            flash(_("The poster is told you are interested, with who passed it on to you.")
                  if interested else _("Noted: the poster is not told who answered “not now”."),
                  "success")
    if not opportunity_id:
        return redirect(url_for("opportunities.index", scope="received"))
    return redirect(url_for("opportunities.detail", opportunity_id=opportunity_id))


@bp.post("/opportunities/<int:opportunity_id>/close")
@login_required
def close(opportunity_id: int) -> Response:
    if ActionForm().validate_on_submit():
        try:
            services.close_opportunity(db.session, g.instance, current_user, opportunity_id)
        except ServiceError as exc:
            _refused(exc)
        else:
            flash(_("The opportunity is closed."), "success")
    return redirect(url_for("opportunities.detail", opportunity_id=opportunity_id))


@bp.post("/opportunities/<int:opportunity_id>/referral-requests")
@login_required
def ask_for_referral(opportunity_id: int) -> Any:
    form = ReferralForm()
    if form.validate_on_submit():
        data = {**form.changes(), "member_id": request.form.get("member_id", type=int) or 0}
        try:
            row, _created = services.ask_for_referral(db.session, g.instance, current_user,
                                                      opportunity_id, data)
        except ServiceError as exc:
            _refused(exc)
        else:
            flash(_("Your request is sent to %(name)s.", name=row.ambassador.name), "success")
    return redirect(url_for("opportunities.detail", opportunity_id=opportunity_id))


@bp.post("/referral-requests/<int:request_id>/<any(refer, decline):action>")
@login_required
def decide_referral(request_id: int, action: str) -> Any:
    opportunity_id = request.form.get("opportunity_id", type=int) or 0
    form = ReferForm()
    if form.validate_on_submit():
        try:
            if action == "refer":
                row = services.refer(db.session, g.instance, current_user, request_id,
                                     form.changes())
                flash(_("%(name)s is referred: the poster has your vouch.",
                        name=row.contact.name), "success")
            else:
                services.decline_referral(db.session, g.instance, current_user, request_id)
                flash(_("Declined."), "success")
        except ServiceError as exc:
            _refused(exc)
    if not opportunity_id:
        return redirect(url_for("opportunities.index", scope="relay"))
    return redirect(url_for("opportunities.detail", opportunity_id=opportunity_id))
