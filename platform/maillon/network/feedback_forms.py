"""Forms of endorsements and recommendations (Flask-WTF, CSRF on each); the services hold the
rules and the messages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from maillon.network.recommendation_models import RELATIONSHIPS
from maillon.network.recommendations import (
    MAX_DETAIL,
    MAX_REQUEST_MESSAGE,
    MAX_TEXT,
    MIN_TEXT,
    RELATIONSHIP_LABELS,
)


class EndorseForm(FlaskForm):
    """One skill: the button that endorses it, or takes the endorsement back."""

    skill = HiddenField(validators=[DataRequired(), Length(max=120)])


class RecommendationForm(FlaskForm):
    relationship = SelectField(_l("How do you know them?"),
                               choices=[SelectChoice(key, RELATIONSHIP_LABELS[key])
                                        for key in RELATIONSHIPS],
                               validators=[DataRequired()])
    relationship_detail = StringField(_l("If other, say how"),
                                      validators=[Optional(), Length(max=MAX_DETAIL)])
    text = TextAreaField(_l("What did you value in working with them?"),
                         validators=[DataRequired(), Length(min=MIN_TEXT, max=MAX_TEXT)],
                         render_kw={"rows": 10, "maxlength": MAX_TEXT})


class AskForm(FlaskForm):
    message = TextAreaField(_l("A personal message (optional)"),
                            validators=[Optional(), Length(max=MAX_REQUEST_MESSAGE)])
