"""Invitations in bulk from a CSV file: the preview names each row's problem, sending goes
through the worker in chunks (progress counted), once whatever the clicks, each invitation
audited; admins of the instance only."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from maillon.accounts import bulk_invitations as bulk
from maillon.accounts.models import Invitation, InvitationBatch
from maillon.db import db
from maillon.errors import Forbidden, ValidationFailed
from maillon.jobs.models import Job
from maillon.members.models import Member
from maillon.moderation.models import AuditEntry
from maillon.tenancy.models import Instance
from maillon.tenancy.services import update_instance_setting


def _instance(slug="reseau"):
    return db.session.scalar(select(Instance).where(Instance.slug == slug))


def _member(member):
    return db.session.get(Member, member.id)


@pytest.fixture
def admin(create_member):
    return create_member("reseau", role="admin", name="Ada Admin", locale="en")


def test_the_file_is_read_with_or_without_a_header():
    assert bulk.parse_csv("Name;E-mail\nAnn;ann@example.org\n\nBob;bob@example.org\n") == [
        (2, "ann@example.org"), (4, "bob@example.org")]
    assert bulk.parse_csv("\ufeffann@example.org,Ann\nBob,bob@example.org") == [
        (1, "ann@example.org"), (2, "bob@example.org")]
    assert bulk.parse_csv("email\nnot an address") == [(2, "not an address")]


@pytest.mark.parametrize("text", ["", "email\n", "\n".join(f"p{i}@example.org"
                                                             for i in range(1001)),
                                  "x@example.org," * 30000])
def test_files_that_cannot_be_read_are_refused(text):
    with pytest.raises(ValidationFailed) as caught:
        bulk.parse_csv(text)
    assert set(caught.value.fields) == {"file"}


def test_the_preview_names_each_problem(ctx, admin, create_member):
    create_member("reseau", email="member@univ.example")
    create_member("acme", email="elsewhere@univ.example")  # another instance: invitable here
    update_instance_setting(db.session, _instance(), "registration.email_domains",
                            ["univ.example", "lab.example"])
    text = ("email\nNew@Univ.example\nnew@univ.example\nmember@univ.example\nnope\n"
            "someone@gmail.example\nelsewhere@univ.example\nthird@lab.example\n")
    batch = bulk.preview_batch(db.session, _instance(), _member(admin), text,
                               filename="staff.csv")
    assert [(r["line"], r["email"], r["problem"]) for r in batch.rows] == [
        (2, "new@univ.example", None), (3, "new@univ.example", "duplicate"),
        (4, "member@univ.example", "member"), (5, "nope", "invalid"),
        (6, "someone@gmail.example", "domain"), (7, "elsewhere@univ.example", None),
        (8, "third@lab.example", None)]
    assert (batch.status, batch.total, batch.ready) == ("draft", 7, 3)
    assert db.session.scalar(select(func.count(Invitation.id))) == 0  # nothing sent yet


def test_sending_goes_by_chunks_once_and_is_audited(ctx, admin, run_jobs, monkeypatch):
    monkeypatch.setattr(bulk, "CHUNK", 4)
    text = "\n".join(f"person{i}@example.org" for i in range(10)) + "\nbroken\n"
    batch = bulk.preview_batch(db.session, _instance(), _member(admin), text)
    first = bulk.send_batch(db.session, _instance(), _member(admin), batch.id, ip="10.0.0.5")
    again = bulk.send_batch(db.session, _instance(), _member(admin), batch.id)  # a second click
    assert first.status == again.status == "sending"
    assert db.session.scalar(select(func.count(Job.id)).where(
        Job.kind == "invitation_batch")) == 1
    db.session.commit()
    from maillon.jobs.services import run_pending

    while True:  # one job at a time, until the first chunk is sent: the progress shows
        assert run_pending(db.session, worker="test", limit=1) == 1
        db.session.expire_all()
        midway = db.session.get(InvitationBatch, batch.id)
        if midway.invited:
            break
    assert (midway.status, midway.invited) == ("sending", 4)
    db.session.commit()  # end the read: the worker writes
    run_jobs()
    db.session.expire_all()
    done = db.session.get(InvitationBatch, batch.id)
    assert (done.status, done.invited, done.failed) == ("done", 10, 0)
    assert [r["outcome"] for r in done.rows][-1] == "skipped"
    assert db.session.scalar(select(func.count(Invitation.id)).where(
        Invitation.instance_id == _instance().id)) == 10
    entries = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "invitation_sent")).all()
    assert len(entries) == 10 and {e.data["batch_id"] for e in entries} == {batch.id}
    assert {e.ip for e in entries} == {"10.0.0.5"}


def test_an_admin_who_lost_the_role_sends_nothing(ctx, admin, run_jobs):
    batch = bulk.preview_batch(db.session, _instance(), _member(admin), "a@example.org")
    bulk.send_batch(db.session, _instance(), _member(admin), batch.id)
    _member(admin).role = "member"
    db.session.commit()
    run_jobs()
    db.session.expire_all()
    done = db.session.get(InvitationBatch, batch.id)
    assert (done.status, done.invited, done.failed) == ("done", 0, 1)
    assert db.session.scalar(select(func.count(Invitation.id))) == 0


def test_admins_of_this_instance_only(ctx, admin, create_member):
    moderator = create_member("reseau", role="moderator")
    acme_admin = create_member("acme", role="admin")
    with pytest.raises(Forbidden):
        bulk.preview_batch(db.session, _instance(), _member(moderator), "a@example.org")
    batch = bulk.preview_batch(db.session, _instance(), _member(admin), "a@example.org")
    with pytest.raises(Forbidden):
        bulk.send_batch(db.session, _instance(), _member(moderator), batch.id)
    from maillon.errors import ServiceError

    with pytest.raises(ServiceError) as caught:
        bulk.access_batch(db.session, _instance(), _member(acme_admin), batch.id)
    assert caught.value.status == 404
    acme_batch = bulk.preview_batch(db.session, _instance("acme"), _member(acme_admin),
                                    "b@example.org")
    from werkzeug.exceptions import NotFound

    with pytest.raises(NotFound):  # reseau's admin, acme's batch id
        bulk.access_batch(db.session, _instance(), _member(admin), acme_batch.id)
    assert db.session.get(InvitationBatch, batch.id).status == "draft"


def _token(html):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_the_pages(app, login, admin, run_jobs, mail):
    client = login(admin, "reseau")
    html = client.get("/admin/invitations").get_data(as_text=True)
    data = {"csrf_token": _token(html),
            "file": (io.BytesIO(b"email\nnew1@example.org\nnew2@example.org\nnope\n"),
                     "people.csv")}
    answer = client.post("/admin/invitations", data=data, content_type="multipart/form-data")
    assert answer.status_code == 303
    preview = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "2 addresses are ready to be invited." in preview and "Not an e-mail address" in preview
    assert "Send 2 invitations" in preview
    url = answer.headers["Location"] + "/send"
    assert client.post(url, data={"csrf_token": _token(preview)}).status_code == 303
    sending = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert 'http-equiv="refresh"' in sending
    run_jobs()
    done = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "3 of 3 rows handled: 2 invited, 1 skipped, 0 failed." in done
    assert len(mail.to("new1@example.org")) == 1
    empty = client.post("/admin/invitations", data={"csrf_token": _token(html),
                                                    "addresses": "  "})
    assert empty.status_code == 422 and "The file has no address." in empty.get_data(
        as_text=True)


def test_the_pages_are_for_admins(login, create_member):
    moderator = login(create_member("reseau", role="moderator"), "reseau")
    assert moderator.get("/admin/invitations").status_code == 403
    assert moderator.post("/admin/invitations", data={"addresses": "a@example.org"}
                          ).status_code == 403


def test_a_job_sends_only_its_own_instances_batch(ctx, admin, run_jobs):
    batch = bulk.preview_batch(db.session, _instance(), _member(admin), "a@example.org")
    from maillon.jobs.services import enqueue

    # A job naming reseau's batch but queued for acme (a forged or mistaken payload).
    db.session.execute(InvitationBatch.__table__.update().values(status="sending"))
    enqueue(db.session, "invitation_batch", {"batch_id": batch.id},
            instance_id=_instance("acme").id)
    db.session.commit()
    run_jobs()
    db.session.expire_all()
    untouched = db.session.get(InvitationBatch, batch.id)
    assert (untouched.status, untouched.invited, untouched.failed) == ("sending", 0, 0)
    assert [r["outcome"] for r in untouched.rows] == [None]
    assert db.session.scalar(select(func.count(Invitation.id))) == 0
