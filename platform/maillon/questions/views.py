"""Ask your network: my questions and those asked to me, asking, one question's page
(answers for the asker, one's own answer for a recipient), thanking, closing."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from maillon.db import db
from maillon.errors import ServiceError
from maillon.forms import refusal_text, show_problems, submit
from maillon.network.forms import ActionForm
from maillon.pagination import page_arg
from maillon.questions import services
from maillon.questions.forms import AnswerForm, QuestionForm
from maillon.tenancy.rendering import render

bp = Blueprint("questions", __name__, template_folder="templates")

PER_PAGE = 20


@bp.get("/questions")
@login_required
def index() -> Any:
    received = request.args.get("received") == "1"
    page = page_arg()
    total, rows = services.list_questions(db.session, g.instance, current_user,
                                          received=received, page=page, per_page=PER_PAGE)
    return render("questions/index.html", rows=rows, total=total, page=page, per_page=PER_PAGE,
                  received=received, when=lambda moment: format_datetime(moment, "medium"))


@bp.route("/questions/new", methods=["GET", "POST"])
@login_required
def ask() -> Any:
    form = QuestionForm()
    outcome = submit(form, lambda: services.ask_question(db.session, g.instance, current_user,
                                                         form.changes())[0])
    if outcome.done and outcome.result is not None:
        flash(_("Your question is sent to your network."), "success")
        return redirect(url_for("questions.detail", question_id=outcome.result.id))
    return render("questions/new.html", form=form), outcome.status


def _detail(question_id: int, form: AnswerForm | None = None, status: int = 200) -> Any:
    view = services.access_question(db.session, g.instance, current_user, question_id)
    if form is None:
        own = view.answers[0] if view.answers and not view.is_asker else None
        form = AnswerForm(data={"text": own.text} if own else None)
    return render("questions/detail.html", view=view, question=view.question, form=form,
                  action_form=ActionForm(),
                  when=lambda moment: format_datetime(moment, "medium")), status


@bp.get("/questions/<int:question_id>")
@login_required
def detail(question_id: int) -> Any:
    return _detail(question_id)


@bp.post("/questions/<int:question_id>/answer")
@login_required
def answer(question_id: int) -> Any:
    form = AnswerForm()
    if not form.validate_on_submit():
        return _detail(question_id, form, 422)
    try:
        services.answer_question(db.session, g.instance, current_user, question_id,
                                 form.changes())
    except ServiceError as exc:
        db.session.rollback()
        unplaced = show_problems(form, exc)
        if unplaced:
            flash(unplaced, "error")
        return _detail(question_id, form, exc.status)
    flash(_("Your answer is sent: only the member who asked reads it."), "success")
    return redirect(url_for("questions.detail", question_id=question_id))


@bp.post("/answers/<int:answer_id>/thank")
@login_required
def thank(answer_id: int) -> Response:
    question_id = request.form.get("question_id", type=int) or 0
    if ActionForm().validate_on_submit():
        try:
            row = services.thank_answer(db.session, g.instance, current_user, answer_id)
        except ServiceError as exc:
            db.session.rollback()
            flash(refusal_text(exc), "error")
        else:
            question_id = row.question_id
            flash(_("Thank you sent."), "success")
    if not question_id:
        return redirect(url_for("questions.index"))
    return redirect(url_for("questions.detail", question_id=question_id,
                            _anchor=f"answer-{answer_id}"))


@bp.post("/questions/<int:question_id>/close")
@login_required
def close(question_id: int) -> Response:
    if ActionForm().validate_on_submit():
        try:
            services.close_question(db.session, g.instance, current_user, question_id)
        except ServiceError as exc:
            db.session.rollback()
            flash(refusal_text(exc), "error")
        else:
            flash(_("The question is closed."), "success")
    return redirect(url_for("questions.detail", question_id=question_id))
