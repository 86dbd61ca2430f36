"""Forms of the question pages (Flask-WTF, CSRF on each); the services hold the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice

from maillon.forms import RulesForm
from maillon.questions.validation import AnswerFields, QuestionFields


class QuestionForm(RulesForm):
    rules = QuestionFields
    text = TextAreaField(_l("Your question"), render_kw={"rows": 5})
    reach = RadioField(_l("Who receives it?"), choices=[
        SelectChoice("connections", _l("My connections")),
        SelectChoice("extended", _l("My connections and some of their connections (you will "
                                    "not be told who)"))],
        default="connections", validate_choice=False)


class AnswerForm(RulesForm):
    rules = AnswerFields
    text = TextAreaField(_l("Your answer"), render_kw={"rows": 5})
