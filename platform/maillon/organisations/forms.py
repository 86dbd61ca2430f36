"""Organisation forms (Flask-WTF, CSRF on each); the rules are ``validation.py``'s."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from maillon.forms import RulesForm
from maillon.organisations.models import SECTORS
from maillon.organisations.validation import (
    AffiliationClaim,
    OrganisationFields,
    sector_labels,
)


class OrganisationForm(RulesForm):
    rules = OrganisationFields
    name = StringField(_l("Name"))
    sector = SelectField(_l("Sector"), choices=[])
    description = TextAreaField(_l("Description"))
    website = StringField(_l("Web site"))
    locations = TextAreaField(_l("Places (one per line)"))
    email_domains = StringField(_l("E-mail domains"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        labels = sector_labels()
        self.sector.choices = [SelectChoice(code, labels[code]) for code in SECTORS]

    def fill_from(self, org: Any) -> None:
        for name in ("name", "sector", "description", "website"):
            getattr(self, name).data = getattr(org, name)
        self.locations.data = "\n".join(org.locations or [])
        self.email_domains.data = ", ".join(org.email_domains or [])


class ClaimForm(RulesForm):
    rules = AffiliationClaim
    role = StringField(_l("Your role or job title"))
    current = RadioField(
        _l("You are"),
        choices=[
            SelectChoice("current", _l("there now")),
            SelectChoice("past", _l("there in the past")),
        ],
        default="current",
    )

    def claim(self) -> dict[str, object]:
        return {"role": self.role.data or "", "current": self.current.data != "past"}


class AdminForm(FlaskForm):
    member_id = SelectField(_l("Member"), coerce=int, validators=[InputRequired()], choices=[])


class ActionForm(FlaskForm):
    """A button (confirm, decline, end, remove): only the CSRF token."""


class IntroducersForm(FlaskForm):
    """Asked by GET: no CSRF token (nothing changes)."""

    class Meta:
        csrf = False

    org = SelectField(_l("Among the members of"), coerce=int, choices=[])
    target_organisation_id = IntegerField()
    target_id = IntegerField()
