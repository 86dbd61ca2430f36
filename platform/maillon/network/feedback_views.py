"""Endorsement and recommendation pages: endorse buttons and recommendations on profiles,
the writing form, asking for a recommendation, and "recommendations about me".

Every action is a POST with a CSRF token; a refused action comes back as a flash message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from maillon.db import db
from maillon.errors import ServiceError
from maillon.forms import refusal_text, submit
from maillon.members.models import Member
from maillon.members.services import access_member, get_member
from maillon.network import endorsements, recommendations
from maillon.network.feedback_forms import AskForm, EndorseForm, RecommendationForm
from maillon.network.forms import ActionForm
from maillon.network.recommendation_models import (
    APPROVED,
    AWAITING_APPROVAL,
    HIDDEN,
    Recommendation,
    RecommendationRequest,
)
from maillon.network.services import are_connected
from maillon.tenancy.rendering import render

bp = Blueprint("feedback", __name__, template_folder="templates")

MAX_NAMES = 5  # endorsers named next to a skill; the others are counted


def _me() -> Member:
    return get_member(db.session, g.instance, current_user.id)


def _refused(exc: ServiceError) -> None:
    db.session.rollback()
    flash(refusal_text(exc), "error")


def _to_profile(member_id: int, anchor: str = "") -> Response:
    return redirect(url_for("members.profile", member_id=member_id) + anchor)


# --- profile sections ---------------------------------------------------------------------

@dataclass
class ProfileFeedback:
    """What the profile's endorsement and recommendation sections show to this viewer."""

    skills: list[endorsements.SkillEndorsements]
    recommendations: list[Recommendation]
    is_self: bool
    connected: bool
    own: Recommendation | None  # the viewer's recommendation of this member
    asked: RecommendationRequest | None  # the viewer's open request to this member
    pending_count: int  # for oneself: recommendations waiting for approval
    max_names: int = MAX_NAMES


def profile_feedback(member: Member) -> ProfileFeedback:
    """Computed when a profile includes the sections (the members view stays unaware), once
    per request and member."""
    cache: dict[int, ProfileFeedback] = g.setdefault("profile_feedback", {})
    if member.id not in cache:
        cache[member.id] = _profile_feedback(member)
    return cache[member.id]


def _profile_feedback(member: Member) -> ProfileFeedback:
    me = _me()
    is_self = me.id == member.id
    recs = recommendations.list_recommendations(db.session, g.instance, me, member)
    connected = not is_self and are_connected(db.session, g.instance, me.id, member.id)
    own = next((r for r in recs if r.author_id == me.id), None)
    asked = recommendations.find_open_request(db.session, g.instance, me.id, member.id) \
        if connected else None
    return ProfileFeedback(
        skills=endorsements.endorsement_summary(db.session, g.instance, me, member),
        recommendations=[r for r in recs if r.status == APPROVED or r.author_id == me.id],
        is_self=is_self, connected=connected, own=own, asked=asked,
        pending_count=sum(r.status == AWAITING_APPROVAL for r in recs) if is_self else 0)


@bp.app_context_processor
def _template_helpers() -> dict[str, Any]:
    return {"profile_feedback": profile_feedback,
            "relationship_label": recommendations.relationship_label,
            "feedback_action_form": ActionForm}


# --- endorsements ---------------------------------------------------------------------------

@bp.post("/members/<int:member_id>/endorsements")
@login_required
def endorse(member_id: int) -> Any:
    form = EndorseForm()
    if form.validate_on_submit():
        try:
            endorsements.endorse_skill(db.session, g.instance, _me(), member_id, form.skill.data)
        except ServiceError as exc:
            _refused(exc)
    return _to_profile(member_id, "#skills")


@bp.post("/members/<int:member_id>/endorsements/remove")
@login_required
def revoke(member_id: int) -> Any:
    form = EndorseForm()
    if form.validate_on_submit():
        endorsements.revoke_endorsement(db.session, g.instance, _me(), member_id,
                                        form.skill.data)
    return _to_profile(member_id, "#skills")


# --- writing and asking ---------------------------------------------------------------------

@bp.route("/members/<int:member_id>/recommend", methods=["GET", "POST"])
@login_required
def recommend(member_id: int) -> Any:
    me = _me()
    member = access_member(db.session, g.instance, me, member_id)
    own = recommendations.find_recommendation(db.session, g.instance, me.id, member.id)
    if request.method == "GET" and own is not None:
        form = RecommendationForm(data={"relationship": own.relationship_kind,
                                        "relationship_detail": own.relationship_detail,
                                        "text": own.text})
    else:
        form = RecommendationForm()
    outcome = submit(form, lambda: recommendations.write_recommendation(
        db.session, g.instance, me, member.id, relationship=form.relationship.data,
        text=form.text.data, relationship_detail=form.relationship_detail.data or ""))
    if outcome.done:
        flash(_("Thank you: %(name)s will see your recommendation and can publish it.",
                name=member.name), "success")
        return _to_profile(member.id, "#recommendations")
    status = outcome.status
    connected = are_connected(db.session, g.instance, me.id, member.id)
    return render("network/recommendations/form.html", member=member, form=form, own=own,
                  connected=connected), status


@bp.post("/members/<int:member_id>/ask-recommendation")
@login_required
def ask(member_id: int) -> Any:
    form = AskForm()
    if form.validate_on_submit():
        try:
            _row, created = recommendations.request_recommendation(
                db.session, g.instance, _me(), member_id, form.message.data or "")
        except ServiceError as exc:
            _refused(exc)
        else:
            if created:
                flash(_("Your request is sent."), "success")
    return _to_profile(member_id, "#recommendations")


# --- recommendations about me ---------------------------------------------------------------

@bp.get("/recommendations")
@login_required
def manage() -> Any:
    me = _me()
    about = recommendations.list_recommendations(db.session, g.instance, me, me)
    return render("network/recommendations/manage.html", me=me,
                  pending=[r for r in about if r.status == AWAITING_APPROVAL],
                  approved=[r for r in about if r.status == APPROVED],
                  hidden=[r for r in about if r.status == HIDDEN],
                  requests=recommendations.list_recommendation_requests(db.session, g.instance,
                                                                        me),
                  authored=recommendations.list_written_recommendations(db.session, g.instance,
                                                                        me),
                  action_form=ActionForm())


_ACTIONS = {
    "approve": (recommendations.approve_recommendation,
                _l("The recommendation is on your profile.")),
    "hide": (recommendations.hide_recommendation, _l("The recommendation is hidden.")),
    "delete": (recommendations.delete_recommendation, _l("The recommendation is deleted.")),
}


@bp.post("/recommendations/<int:recommendation_id>/<any(approve, hide, delete):action>")
@login_required
def act(recommendation_id: int, action: str) -> Any:
    if ActionForm().validate_on_submit():
        service, done = _ACTIONS[action]
        try:
            service(db.session, g.instance, _me(), recommendation_id)
        except ServiceError as exc:
            _refused(exc)
        else:
            flash(str(done), "success")
    return redirect(url_for("feedback.manage"))


@bp.post("/recommendation-requests/<int:request_id>/dismiss")
@login_required
def dismiss(request_id: int) -> Any:
    if ActionForm().validate_on_submit():
        recommendations.dismiss_recommendation_request(db.session, g.instance, _me(),
                                                       request_id)
    return redirect(url_for("feedback.manage"))
