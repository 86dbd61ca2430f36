"""Account forms (Flask-WTF: CSRF on every form). Registration renders the limits of its
validation model (``accounts/validation.py``) and leaves the checks to the service."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from maillon.accounts.validation import RegistrationFields
from maillon.forms import RulesForm


class RegisterForm(RulesForm):
    rules = RegistrationFields
    name = StringField(_l("Full name"))
    email = EmailField(_l("E-mail address"))
    password = PasswordField(_l("Password"))
    invitation = HiddenField()


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class EmailForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"),
                             validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("password",
                                                                _l("The passwords differ."))])


class InviteForm(FlaskForm):
    email = EmailField(_l("E-mail address to invite"),
                       validators=[DataRequired(), Length(max=254)])
