"""Forms of endorsements and recommendations (Flask-WTF, CSRF on each). They render the limits
of the validation models (``network/validation.py``) and validate only their CSRF token: the
services hold the rules and the messages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from maillon.forms import RulesForm
from maillon.network.recommendation_models import RELATIONSHIPS
from maillon.network.recommendations import RELATIONSHIP_LABELS
from maillon.network.validation import EndorsedSkill, RecommendationAsk, RecommendationFields


class EndorseForm(RulesForm):
    """One skill: the button that endorses it, or takes the endorsement back."""

    rules = EndorsedSkill
    skill = HiddenField()


class RecommendationForm(RulesForm):
    rules = RecommendationFields
    relationship = SelectField(_l("How do you know them?"),
                               choices=[SelectChoice(key, RELATIONSHIP_LABELS[key])
                                        for key in RELATIONSHIPS], validate_choice=False)
    relationship_detail = StringField(_l("If other, say how"))
    text = TextAreaField(_l("What did you value in working with them?"),
                         render_kw={"rows": 10})


class AskForm(RulesForm):
    rules = RecommendationAsk
    message = TextAreaField(_l("A personal message (optional)"))
