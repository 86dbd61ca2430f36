"""POST /tokens and DELETE /tokens/current: login, same answer for any miss, revocation,
tokens bound to their instance, throttling."""

from tests.api.conftest import bearer, error_of
from tests.conftest import PASSWORD


def _login(client, email, password=PASSWORD, **kwargs):
    return client.post("/api/v1/tokens", json={"email": email, "password": password}, **kwargs)


def test_login_gives_a_working_token(api, create_member):
    member = create_member("reseau")
    response = _login(api("reseau"), member.email)
    assert response.status_code == 201
    body = response.get_json()
    assert body["member"]["id"] == member.id
    assert body["member"]["email"] == member.email
    me = api("reseau").get("/api/v1/me", headers=bearer(body["token"]))
    assert me.status_code == 200
    assert me.get_json()["id"] == member.id


def test_wrong_password_and_unknown_email_get_the_same_answer(api, create_member):
    member = create_member("reseau")
    wrong = _login(api("reseau"), member.email, "not the password")
    unknown = _login(api("reseau"), "nobody@example.org", "not the password")
    malformed = _login(api("reseau"), "not an address", "not the password")
    assert wrong.status_code == unknown.status_code == malformed.status_code == 401
    assert wrong.get_json() == unknown.get_json() == malformed.get_json()
    assert error_of(wrong)["code"] == "invalid_credentials"


def test_unverified_member_cannot_get_a_token(api, create_member):
    member = create_member("academia", status="unverified")
    response = _login(api("academia"), member.email)
    assert response.status_code == 403
    assert error_of(response)["code"] == "email_not_verified"


def test_revoked_token_stops_working(api, create_member, token_for):
    member = create_member("reseau")
    token = token_for(member)
    other_token = token_for(member)
    response = api("reseau").delete("/api/v1/tokens/current", headers=bearer(token))
    assert response.status_code == 204
    assert response.get_data() == b""
    again = api("reseau").get("/api/v1/me", headers=bearer(token))
    assert again.status_code == 401
    assert error_of(again)["code"] == "unauthorized"
    # only the token in use is revoked
    assert api("reseau").get("/api/v1/me", headers=bearer(other_token)).status_code == 200


def test_token_works_only_on_its_instance(api, create_member, token_for):
    member = create_member("acme")
    token = token_for(member)
    assert api("acme").get("/api/v1/me", headers=bearer(token)).status_code == 200
    response = api("reseau").get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 401
    assert api("reseau").delete("/api/v1/tokens/current",
                                headers=bearer(token)).status_code == 401
    # and the failed attempt on reseau did not revoke it on acme
    assert api("acme").get("/api/v1/me", headers=bearer(token)).status_code == 200


def test_login_of_one_instance_does_not_open_another(api, create_member):
    member = create_member("acme")
    assert _login(api("reseau"), member.email).status_code == 401


def test_suspended_member_token_is_refused(api, app, create_member, token_for):
    from maillon.db import db
    from maillon.members.models import Member

    member = create_member("reseau")
    token = token_for(member)
    with app.app_context():
        db.session.get(Member, member.id).status = "suspended"
        db.session.commit()
    assert api("reseau").get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_login_is_rate_limited_per_client_address(api, app, create_member):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    client = api("reseau")
    for n in range(3):
        assert _login(client, f"user{n}@example.org", "wrong password").status_code == 401
    response = _login(client, "user9@example.org", "wrong password")
    assert response.status_code == 429
    assert error_of(response)["code"] == "rate_limited"


def test_login_is_rate_limited_per_email(api, app, create_member):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    member = create_member("reseau")
    for n in range(3):
        response = _login(api("reseau"), member.email, "wrong password",
                          environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})
        assert response.status_code == 401
    response = _login(api("reseau"), member.email, environ_base={"REMOTE_ADDR": "10.0.0.99"})
    assert response.status_code == 429
    assert error_of(response)["code"] == "rate_limited"
    # another address from a fresh client is not affected
    other = create_member("reseau")
    response = _login(api("reseau"), other.email, environ_base={"REMOTE_ADDR": "10.0.1.1"})
    assert response.status_code == 201


def test_an_unused_token_expires_and_use_is_recorded(app, client_for, create_member):
    from datetime import timedelta

    from sqlalchemy import select, update

    from maillon.accounts.models import ApiToken
    from maillon.db import db, utcnow
    from tests.conftest import PASSWORD

    member = create_member("acme")
    client = client_for("acme")
    token = client.post("/api/v1/tokens", json={"email": member.email, "password": PASSWORD}
                        ).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) is not None
        db.session.execute(update(ApiToken).values(last_used_at=utcnow() - timedelta(days=181)))
        db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401
