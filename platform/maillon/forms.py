"""The base of forms whose values a validation model checks (``maillon.validation``)."""

from __future__ import annotations

from typing import Any, ClassVar

from flask_wtf import FlaskForm
from pydantic import BaseModel

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
