"""Forms of the hub pages (Flask-WTF, CSRF on each). They render the limits of the validation
models (``hubs/validation.py``) and validate only their CSRF token: the services hold the rules.

``client_key`` is a one-time key rendered with each writing form: submitting the same form
twice finds the first post instead of adding a second one."""

from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from maillon.forms import RulesForm
from maillon.hubs.validation import HubFields, PostFields, RemovalReason, ThreadFields


def fresh_key() -> str:
    return secrets.token_urlsafe(24)


class HubForm(RulesForm):
    rules = HubFields
    name = StringField(_l("Name"))
    description = TextAreaField(_l("What is it about?"), render_kw={"rows": 5})
    visibility = RadioField(_l("Who reads it?"), choices=[
        SelectChoice("open", _l("Every member: anyone may join at once")),
        SelectChoice("request", _l("Its members only: its moderators approve who joins"))],
        default="open", validate_choice=False)


class ThreadForm(RulesForm):
    rules = ThreadFields
    title = StringField(_l("Title"))
    text = TextAreaField(_l("Your message"), render_kw={"rows": 6})
    client_key = HiddenField(default=fresh_key)


class ReplyForm(RulesForm):
    rules = PostFields
    text = TextAreaField(_l("Your reply"), render_kw={"rows": 5})
    client_key = HiddenField(default=fresh_key)


class EditForm(RulesForm):
    rules = PostFields
    text = TextAreaField(_l("Your message"), render_kw={"rows": 8})


class RemovalForm(RulesForm):
    rules = RemovalReason
    reason = TextAreaField(_l("Why is this post removed?"), render_kw={"rows": 3})
