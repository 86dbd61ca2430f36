"""Validation models of the service layer: one pydantic model per concept, messages translated.

A service checks its input with :func:`check` against the model of its concept (a profile
change, an experience, ...). The API declares the same models (or their documented base) as
request bodies, so its OpenAPI schemas are these rules; the forms only shape browser input into
the same dictionaries and show the problems next to their fields. The same bad value therefore
gets the same message, in the member's language, through a page and through the API.

The field types below do their own checks before pydantic's (``BeforeValidator``): they accept
what a form or a JSON body sends, report problems in our words, and hand pydantic a value of
the declared type, whose constraints (``max_length``...) are then only the documented schema.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, NoReturn, TypeVar

from flask_babel import gettext as _
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from maillon.db import utcnow
from maillon.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)

# Control characters are refused: they break rendering and PostgreSQL refuses NUL in text.
LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Problem(ValueError):
    """A value refused with our own message; ``field`` names it from a model-wide rule."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def fail(message: str, field: str | None = None) -> NoReturn:
    raise Problem(message, field)


# --- field types ------------------------------------------------------------------------------
# Each is annotation metadata: ``name: Annotated[str | None, Line(120, required=True)] = None``.
# It runs its own check before pydantic's of the type, and documents its limits in the schema.

class Rule:
    """Annotation metadata that checks a raw value in our words and returns it cleaned."""

    def clean(self, value: Any) -> Any:
        raise NotImplementedError

    def schema(self) -> dict[str, Any]:
        """JSON schema keywords documenting the rule (maxLength, enum...)."""
        return {}

    def html(self) -> dict[str, Any]:
        """The HTML attributes of a form input for the rule (maxlength, required...)."""
        return {}

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        return BeforeValidator(self.clean).__get_pydantic_core_schema__(source, handler)

    def __get_pydantic_json_schema__(self, schema: Any, handler: GetJsonSchemaHandler
                                     ) -> dict[str, Any]:
        return {**handler(schema), **self.schema()}

@dataclass(frozen=True)
class Line(Rule):
    """One line of text: white space folded, at most ``limit`` characters."""

    limit: int
    required: bool = False

    def clean(self, value: Any) -> str:
        if value is None:
            value = ""
        if not isinstance(value, str):
            fail(_("Must be text."))
        value = " ".join(value.split())
        if LINE_CONTROL.search(value):
            fail(_("Contains characters that are not allowed."))
        if self.required and not value:
            fail(_("This field is required."))
        if len(value) > self.limit:
            fail(_("At most %(n)d characters.", n=self.limit))
        return value

    def schema(self) -> dict[str, Any]:
        return {"minLength": 1, "maxLength": self.limit} if self.required else {
            "maxLength": self.limit}

    def html(self) -> dict[str, Any]:
        return {"maxlength": self.limit, "required": True} if self.required else {
            "maxlength": self.limit}


@dataclass(frozen=True)
class Text(Rule):
    """Text over several lines (line ends made \\n), at most ``limit`` characters and, when
    ``minimum`` is given, at least that many (1: required)."""

    limit: int
    minimum: int = 0

    def clean(self, value: Any) -> str:
        if value is None:
            value = ""
        if not isinstance(value, str):
            fail(_("Must be text."))
        value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
        if TEXT_CONTROL.search(value):
            fail(_("Contains characters that are not allowed."))
        if self.minimum and not value:
            fail(_("This field is required."))
        if len(value) < self.minimum:
            fail(_("Write at least %(n)d characters.", n=self.minimum))
        if len(value) > self.limit:
            fail(_("At most %(n)d characters.", n=self.limit))
        return value

    def schema(self) -> dict[str, Any]:
        return {"maxLength": self.limit, **({"minLength": self.minimum} if self.minimum else {})}

    def html(self) -> dict[str, Any]:
        if not self.minimum:
            return {"maxlength": self.limit}
        return {"maxlength": self.limit, "required": True,
                **({"minlength": self.minimum} if self.minimum > 1 else {})}


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        fail(_("Must be true or false."))
    return value


#: A true or false (``Annotated[bool | None, FLAG]``): no "yes", no 1.
FLAG = BeforeValidator(_flag)


@dataclass(frozen=True)
class Choice(Rule):
    """One of a closed list of codes, documented as an enum."""

    choices: tuple[str, ...]

    def clean(self, value: Any) -> str:
        if not isinstance(value, str) or value not in self.choices:
            fail(_("Must be one of: %(choices)s.", choices=", ".join(self.choices)))
        return value

    def schema(self) -> dict[str, Any]:
        return {"enum": list(self.choices)}


@dataclass(frozen=True)
class BlankIsNone(Rule):
    """Empty or null is None (documented as is); anything else must pass ``rule``."""

    rule: Rule

    def clean(self, value: Any) -> Any:
        return None if value in (None, "") else self.rule.clean(value)


@dataclass(frozen=True)
class Choices(Rule):
    """Some codes of a closed list, kept in the list's order."""

    choices: tuple[str, ...]

    def clean(self, value: Any) -> list[str]:
        if not isinstance(value, list | tuple) or any(v not in self.choices for v in value):
            fail(_("Must be a list among: %(choices)s.", choices=", ".join(self.choices)))
        return [choice for choice in self.choices if choice in value]

    def schema(self) -> dict[str, Any]:
        return {"items": {"enum": list(self.choices), "type": "string"}}


