"""The rules of a registration, as the validation model the service, the API and the page
share (``maillon.validation``): a name as a profile has it, an e-mail address, a password.
One limit per field (decision 33)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from pydantic import Field

from maillon.errors import ValidationFailed
from maillon.validation import Line, Rule, Rules, fail

MIN_PASSWORD = 8
MAX_PASSWORD = 200
MAX_EMAIL = 254  # RFC 5321's longest path
MAX_NAME = 120  # as a profile's name


def normalise_email(email: str) -> str:
    """The address as stored (lower case, normalised), or ValidationFailed on ``email``."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:  # its reason is English only
        raise ValidationFailed({"email": _(
            "This is not a valid e-mail address; it looks like name@example.org.")}) from None


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return _("Use at least %(n)d characters.", n=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        return _("Use at most %(n)d characters.", n=MAX_PASSWORD)
    return None


def check_password_strength(password: str) -> None:
    problem = password_problem(password)
    if problem:
        raise ValidationFailed({"password": problem})


@dataclass(frozen=True)
class EmailAddress(Rule):
    """An e-mail address, normalised as accounts store it."""

    def clean(self, value: Any) -> str:
        if not isinstance(value, str):
            fail(_("Must be text."))
        if not value.strip():
            fail(_("This field is required."))
        if len(value.strip()) > MAX_EMAIL:
            fail(_("At most %(n)d characters.", n=MAX_EMAIL))
        try:
            return normalise_email(value)
        except ValidationFailed as exc:
            fail(exc.fields["email"])

    def schema(self) -> dict[str, Any]:
        return {"format": "email", "maxLength": MAX_EMAIL}

    def html(self) -> dict[str, Any]:
        return {"maxlength": MAX_EMAIL, "required": True}


@dataclass(frozen=True)
class Password(Rule):
    """A new password: kept as typed (spaces count), within the lengths."""

    def clean(self, value: Any) -> str:
        if not isinstance(value, str):
            fail(_("Must be text."))
        problem = password_problem(value)
        if problem:
            fail(problem)
        return value

    def schema(self) -> dict[str, Any]:
        return {"minLength": MIN_PASSWORD, "maxLength": MAX_PASSWORD}

    def html(self) -> dict[str, Any]:
        return {"minlength": MIN_PASSWORD, "maxlength": MAX_PASSWORD, "required": True}


class RegistrationFields(Rules):
    """Who joins: their name, e-mail address and password."""

    email: Annotated[str, EmailAddress()] = Field(description="Normalised to lower case.")
    password: Annotated[str, Password()]
    name: Annotated[str, Line(MAX_NAME, required=True)]
