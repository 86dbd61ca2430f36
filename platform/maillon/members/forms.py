"""Profile forms (Flask-WTF: CSRF on every form). The services hold the real rules; these
forms only shape browser input into the dictionaries the services take."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    IntegerField,
    MonthField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from maillon.members.models import Member, default_contact_policy, default_visibility


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes (no JavaScript needed)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def purpose_choices() -> list[SelectChoice]:
    return [SelectChoice("recruiting", _l("Recruiting")),
            SelectChoice("business", _l("Business")),
            SelectChoice("partnership", _l("Partnership")),
            SelectChoice("research", _l("Research")),
            SelectChoice("advice", _l("Advice")), SelectChoice("other", _l("Other"))]


class ProfileForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    headline = StringField(_l("Headline"), validators=[Length(max=200)])
    position = StringField(_l("Position"), validators=[Length(max=120)])
    organisation = StringField(_l("Organisation"), validators=[Length(max=120)])
    location = StringField(_l("Location"), validators=[Length(max=120)])
    skills = StringField(_l("Skills"))
    summary = TextAreaField(_l("About me"), validators=[Length(max=5000)])
    offers = TextAreaField(_l("What I offer"), validators=[Length(max=2000)])
    seeks = TextAreaField(_l("What I seek"), validators=[Length(max=2000)])
    open_to_opportunities = BooleanField(_l("Open to opportunities"))

    direct = SelectField(_l("Who may write to me directly"), choices=[
        SelectChoice("anyone", _l("Any member")), SelectChoice("network", _l("My network")),
        SelectChoice("nobody", _l("Nobody (introductions only)"))])
    introductions = BooleanField(_l("I accept introductions"))
    purposes = MultiCheckboxField(_l("Purposes I accept"), choices=purpose_choices())
    max_hops = SelectField(_l("Longest chain I accept (links)"),
                           choices=[SelectChoice(str(n)) for n in range(1, 7)])
    relaying = RadioField(_l("Relaying introductions for others"), choices=[
        SelectChoice("open", _l("Open: I relay requests")),
        SelectChoice("busy", _l("Busy: route around me for now")),
        SelectChoice("off", _l("Off: never route through me"))])
    in_directory = BooleanField(_l("Show me in the members directory"))
    contacts_visible_to = SelectField(_l("Who can see my contacts"), choices=[
        SelectChoice("nobody", _l("Nobody")), SelectChoice("connections", _l("My connections")),
        SelectChoice("second_degree", _l("Connections and their connections")),
        SelectChoice("members", _l("All members"))])
    locale = SelectField(_l("Language"), choices=[
        SelectChoice("", _l("The community's language")), SelectChoice("en", "English"),
        SelectChoice("fr", "Français")])

    # Service error keys that belong to a differently named form field.
    FIELD_FOR_ERROR = {"contact_policy.direct": "direct",
                       "contact_policy.introductions": "introductions",
                       "contact_policy.purposes": "purposes",
                       "contact_policy.max_hops": "max_hops",
                       "visibility.in_directory": "in_directory",
                       "visibility.contacts_visible_to": "contacts_visible_to"}

    def fill_from(self, member: Member) -> None:
        """Pre-fill the form with the member's current profile."""
        policy = {**default_contact_policy(), **(member.contact_policy or {})}
        visibility = {**default_visibility(), **(member.visibility or {})}
        for name in ("name", "headline", "position", "organisation", "location", "summary",
                     "offers", "seeks", "open_to_opportunities", "relaying"):
            getattr(self, name).data = getattr(member, name)
        self.skills.data = ", ".join(member.skills or [])
        self.direct.data = policy["direct"]
        self.introductions.data = bool(policy["introductions"])
        self.purposes.data = list(policy["purposes"])
        self.max_hops.data = str(policy["max_hops"])
        self.in_directory.data = bool(visibility["in_directory"])
        self.contacts_visible_to.data = visibility["contacts_visible_to"]
        self.locale.data = member.locale or ""

    def changes(self) -> dict[str, Any]:
        """The submitted values in the shape update_profile takes."""
        return {
            "name": self.name.data or "", "headline": self.headline.data or "",
            "position": self.position.data or "", "organisation": self.organisation.data or "",
            "location": self.location.data or "", "skills": self.skills.data or "",
            "summary": self.summary.data or "", "offers": self.offers.data or "",
            "seeks": self.seeks.data or "",
            "open_to_opportunities": bool(self.open_to_opportunities.data),
            "contact_policy": {"direct": self.direct.data,
                               "introductions": bool(self.introductions.data),
                               "purposes": list(self.purposes.data or []),
                               "max_hops": int(self.max_hops.data or 0)},
            "relaying": self.relaying.data,
            "visibility": {"in_directory": bool(self.in_directory.data),
                           "contacts_visible_to": self.contacts_visible_to.data},
            "locale": self.locale.data or None,
        }


MONTH_FORMATS = ["%Y-%m", "%Y-%m-%d"]


class ExperienceForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=120)])
    organisation = StringField(_l("Organisation"), validators=[Length(max=120)])
    location = StringField(_l("Location"), validators=[Length(max=120)])
    # By month (<input type="month">, the first of the month stored); a full date still parses.
    start_date = MonthField(_l("Start date"), format=MONTH_FORMATS, validators=[DataRequired()])
    end_date = MonthField(_l("End date (empty if current)"), format=MONTH_FORMATS,
                          validators=[Optional()])
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)])

    def changes(self) -> dict[str, Any]:
        return {"title": self.title.data or "", "organisation": self.organisation.data or "",
                "location": self.location.data or "", "start_date": self.start_date.data,
                "end_date": self.end_date.data, "description": self.description.data or ""}


class EducationForm(FlaskForm):
    school = StringField(_l("School"), validators=[DataRequired(), Length(max=160)])
    degree = StringField(_l("Degree"), validators=[Length(max=160)])
    field = StringField(_l("Field of study"), validators=[Length(max=160)])
    start_year = IntegerField(_l("Start year"),
                              validators=[Optional(), NumberRange(min=1900, max=2100)])
    end_year = IntegerField(_l("End year"),
                            validators=[Optional(), NumberRange(min=1900, max=2100)])

    def changes(self) -> dict[str, Any]:
        return {"school": self.school.data or "", "degree": self.degree.data or "",
                "field": self.field.data or "", "start_year": self.start_year.data,
                "end_year": self.end_year.data}


class PhotoForm(FlaskForm):
    photo = FileField(_l("New photo (JPEG, PNG or WebP)"),
                      validators=[FileRequired(_l("Choose an image file."))])


class ConfirmForm(FlaskForm):
    """An empty form: a button whose only payload is the CSRF token."""
