"""POST /members per registration policy, GET and PATCH /me, GET /members/{id}."""

import pytest
from sqlalchemy import func, select

from maillon.db import db
from maillon.members.models import Member
from tests.api.conftest import bearer, error_of


def _members_with(app, email):
    with app.app_context():
        return db.session.scalar(select(func.count(Member.id)).where(Member.email == email))


def _member(app, member_id):
    with app.app_context():
        member = db.session.get(Member, member_id)
        db.session.expunge(member)
        return member


# --- registration ---------------------------------------------------------------------------

def test_open_registration_answers_the_member(api, app):
    response = api("reseau").post("/api/v1/members", json={
        "email": "Lea@Example.org", "password": "a long password", "name": "Léa Martin"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["email"] == "lea@example.org"
    assert body["name"] == "Léa Martin"
    assert body["status"] == "active"
    assert "password_hash" not in body
    login = api("reseau").post("/api/v1/tokens", json={
        "email": "lea@example.org", "password": "a long password"})
    assert login.status_code == 201


def test_taken_email_is_409_where_the_policy_reveals_it(api, create_member):
    create_member("reseau", email="taken@example.org")
    response = api("reseau").post("/api/v1/members", json={
        "email": "taken@example.org", "password": "a long password", "name": "Other"})
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "email_taken"
    assert "email" in error["fields"]


@pytest.mark.parametrize("slug, domain", [("academia", "example.org"),
                                          ("acme", "acme.example")])
def test_verifying_instance_answers_alike_for_new_and_known_addresses(
        api, app, create_member, mail, run_jobs, slug, domain):
    create_member(slug, email=f"known@{domain}")
    known = api(slug).post("/api/v1/members", json={
        "email": f"known@{domain}", "password": "a long password", "name": "Known"})
    new = api(slug).post("/api/v1/members", json={
        "email": f"new@{domain}", "password": "a long password", "name": "New"})
    assert known.status_code == new.status_code == 202
    assert known.get_json() == new.get_json()
    assert new.get_json()["status"] == "unverified"
    assert _members_with(app, f"new@{domain}") == 1
    assert _members_with(app, f"known@{domain}") == 1
    run_jobs()
    assert mail.to(f"new@{domain}") and mail.to(f"known@{domain}")


def test_domain_restriction_is_422(api, app):
    response = api("acme").post("/api/v1/members", json={
        "email": "someone@gmail.example", "password": "a long password", "name": "Out"})
    assert response.status_code == 422
    assert error_of(response)["code"] == "email_domain_not_allowed"
    assert _members_with(app, "someone@gmail.example") == 0


def test_closed_registration_is_403(api, app, instances):
    instances["reseau"].overrides = {"registration.policy": "invite"}
    db.session.commit()
    response = api("reseau").post("/api/v1/members", json={
        "email": "x@example.org", "password": "a long password", "name": "X"})
    assert response.status_code == 403
    assert error_of(response)["code"] == "registration_closed"


def test_approval_policy_answers_a_pending_member(api, instances):
    instances["reseau"].overrides = {"registration.policy": "approval"}
    db.session.commit()
    response = api("reseau").post("/api/v1/members", json={
        "email": "wait@example.org", "password": "a long password", "name": "Wait"})
    assert response.status_code == 201
    assert response.get_json()["status"] == "pending"


# --- /me ------------------------------------------------------------------------------------

def test_me_is_the_full_profile_with_private_settings(api, create_member, token_for):
    member = create_member("reseau", headline="Engineer", organisation="Acme")
    response = api("reseau").get("/api/v1/me", headers=bearer(token_for(member)))
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == member.id
    assert body["email"] == member.email
    assert body["company"] == "Acme"
    assert body["contact_policy"]["max_hops"] == 6
    assert set(body["visibility"]) == {"in_directory", "contacts_visible_to"}
    assert body["relaying"] == "open"


def test_patch_me_changes_given_fields_and_keeps_other_policy_keys(api, app, create_member,
                                                                   token_for):
    member = create_member("reseau", contact_policy={
        "direct": "anyone", "introductions": True, "purposes": ["business"], "max_hops": 4})
    response = api("reseau").patch("/api/v1/me", headers=bearer(token_for(member)), json={
        "name": "New Name", "company": "Initech", "skills": ["Python", "SQL"],
        "open_to_opportunities": True, "contact_policy": {"max_hops": 2},
        "visibility": {"in_directory": False}, "relaying": "busy", "locale": "fr"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["name"] == "New Name"
    assert body["company"] == "Initech"
    assert body["contact_policy"] == {"direct": "anyone", "introductions": True,
                                      "purposes": ["business"], "max_hops": 2}
    assert body["visibility"] == {"in_directory": False, "contacts_visible_to": "connections"}
    stored = _member(app, member.id)
    assert stored.organisation == "Initech"
    assert stored.contact_policy["max_hops"] == 2
    assert stored.contact_policy["direct"] == "anyone"
    assert stored.relaying == "busy"
    assert stored.locale == "fr"


@pytest.mark.parametrize("patch, field", [
    ({"contact_policy": {"max_hops": 9}}, "contact_policy.max_hops"),
    ({"contact_policy": {"direct": "everyone"}}, "contact_policy.direct"),
    ({"contact_policy": {"colour": "blue"}}, "contact_policy.colour"),
    ({"visibility": {"contacts_visible_to": "world"}}, "visibility.contacts_visible_to"),
    ({"relaying": "maybe"}, "relaying"),
    ({"open_to_opportunities": "yes"}, "open_to_opportunities"),
    ({"skills": "Python"}, "skills"),
    ({"name": None}, "name"),
    ({"contact_policy": {"max_hops": None}}, "contact_policy.max_hops"),
    ({"contact_policy": None}, "contact_policy"),
    ({"name": ""}, "name"),
    ({"locale": "de"}, "locale"),
    ({"favourite_colour": "blue"}, "favourite_colour"),
    ({"email": "new@example.org"}, "email"),
])
def test_patch_me_invalid_value_is_422_and_writes_nothing(api, app, create_member, token_for,
                                                          patch, field):
    member = create_member("reseau", name="Before")
    response = api("reseau").patch("/api/v1/me", headers=bearer(token_for(member)),
                                   json={"name": "After", **patch} if "name" not in patch
                                   else {"headline": "After", **patch})
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "validation_failed"
    assert field in error["fields"]
    stored = _member(app, member.id)
    assert stored.name == "Before"
    assert stored.headline == ""
    assert stored.email == member.email


def test_patch_me_locale_null_means_the_instance_default(api, app, create_member, token_for):
    member = create_member("reseau", locale="en")
    response = api("reseau").patch("/api/v1/me", headers=bearer(token_for(member)),
                                   json={"locale": None})
    assert response.status_code == 200
    assert response.get_json()["locale"] is None
    assert _member(app, member.id).locale is None


def test_patch_me_needs_a_token(api):
    response = api("reseau").patch("/api/v1/me", json={"name": "X"})
    assert response.status_code == 401


# --- /members/{id} ----------------------------------------------------------------------------

def test_member_profile_hides_private_settings(api, create_member, token_for):
    viewer = create_member("reseau")
    other = create_member("reseau", skills=["Rust"])
    response = api("reseau").get(f"/api/v1/members/{other.id}",
                                 headers=bearer(token_for(viewer)))
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == other.id
    assert body["skills"] == ["Rust"]
    assert body["degree"] is None
    assert body["endorsements"] == {}
    assert body["recommendations"] == []
    assert not {"email", "contact_policy", "visibility", "relaying"} & set(body)


def test_own_profile_has_degree_zero(api, create_member, token_for):
    member = create_member("reseau")
    response = api("reseau").get(f"/api/v1/members/{member.id}",
                                 headers=bearer(token_for(member)))
    assert response.get_json()["degree"] == 0


def test_member_of_another_instance_is_404(api, create_member, token_for):
    viewer = create_member("reseau")
    foreign = create_member("acme")
    response = api("reseau").get(f"/api/v1/members/{foreign.id}",
                                 headers=bearer(token_for(viewer)))
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_suspended_member_is_404(api, create_member, token_for):
    viewer = create_member("reseau")
    hidden = create_member("reseau", status="suspended")
    response = api("reseau").get(f"/api/v1/members/{hidden.id}",
                                 headers=bearer(token_for(viewer)))
    assert response.status_code == 404
