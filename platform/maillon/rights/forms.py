"""Data-rights forms (CSRF): deleting one's account, an admin deleting a member's."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.validators import InputRequired


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[InputRequired()])
    confirmation = StringField(_l("Type DELETE to confirm"), validators=[InputRequired()])


class DeleteMemberForm(FlaskForm):
    reason = TextAreaField(_l("Reason (the member reads it in the e-mail)"),
                           validators=[InputRequired()])
