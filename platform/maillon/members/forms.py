"""Profile forms (Flask-WTF: CSRF on every form). They render the inputs and shape browser input
into the dictionaries the services take; the rules, and every message about a value, are the
validation models' (``members/validation.py``), as for the API."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget, MonthInput, NumberInput

from maillon.forms import RulesForm
from maillon.members.models import (
    CONTACTS_VISIBLE_CHOICES,
    DIRECT_CHOICES,
    PURPOSES,
    RELAYING_CHOICES,
    Member,
    default_contact_policy,
    default_visibility,
)
from maillon.members.validation import MAX_HOPS, EducationFields, ExperienceFields, ProfileChange
from maillon.tenancy.settings import LOCALES


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes (no JavaScript needed)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


# The labels of the closed lists of members/models.py, by code: the lists themselves are
# declared there once, and every form shows them in their order.
PURPOSE_LABELS = {"recruiting": _l("Recruiting"), "business": _l("Business"),
                  "partnership": _l("Partnership"), "research": _l("Research"),
                  "advice": _l("Advice"), "other": _l("Other")}
DIRECT_LABELS = {"anyone": _l("Any member"), "network": _l("My network"),
                 "nobody": _l("Nobody (introductions only)")}
RELAYING_LABELS = {"open": _l("Open: I relay requests"),
                   "busy": _l("Busy: route around me for now"),
                   "off": _l("Off: never route through me")}
CONTACTS_VISIBLE_LABELS = {"nobody": _l("Nobody"), "connections": _l("My connections"),
                           "second_degree": _l("Connections and their connections"),
                           "members": _l("All members")}
LOCALE_LABELS = {"en": "English", "fr": "Français"}


def labelled(codes: tuple[str, ...], labels: Mapping[str, Any]) -> list[SelectChoice]:
    """The choices of a closed list, in its order, with their labels."""
    return [SelectChoice(code, labels[code]) for code in codes]


def purpose_choices() -> list[SelectChoice]:
    return labelled(PURPOSES, PURPOSE_LABELS)


class MonthField(StringField):
    """``<input type="month">`` whose text (YYYY-MM, or a full date) the rules parse."""

    widget = MonthInput()

    def _value(self) -> str:
        return self.data.strftime("%Y-%m") if isinstance(self.data, date) else self.data or ""


class ProfileForm(RulesForm):
    rules = ProfileChange

    name = StringField(_l("Full name"))
    headline = StringField(_l("Headline"))
    position = StringField(_l("Position"))
    organisation = StringField(_l("Organisation"))
    location = StringField(_l("Location"))
    skills = StringField(_l("Skills"))
    summary = TextAreaField(_l("About me"))
    offers = TextAreaField(_l("What I offer"))
    seeks = TextAreaField(_l("What I seek"))
    open_to_opportunities = BooleanField(_l("Open to opportunities"))

    direct = SelectField(_l("Who may write to me directly"),
                         choices=labelled(DIRECT_CHOICES, DIRECT_LABELS), validate_choice=False)
    introductions = BooleanField(_l("I accept introductions"))
    purposes = MultiCheckboxField(_l("Purposes I accept"), choices=purpose_choices(),
                                  validate_choice=False)
    max_hops = SelectField(_l("Longest chain I accept (links)"),
                           choices=[SelectChoice(str(n)) for n in range(1, MAX_HOPS + 1)],
                           validate_choice=False)
    relaying = RadioField(_l("Relaying introductions for others"),
                          choices=labelled(RELAYING_CHOICES, RELAYING_LABELS),
                          validate_choice=False)
    in_directory = BooleanField(_l("Show me in the members directory"))
    contacts_visible_to = SelectField(
        _l("Who can see my contacts"),
        choices=labelled(CONTACTS_VISIBLE_CHOICES, CONTACTS_VISIBLE_LABELS),
        validate_choice=False)
    locale = SelectField(_l("Language"), choices=[
        SelectChoice("", _l("The community's language")),
        *labelled(LOCALES, LOCALE_LABELS)], validate_choice=False)

    # Problems of the rules' nested keys, shown at the form field of the key.
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
        """The submitted values in the shape of the rules (``ProfileChange``)."""
        hops = self.max_hops.data or ""
        return {
            "name": self.name.data or "", "headline": self.headline.data or "",
            "position": self.position.data or "", "organisation": self.organisation.data or "",
            "location": self.location.data or "",
            "skills": (self.skills.data or "").split(","),  # one comma-separated line
            "summary": self.summary.data or "", "offers": self.offers.data or "",
            "seeks": self.seeks.data or "",
            "open_to_opportunities": bool(self.open_to_opportunities.data),
            "contact_policy": {"direct": self.direct.data,
                               "introductions": bool(self.introductions.data),
                               "purposes": list(self.purposes.data or []),
                               "max_hops": int(hops) if hops.isdigit() else hops},
            "relaying": self.relaying.data,
            "visibility": {"in_directory": bool(self.in_directory.data),
                           "contacts_visible_to": self.contacts_visible_to.data},
            "locale": self.locale.data or None,
        }


class ExperienceForm(RulesForm):
    rules = ExperienceFields

    title = StringField(_l("Title"))
    organisation = StringField(_l("Organisation"))
    location = StringField(_l("Location"))
    # By month (the first of the month stored); a full date still parses.
    start_date = MonthField(_l("Start date"))
    end_date = MonthField(_l("End date (empty if current)"))
    description = TextAreaField(_l("Description"))


class EducationForm(RulesForm):
    rules = EducationFields

    school = StringField(_l("School"))
    degree = StringField(_l("Degree"))
    field = StringField(_l("Field of study"))
    start_year = StringField(_l("Start year"), widget=NumberInput(min=1900, max=2100))
    end_year = StringField(_l("End year"), widget=NumberInput(min=1900, max=2100))


class PhotoForm(FlaskForm):
    photo = FileField(_l("New photo (JPEG, PNG or WebP)"),
                      validators=[FileRequired(_l("Choose an image file."))])


class ConfirmForm(FlaskForm):
    """An empty form: a button whose only payload is the CSRF token."""
