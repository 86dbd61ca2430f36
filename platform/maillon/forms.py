"""The base of forms whose values a validation model checks (``maillon.validation``), and how a
page shows a service's refusal."""

from __future__ import annotations

from typing import Any, ClassVar

from flask_wtf import FlaskForm
from pydantic import BaseModel

from maillon.errors import ServiceError, ValidationFailed
from maillon.validation import html_attributes


class RulesForm(FlaskForm):
    """A form that renders its inputs with the limits of ``rules`` (maxlength, required...)
    and validates nothing but its CSRF token: the service checks the values with ``rules`` and
    the view shows its problems next to the fields, in the words the API uses."""

    rules: ClassVar[type[BaseModel]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self:
            attributes = html_attributes(self.rules, field.name)
            if attributes:
                field.render_kw = {**attributes, **(field.render_kw or {})}

    def changes(self) -> dict[str, Any]:
        """The submitted values under the rules' names (an empty input is "")."""
        return {field.name: field.data or "" for field in self
                if field.name in self.rules.model_fields}


def refusal_text(exc: ServiceError) -> str:
    """A refusal as one message: a validation failure's problems (sentences), or the refusal's
    message (other codes' fields are hints for API clients, not sentences)."""
    if isinstance(exc, ValidationFailed) and exc.fields:
        return " ".join(str(problem) for problem in exc.fields.values())
    return exc.message


def show_problems(form: FlaskForm, exc: ServiceError) -> str | None:
    """A validation failure's problems next to their fields; what no field of ``form`` shows
    is returned as a message for the page (None when everything is placed)."""
    if not isinstance(exc, ValidationFailed):
        return exc.message
    unplaced = []
    for name, problem in exc.fields.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, problem]
        else:
            unplaced.append(str(problem))
    return " ".join(unplaced) or None
