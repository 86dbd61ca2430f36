"""Moderation forms (CSRF): imposing and lifting a sanction, appealing, deciding an appeal."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional


class SanctionForm(FlaskForm):
    kind = SelectField(_l("Sanction"), choices=[
        SelectChoice("warn", _l("Warn")),
        SelectChoice("limit", _l("Limit: no new introductions, messages or connection "
                                 "requests")),
        SelectChoice("suspend", _l("Suspend: no login, out of search and chains"))])
    reason = TextAreaField(_l("Reason (the member reads it)"), validators=[InputRequired()])
    until = DateField(_l("Until (included; empty: until lifted)"), validators=[Optional()])


class LiftForm(FlaskForm):
    reason = TextAreaField(_l("Why lift it"), validators=[InputRequired()])


class AppealForm(FlaskForm):
    text = TextAreaField(_l("Your appeal"), validators=[InputRequired()])


class DecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=[
        SelectChoice("accept", _l("Accept: lift the sanction")),
        SelectChoice("reject", _l("Reject: the sanction stays"))], validators=[InputRequired()])
    response = TextAreaField(_l("Answer to the member"), validators=[InputRequired()])
