"""Forms of the opportunity pages (Flask-WTF, CSRF on each); the services hold the rules."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from maillon.forms import RulesForm
from maillon.opportunities.validation import (
    AnswerFields,
    OpportunityFields,
    ReferFields,
    ReferralFields,
    RelayFields,
)


def kind_choices() -> list[SelectChoice]:
    return [SelectChoice("job", _l("A job")), SelectChoice("partnership", _l("A partnership")),
            SelectChoice("call", _l("A call for papers or projects")),
            SelectChoice("purchase", _l("A purchase need"))]


class OpportunityForm(RulesForm):
    rules = OpportunityFields
    kind = SelectField(_l("Kind"), choices=kind_choices(), validate_choice=False)
    title = StringField(_l("Title"))
    text = TextAreaField(_l("Description"), render_kw={"rows": 8})
    location = StringField(_l("Place (optional)"))
    skills = StringField(_l("Skills or keywords, separated by commas"))
    closes_on = StringField(_l("Closing date (optional)"), render_kw={"type": "date"})
    organisation_id = SelectField(_l("Posted"), choices=[], validate_choice=False)

    def changes(self) -> dict[str, Any]:
        data = super().changes()
        data["skills"] = [s for s in (self.skills.data or "").split(",") if s.strip()]
        data["closes_on"] = self.closes_on.data or None
        org = self.organisation_id.data or ""
        data["organisation_id"] = int(org) if org.isdigit() else None
        return data


class RelayForm(RulesForm):
    rules = RelayFields
    note = TextAreaField(_l("Your note to them"), render_kw={"rows": 2})


class ReferralForm(RulesForm):
    rules = ReferralFields
    note = TextAreaField(_l("Why you fit (to them)"), render_kw={"rows": 3})


class ReferForm(RulesForm):
    rules = ReferFields
    note = TextAreaField(_l("Your vouch (the poster reads it)"), render_kw={"rows": 2})


class AnswerForm(RulesForm):
    rules = AnswerFields
    message = TextAreaField(_l("A word to the poster (optional)"), render_kw={"rows": 2})
