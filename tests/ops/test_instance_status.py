"""`maillon instances status`: each instance's own figures, never another's."""

from __future__ import annotations

import json

from maillon.cli import instances_status
from tests.introductions.world import World


def test_each_instance_counts_its_own(app, create_member):
    reseau = World(app, create_member, slug="reseau")
    a, b, c = reseau.member("A"), reseau.member("B"), reseau.member("C")
    reseau.chain(a, b, c)
    create_member("reseau", status="pending")
    create_member("reseau", role="admin", email="boss@example.org")
    create_member("acme", role="moderator")
    result = app.test_cli_runner().invoke(instances_status, ["--json"])
    assert result.exit_code == 0, result.output
    found = {i["slug"]: i for i in json.loads(result.output)["instances"]}
    assert found["reseau"]["members"] == {"active": 4, "pending": 1}
    assert found["reseau"]["connections"] == 2 and found["reseau"]["admins"] == [
        "boss@example.org"]
    assert found["reseau"]["moderators"] == 0 and found["acme"]["moderators"] == 1
    assert found["acme"]["members"] == {"active": 1} and found["acme"]["connections"] == 0
    assert found["acme"]["admins"] == [] and found["reseau"]["configured"] is True
    table = app.test_cli_runner().invoke(instances_status, [])
    assert "reseau: Réseau Entraide" in table.output and "admins: boss@example.org" in (
        table.output)