@dataclass(frozen=True)
class Whole(Rule):
    """A whole number from 1 to ``high``."""

    high: int

    def clean(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= self.high:
            fail(_("Must be a whole number from 1 to %(n)d.", n=self.high))
        return value

    def schema(self) -> dict[str, Any]:
        return {"minimum": 1, "maximum": self.high}

    def html(self) -> dict[str, Any]:
        return {"min": 1, "max": self.high}


@dataclass(frozen=True)
class Day(Rule):
    """A date, from a date or ISO text (YYYY-MM-DD, or YYYY-MM for the first of the month)."""

    required: bool = False

    def clean(self, value: Any) -> date | None:
        if value in (None, ""):
            if self.required:
                fail(_("This field is required."))
            return None
        if isinstance(value, date):
            parsed = value
        elif isinstance(value, str):
            text = value.strip()
            try:
                parsed = date.fromisoformat(text + "-01" if len(text) == 7 else text)
            except ValueError:
                fail(_("Not a valid date (YYYY-MM-DD)."))
        else:
            fail(_("Not a valid date (YYYY-MM-DD)."))
        if not 1900 <= parsed.year <= utcnow().year + 10:
            fail(_("Not a plausible date."))
        return parsed

    def html(self) -> dict[str, Any]:
        return {"required": True} if self.required else {}


def _year(value: Any) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        fail(_("Must be a year."))
    if not 1900 <= value <= utcnow().year + 10:
        fail(_("Not a plausible year."))
    return value


#: A plausible year (``Annotated[int | None, YEAR]``), from a number or its digits; "" is none.
YEAR = BeforeValidator(_year)


def day_arg(value: str, field: str, fields: dict[str, str]) -> date | None:
    """A query's date argument (YYYY-MM-DD; empty: none); a bad one is noted in ``fields``,
    so a filter reports all its problems at once."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fields[field] = _("Give a date as YYYY-MM-DD.")
        return None


# --- models -----------------------------------------------------------------------------------

def _drop_null_defaults(schema: dict[str, Any]) -> None:
    # An optional field is "absent = unchanged / empty", not "defaults to null".
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None:
            del prop["default"]


class Body(BaseModel):
    """Input refuses unknown fields, so a typo is a problem instead of a silent no-op."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_drop_null_defaults)


class Rules(Body):
    """A concept's values, whole: defaults pass the rules too (a required field left out is
    reported)."""

    model_config = ConfigDict(validate_default=True)


def _change_schema(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """Document a change's fields as they are checked: no default, null only where allowed."""
    _drop_null_defaults(schema)
    nullable: frozenset[str] = getattr(model, "nullable", frozenset())
    for name, prop in schema.get("properties", {}).items():
        branches = prop.get("anyOf", [])
        if name not in nullable and {"type": "null"} in branches:
            rest = [b for b in branches if b != {"type": "null"}]
            del prop["anyOf"]
            # The field's own keywords (an enum of items) win over the plain type's.
            prop.update({**(rest[0] if len(rest) == 1 else {"anyOf": rest}), **prop})


class Changes(Body):
    """A partial change: a field left out is unchanged; null only for the ``nullable`` ones.

    Fields default to None, which is never validated: "absent" has a value without passing
    the rules, and ``model_fields_set`` tells what was given.
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra=_change_schema)
    nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.nullable:
            fail(_("May not be null: leave the field out to keep its value."))
        return value


# --- problems -----------------------------------------------------------------------------------

def problems(exc: ValidationError) -> dict[str, str]:
    """Pydantic's errors as ``{"a.b": "problem"}``, the first problem of each field, in our
    words where the rule is ours or the error is one of the common kinds."""
    fields: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_input=False):
        location = [str(part) for part in error["loc"]]
        cause = (error.get("ctx") or {}).get("error")
        kind = error["type"]
        if isinstance(cause, Problem):
            message = cause.message
            location += [cause.field] if cause.field else []
        elif kind == "extra_forbidden":
            message = _("Unknown setting.") if len(location) > 1 else _(
                "Unknown or read-only field.")
        elif kind == "missing":
            message = _("This field is required.")
        elif kind in ("model_type", "model_attributes_type", "dict_type"):
            message = _("Must be an object.")
        else:
            message = error["msg"]
        fields.setdefault(".".join(location) or "body", message)
    return fields


def check(model: type[M], data: Mapping[str, Any] | BaseModel, *, strict: bool = False) -> M:
    """``data`` validated by ``model``, or ValidationFailed listing every field's problem."""
    if isinstance(data, BaseModel):
        data = data.model_dump(exclude_unset=True)
    try:
        return model.model_validate(data, strict=strict)
    except ValidationError as exc:
        raise ValidationFailed(problems(exc)) from None


def given(change: BaseModel) -> dict[str, Any]:
    """The fields a change names, with their cleaned values (nested changes likewise)."""
    return change.model_dump(exclude_unset=True)


def html_attributes(model: type[BaseModel], name: str) -> dict[str, Any]:
    """The HTML attributes a form input of ``model``'s field ``name`` renders its rules with."""
    field = model.model_fields.get(name)
    attributes: dict[str, Any] = {}
    for rule in field.metadata if field is not None else ():
        if isinstance(rule, Rule):
            attributes.update(rule.html())
    return attributes
