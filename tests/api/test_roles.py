"""POST /api/v1/admin/members/{id}/role: admins only, another instance's ids 404."""

from __future__ import annotations

import pytest


@pytest.fixture
def people(create_member):
    return {"admin": create_member("reseau", role="admin"),
            "moderator": create_member("reseau", role="moderator"),
            "member": create_member("reseau"),
            "acme_admin": create_member("acme", role="admin")}


def test_the_api(api, token_for, people):
    headers = {"Authorization": f"Bearer {token_for(people['admin'])}"}
    path = f"/api/v1/admin/members/{people['member'].id}/role"
    answer = api("reseau").post(path, json={"role": "moderator"}, headers=headers)
    assert answer.status_code == 200 and answer.get_json() == {
        "id": people["member"].id, "role": "moderator"}
    assert api("reseau").post(path, json={"role": "boss"}, headers=headers).status_code == 422
    other = {"Authorization": f"Bearer {token_for(people['moderator'])}"}
    assert api("reseau").post(path, json={"role": "admin"}, headers=other).status_code == 403
    acme_path = f"/api/v1/admin/members/{people['acme_admin'].id}/role"
    assert api("reseau").post(acme_path, json={"role": "member"}, headers=headers
                              ).status_code == 404
