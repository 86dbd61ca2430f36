"""Introduction forms (Flask-WTF: CSRF on every form). They render the limits of the
validation models (``introductions/validation.py``) and validate only their CSRF token: the
services check the values, and the views show the problems."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, NumberRange

from maillon.forms import RulesForm
from maillon.introductions import validation
from maillon.introductions.records import MAX_ID
from maillon.members.forms import purpose_choices


class RequestForm(RulesForm):
    rules = validation.IntroductionRequest
    purpose = SelectField(_l("Purpose"), choices=purpose_choices(), validate_choice=False)
    message = TextAreaField(_l("Your message to them"))
    chain = RadioField(_l("Chain"), choices=[], validate_choice=False, default="0")


class DirectMessageForm(RulesForm):
    rules = validation.DirectMessageText
    text = TextAreaField(_l("Your message"))


class ForwardForm(RulesForm):
    rules = validation.RelayNote
    note = TextAreaField(_l("Private note to the next person"))
    vouch = TextAreaField(_l("Vouch (optional: the person they want to meet will read it)"))


class PassOnForm(RulesForm):
    """A relay here passing on a request from another server: a vouch only (decision 62)."""

    rules = validation.PassOn
    vouch = TextAreaField(_l("Vouch (optional: the next person and the person they want to "
                             "meet will read it)"))


class RerouteForm(RulesForm):
    rules = validation.RelayNote
    # Which contact: without one, the service would forward along the planned chain.
    to_member_id = IntegerField(_l("Pass it to"), validators=[InputRequired(),
                                                              NumberRange(1, MAX_ID)])
    note = TextAreaField(_l("Private note to them"))
    vouch = TextAreaField(_l("Vouch (optional)"))


class DeclineForm(RulesForm):
    rules = validation.DeclineNote
    reason = TextAreaField(_l("Reason (only the people before you in the chain read it)"))


class RelayDeclineForm(RulesForm):
    """A relay here declining a request from another server (decision 62)."""

    rules = validation.DeclineNote
    reason = TextAreaField(_l("Reason (optional: nobody else reads it)"))


class AdviseForm(RulesForm):
    rules = validation.Advice
    advice = TextAreaField(_l("Your advice to the requester"))


class AnswerForm(RulesForm):
    """The target's answer: accept (optionally connecting too) or reject."""

    rules = validation.Answer
    message = TextAreaField(_l("Message (optional)"))
    connect = BooleanField(_l("Also send a connection invitation"), default=True)


class ThankForm(RulesForm):
    rules = validation.Thanks
    message = TextAreaField(_l("Thank the people who relayed it"))


class BlockForm(RulesForm):
    """A moderator's block: the requester reads the reason."""

    rules = validation.BlockReason
    reason = TextAreaField(_l("Reason (the requester reads it)"))


class ConfirmForm(FlaskForm):
    """An empty form: a button whose only payload is the CSRF token (withdraw, retry)."""

