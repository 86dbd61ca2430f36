"""The base of forms whose values a validation model checks (``maillon.validation``), and how a
page shows a service's refusal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Generic, NamedTuple, TypeVar

from flask import flash, request
from flask_wtf import FlaskForm
from pydantic import BaseModel

from maillon.db import db
from maillon.errors import ServiceError, ValidationFailed
from maillon.validation import html_attributes

T = TypeVar("T")


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


class Outcome(NamedTuple, Generic[T]):
    done: bool  # the service did it: redirect
    result: T | None
    status: int  # else: render the form with this status


def submit(form: FlaskForm, action: Callable[[], T]) -> Outcome[T]:
    """A page's form: on a valid POST, ``action()`` (the service call). Its refusal is rolled
    back and shown on ``form`` (next to the fields, else flashed) with the refusal's status; a
    POST whose form does not validate (an expired token) is a 422; a GET, nothing to do."""
    if not form.validate_on_submit():
        return Outcome(False, None, 422 if request.method == "POST" else 200)
    try:
        result = action()
    except ServiceError as exc:
        db.session.rollback()
        unplaced = show_problems(form, exc)
        if unplaced:
            flash(unplaced, "error")
        return Outcome(False, None, exc.status)
    return Outcome(True, result, 200)
