"""Moderation forms (CSRF): imposing and lifting a sanction, appealing, deciding an appeal,
reporting, deciding on a report."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional


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


#: The reason categories, as a reporter reads them.
REASON_LABELS = {
    "spam": _l("Spam or unsolicited advertising"),
    "harassment": _l("Harassment or abuse"),
    "impersonation": _l("Impersonation or a fake account"),
    "inappropriate": _l("Inappropriate or offensive content"),
    "other": _l("Something else"),
}


class ReportForm(FlaskForm):
    reason = RadioField(_l("What is wrong?"), choices=[
        SelectChoice(k, v) for k, v in REASON_LABELS.items()], validators=[InputRequired()])
    details = TextAreaField(_l("Details for the moderators (optional)"),
                            validators=[Optional(), Length(max=2000)])


class ReportDecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=[
        SelectChoice("dismiss", _l("Dismiss: nothing breaks the rules")),
        SelectChoice("act", _l("Act on it"))], validators=[InputRequired()])
    sanction = SelectField(_l("Sanction of the reported member"), choices=[
        SelectChoice("", _l("No sanction")),
        SelectChoice("warn", _l("Warn")),
        SelectChoice("limit", _l("Limit: no new introductions, messages or connection "
                                 "requests")),
        SelectChoice("suspend", _l("Suspend: no login, out of search and chains"))],
        validators=[Optional()])
    until = DateField(_l("Until (included; empty: until lifted)"), validators=[Optional()])
    delete_content = BooleanField(_l("Delete the reported content"))
    ignore_reporters = BooleanField(_l("Ignore further reports from these members about this "
                                       "subject"))
    reason = TextAreaField(_l("Reason (the sanctioned member reads it; reporters only learn "
                              "whether action was taken)"), validators=[InputRequired()])


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[
        SelectChoice("member", _l("Member")),
        SelectChoice("moderator", _l("Moderator: reports, sanctions, appeals, statistics")),
        SelectChoice("admin", _l("Administrator: also registrations, settings, the audit log"))])
    reason = TextAreaField(_l("Why (kept in the audit log)"), validators=[Optional()])
