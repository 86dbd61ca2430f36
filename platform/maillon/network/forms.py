"""Network forms (Flask-WTF, CSRF on each); the services hold the rules (the connection
request's are ``network/validation.py``'s, rendered by its form)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, TextAreaField
from wtforms.validators import NumberRange, Optional

from maillon.forms import RulesForm
from maillon.network.validation import ConnectionRequest


def trust_labels() -> list[tuple[int, str]]:
    """The five private ratings, from a single meeting to years of close work."""
    return [(1, str(_l("Met once"))), (2, str(_l("Know a little"))),
            (3, str(_l("Know well"))), (4, str(_l("Worked together"))),
            (5, str(_l("Worked closely for years")))]


class ConnectForm(RulesForm):
    rules = ConnectionRequest
    message = TextAreaField(_l("A personal message (optional)"))


class ActionForm(FlaskForm):
    """An action button (accept, decline, withdraw, remove): only the CSRF token."""


class AcceptForm(FlaskForm):
    trust = IntegerField(_l("How well do you know them?"),
                         validators=[Optional(), NumberRange(min=1, max=5)])


class TrustForm(FlaskForm):
    trust = IntegerField(_l("How well do you know them?"),
                         validators=[NumberRange(min=1, max=5)])
