"""The instance's colours and logo (admins): read them, change or reset colours, reset the
logo (docs/api.md; uploading a logo is the appearance page's)."""

from __future__ import annotations

from typing import Any

from flask import g, request, url_for
from pydantic import BaseModel, Field

from maillon.api.idempotency import Reply
from maillon.api.registry import operation
from maillon.db import db
from maillon.members.models import Member
from maillon.tenancy import appearance
from maillon.tenancy.registry import get_registry
from maillon.validation import Body

TAG = "moderation"


class OptionOut(BaseModel):
    name: str = Field(description="A colour option (color-primary, ...) or logo.")
    value: str | None = Field(description="In force.")
    theme_value: str | None = Field(description="The theme's (and instance.toml's).")
    edited: bool = Field(description="Whether the value in force was set here.")


class AppearanceOut(BaseModel):
    results: list[OptionOut]
    logo_url: str | None = Field(description="Where the logo in force is served.")


class AppearanceIn(Body):
    changes: dict[str, Any] = Field(default_factory=dict, description=(
        "colour option → #rrggbb."))
    reset: list[str] = Field(default_factory=list, description=(
        "Options back to the theme's (logo included)."))


def _listed(member: Member) -> dict[str, Any]:
    options = appearance.list_options(db.session, g.instance, member, get_registry())
    logo = next(o.value for o in options if o.name == "logo")
    return {"results": [o.as_dict() for o in options],
            "logo_url": url_for("tenancy.theme_static", filename=logo, _external=True)
            if logo else None}


@operation("GET", "/admin/appearance", summary="The instance's colours and logo (admins)",
           tag=TAG, responses={200: ("Every editable option", AppearanceOut),
                               403: "forbidden (not an admin of this instance)"})
def get_appearance(member: Member) -> Reply:
    return _listed(member), 200


@operation("PATCH", "/admin/appearance", summary="Change or reset colours (admins)", tag=TAG,
           body=AppearanceIn, description=(
               "All or nothing: one bad colour, or a text left unreadable on its background "
               "(WCAG contrast under 4.5 to 1), and nothing changes (422 with a message per "
               "option). Each option whose value in force changes is audited (policy_changed, "
               "key theme_options.<name>)."),
           responses={200: ("Every editable option, after the change", AppearanceOut),
                      403: "forbidden (not an admin of this instance)",
                      422: "validation_failed (fields: the bad options)"})
def change_appearance(member: Member, body: AppearanceIn) -> Reply:
    appearance.change_options(db.session, g.instance, member, get_registry(), body.changes,
                              reset=body.reset, ip=request.remote_addr or "")
    return _listed(member), 200
