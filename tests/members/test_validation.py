"""One validation model per concept: the same bad value gets the same message, in the member's
language and at the same field, through the edit page and through the API."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from maillon.accounts.services import issue_api_token
from maillon.db import db
from maillon.errors import ValidationFailed
from maillon.members.models import Member
from maillon.members.validation import ExperienceFields, ProfileChange, ProfilePatch
from maillon.validation import check, html_attributes
from tests.api.conftest import bearer, error_of

Login = Callable[..., FlaskClient]

FORM = {"name": "Grace Hopper", "headline": "", "position": "", "organisation": "",
        "location": "", "skills": "", "summary": "", "offers": "", "seeks": "",
        "direct": "network", "introductions": "y", "purposes": ["advice"], "max_hops": "6",
        "relaying": "open", "in_directory": "y", "contacts_visible_to": "connections",
        "locale": ""}

# (what the page posts, what the API sends, the field (API name), the form field showing it,
#  the message in French: reseau speaks French)
CASES = [
    ({"name": "x" * 121}, {"name": "x" * 121}, "name", "name", "120 caractères au maximum."),
    ({"name": "   "}, {"name": "   "}, "name", "name", "Ce champ est obligatoire."),
    ({"skills": ", ".join(f"s{i}" for i in range(51))}, {"skills": [f"s{i}" for i in range(51)]},
     "skills", "skills", "50 compétences au maximum."),
    ({"relaying": "never"}, {"relaying": "never"}, "relaying", "relaying",
     "Doit être l’une des valeurs suivantes\u00a0: open, busy, off."),
    ({"max_hops": "9"}, {"contact_policy": {"max_hops": 9}}, "contact_policy.max_hops",
     "max_hops", "Doit être un nombre entier de 1 à 6."),
    ({"contacts_visible_to": "world"}, {"visibility": {"contacts_visible_to": "world"}},
     "visibility.contacts_visible_to", "contacts_visible_to",
     "Doit être l’une des valeurs suivantes\u00a0: nobody, connections, "
     "second_degree, members."),
]


def _field_error(page: str, field: str) -> str | None:
    match = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', page, re.S)
    return html.unescape(match.group(1)) if match else None


@pytest.mark.parametrize("form, body, field, form_field, message", CASES,
                         ids=[f"{c[2]}-{i}" for i, c in enumerate(CASES)])
def test_the_page_and_the_api_give_the_same_message(
        app: Flask, client_for: Callable[[str], FlaskClient],
        create_member: Callable[..., Member], login: Login, form: dict[str, Any],
        body: dict[str, Any], field: str, form_field: str, message: str) -> None:
    member = create_member("reseau", name="Before")
    with app.app_context():
        token = issue_api_token(db.session, member)
    answer = client_for("reseau").patch("/api/v1/me", headers=bearer(token), json=body)
    assert answer.status_code == 422
    error = error_of(answer)
    assert error["code"] == "validation_failed"
    assert error["fields"] == {field: message}

    page = login(member).post("/profile/edit", data={**FORM, **form})
    assert page.status_code == 422
    assert _field_error(page.get_data(as_text=True), form_field) == message


def test_the_model_reports_every_problem_at_once(ctx: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check(ProfileChange, {"name": "", "relaying": "maybe", "colour": "blue",
                              "contact_policy": {"max_hops": 0, "shape": "round"},
                              "open_to_opportunities": "yes"})
    assert set(caught.value.fields) == {"name", "relaying", "colour", "contact_policy.max_hops",
                                        "contact_policy.shape", "open_to_opportunities"}
    assert caught.value.fields["colour"] == "Unknown or read-only field."
    assert caught.value.fields["contact_policy.shape"] == "Unknown setting."


def test_the_api_body_is_the_models_base_without_the_page_only_fields(ctx: Any) -> None:
    assert issubclass(ProfileChange, ProfilePatch)
    assert {"position", "organisation"} <= set(ProfileChange.model_fields)
    assert not {"position", "organisation"} & set(ProfilePatch.model_fields)
    with pytest.raises(ValidationFailed) as caught:
        check(ProfilePatch, {"position": "Engineer"}, strict=True)
    assert caught.value.fields == {"position": "Unknown or read-only field."}


def test_the_form_inputs_render_the_models_limits(create_member: Callable[..., Member],
                                                  login: Login) -> None:
    assert html_attributes(ProfileChange, "name") == {"maxlength": 120, "required": True}
    assert html_attributes(ExperienceFields, "description") == {"maxlength": 2000}
    page = login(create_member("reseau")).get("/profile/edit").get_data(as_text=True)
    name_input = re.search(r'<input[^>]*name="name"[^>]*>', page)
    assert name_input and 'maxlength="120"' in name_input.group(0)
    assert "required" in name_input.group(0)


def test_an_experience_ending_before_it_starts_is_refused_at_the_end_date(ctx: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check(ExperienceFields, {"title": "Analyst", "start_date": "2020-03",
                                 "end_date": "2019-01-01"})
    assert caught.value.fields == {"end_date": "The end comes before the start."}
