"""Registration per instance policy, e-mail verification through the jobs worker, approval."""

import re

from sqlalchemy import select

from maillon.db import db
from maillon.members.models import Member


def _link(mail, address, path):
    messages = mail.to(address)
    assert messages, f"no mail to {address}"
    match = re.search(rf"http://\S+{path}/\S+", mail.body(messages[-1]))
    assert match, mail.body(messages[-1])
    return match.group(0)


def test_open_registration_without_verification_logs_in(client_for, app):
    client = client_for("reseau")
    response = client.post("/register", data={
        "name": "Léa Martin", "email": "lea@example.org", "password": "a long password"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/profile/edit")
    with app.app_context():
        member = db.session.scalar(select(Member).where(Member.email == "lea@example.org"))
        assert member.status == "active"


def test_verification_mail_is_sent_by_the_worker(client_for, app, mail, run_jobs):
    client = client_for("academia")
    response = client.post("/register", data={
        "name": "Ada Lovelace", "email": "ada@example.org", "password": "analytical engine"})
    assert response.status_code == 200
    assert not mail.to("ada@example.org")  # queued, not sent inside the request
    run_jobs()
    link = _link(mail, "ada@example.org", "/verify")
    assert link.startswith("http://academia.localhost/verify/")
    # cannot log in before verifying
    response = client.post("/login", data={"email": "ada@example.org",
                                           "password": "analytical engine"})
    assert response.status_code == 403
    response = client.get(link.removeprefix("http://academia.localhost"))
    assert response.status_code == 302
    # the link logs in once; opened again (a mail scanner got there first, a second click), it
    # says the address is confirmed and logs nobody in
    again = client_for("academia")
    answer = again.get(link.removeprefix("http://academia.localhost"))
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert '<a class="button" href="/login">' in page and "/verify\"" not in page
    assert again.get("/profile/edit").status_code == 302  # still anonymous


def test_verification_mail_in_the_instance_language(client_for, mail, run_jobs):
    client_for("academia").post("/register", data={
        "name": "Jean Dupont", "email": "jean@example.org", "password": "mot de passe long"})
    run_jobs()
    [message] = mail.to("jean@example.org")
    assert "Academia" in message["Subject"]


def test_verification_token_from_another_instance_is_refused(client_for, mail, run_jobs):
    client_for("academia").post("/register", data={
        "name": "Ada", "email": "ada2@example.org", "password": "analytical engine"})
    run_jobs()
    link = _link(mail, "ada2@example.org", "/verify")
    path = link.removeprefix("http://academia.localhost")
    assert client_for("acme").get(path).status_code == 400


def test_email_domain_restriction(client_for, app):
    response = client_for("acme").post("/register", data={
        "name": "Outsider", "email": "someone@gmail.example", "password": "a long password"})
    assert response.status_code == 200
    assert "@acme.example" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Member).where(
            Member.email == "someone@gmail.example")) is None


def test_existing_address_not_revealed_when_verification_is_on(client_for, create_member,
                                                                mail, run_jobs):
    member = create_member("academia", email="known@example.org")
    response = client_for("academia").post("/register", data={
        "name": "Impostor", "email": "known@example.org", "password": "a long password"})
    assert response.status_code == 200
    assert "known@example.org" in response.get_data(as_text=True)  # same "check your mail" page
    run_jobs()
    [message] = mail.to(member.email)
    assert "http://academia.localhost/forgot-password" in mail.body(message)


def test_existing_address_revealed_where_policy_allows(client_for, create_member, app):
    create_member("reseau", email="known@example.org")
    client = client_for("reseau")
    client.post("/language", data={"locale": "en", "next": "/"})
    response = client.post("/register", data={
        "name": "Again", "email": "known@example.org", "password": "a long password"})
    assert response.status_code == 200
    assert "already registered" in response.get_data(as_text=True)
    with app.app_context():
        assert len(list(db.session.scalars(
            select(Member).where(Member.email == "known@example.org")))) == 1


def test_same_address_may_join_two_instances(client_for, create_member, app):
    create_member("academia", email="both@example.org")
    response = client_for("reseau").post("/register", data={
        "name": "Both", "email": "both@example.org", "password": "a long password"})
    assert response.status_code == 302
    with app.app_context():
        rows = db.session.scalars(select(Member).where(Member.email == "both@example.org"))
        assert len(list(rows)) == 2


def test_bad_input_gets_field_messages(client_for):
    response = client_for("reseau").post("/register", data={
        "name": "", "email": "not an email", "password": "short"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in body


def test_approval_policy(ctx, instances, create_member):
    from maillon.accounts import services
    from maillon.tenancy.services import update_instance_setting

    admin = create_member("reseau", role="admin")
    other_admin = create_member("acme", role="admin")
    instance = instances["reseau"]
    update_instance_setting(db.session, instance, "registration.policy", "approval")
    outcome = services.register_member(db.session, instance, email="wait@example.org",
                                       password="a long password", name="Waiting")
    assert outcome.status == "pending"
    admin = db.session.merge(admin)
    assert [m.email for m in services.list_pending_members(db.session, instance)] == [
        "wait@example.org"]
    # an admin of another instance cannot approve
    other_admin = db.session.merge(other_admin)
    import pytest

    from maillon.errors import ServiceError

    with pytest.raises(ServiceError):
        services.approve_member(db.session, instance, other_admin, outcome.member.id)
    with pytest.raises(ServiceError):
        services.approve_member(db.session, instances["acme"], other_admin, outcome.member.id)
    services.approve_member(db.session, instance, admin, outcome.member.id)
    assert outcome.member.status == "active"


def test_invite_policy(ctx, instances, create_member):
    import pytest

    from maillon.accounts import services
    from maillon.errors import ServiceError
    from maillon.tenancy.services import update_instance_setting

    admin = create_member("reseau", role="admin")
    instance = instances["reseau"]
    update_instance_setting(db.session, instance, "registration.policy", "invite")
    with pytest.raises(ServiceError) as refused:
        services.register_member(db.session, instance, email="new@example.org",
                                 password="a long password", name="New")
    assert refused.value.code == "registration_closed"
    admin = db.session.merge(admin)
    code = services.create_invitation(db.session, instance, admin, "new@example.org")
    with pytest.raises(ServiceError):  # the code is bound to the invited address
        services.register_member(db.session, instance, email="other@example.org",
                                 password="a long password", name="Other",
                                 invitation_code=code)
    outcome = services.register_member(db.session, instance, email="new@example.org",
                                       password="a long password", name="New",
                                       invitation_code=code)
    assert outcome.status == "active"
