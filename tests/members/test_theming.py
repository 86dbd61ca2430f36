"""Themes and instances override one block of the profile page, never the whole page."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from maillon.members.models import Member

Login = Callable[..., FlaskClient]


@pytest.fixture
def app_config(app_config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """Instances copied aside, so a test may give one of them its own templates."""
    instances = tmp_path / "instances"
    shutil.copytree(app_config["INSTANCES_DIR"], instances)
    override = instances / "reseau" / "templates" / "members" / "profile.html"
    override.parent.mkdir(parents=True, exist_ok=True)
    override.write_text('{% extends "@theme/members/profile.html" %}\n'
                        '{% block profile_sidebar %}<p id="custom-sidebar">{{ member.name }}'
                        '</p>{% endblock %}\n')
    return {**app_config, "INSTANCES_DIR": str(instances)}


def test_an_instance_overrides_one_block_of_the_profile(
        create_member: Callable[..., Member], login: Login) -> None:
    ada = create_member("reseau", name="Ada", skills=["Maths"])
    bob = create_member("acme", name="Bob", skills=["Maths"])
    html = login(ada).get(f"/members/{ada.id}").get_data(as_text=True)
    assert '<p id="custom-sidebar">Ada</p>' in html
    assert '<span class="skill-name">Maths</span>' not in html  # the sidebar block was replaced...
    assert 'id="profile-name"' in html  # ...and the rest of the page kept
    html = login(bob, "acme").get(f"/members/{bob.id}").get_data(as_text=True)
    assert "custom-sidebar" not in html and '<span class="skill-name">Maths</span>' in html
