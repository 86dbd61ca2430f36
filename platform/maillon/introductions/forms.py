"""Introduction forms (Flask-WTF: CSRF on every form). The services hold the rules; these forms
only shape browser input."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from maillon.introductions.records import MAX_ID
from maillon.members.forms import purpose_choices

MESSAGE_MAX = 2000
NOTE_MAX = 1000


class RequestForm(FlaskForm):
    purpose = SelectField(_l("Purpose"), choices=purpose_choices())
    message = TextAreaField(_l("Your message to them"),
                            validators=[DataRequired(), Length(min=20, max=MESSAGE_MAX)])
    chain = RadioField(_l("Chain"), choices=[], validate_choice=False, default="0")


class DirectMessageForm(FlaskForm):
    text = TextAreaField(_l("Your message"), validators=[DataRequired(),
                                                         Length(max=MESSAGE_MAX)])


class ForwardForm(FlaskForm):
    note = TextAreaField(_l("Private note to the next person"),
                         validators=[Length(max=NOTE_MAX)])
    vouch = TextAreaField(_l("Vouch (optional: the person they want to meet will read it)"),
                          validators=[Length(max=NOTE_MAX)])


class RerouteForm(FlaskForm):
    to_member_id = IntegerField(_l("Pass it to"), validators=[InputRequired(),
                                                              NumberRange(1, MAX_ID)])
    note = TextAreaField(_l("Private note to them"), validators=[Length(max=NOTE_MAX)])
    vouch = TextAreaField(_l("Vouch (optional)"), validators=[Length(max=NOTE_MAX)])


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("Reason (only the people before you in the chain read it)"),
                           validators=[Length(max=NOTE_MAX)])


class AdviseForm(FlaskForm):
    advice = TextAreaField(_l("Your advice to the requester"),
                           validators=[DataRequired(), Length(max=MESSAGE_MAX)])


class AnswerForm(FlaskForm):
    """The target's answer: accept (optionally connecting too) or reject."""

    message = TextAreaField(_l("Message (optional)"), validators=[Length(max=MESSAGE_MAX)])
    connect = BooleanField(_l("Also send a connection invitation"), default=True)


class ThankForm(FlaskForm):
    message = TextAreaField(_l("Thank the people who relayed it"),
                            validators=[DataRequired(), Length(max=NOTE_MAX)])


class ConfirmForm(FlaskForm):
    """An empty form: a button whose only payload is the CSRF token (withdraw, retry)."""

