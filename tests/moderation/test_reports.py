"""Reports: who may report what (only what they see, never themselves or their own content),
no duplicates, a daily cap, ignoring a reporter, the grouped queue, one decision for all open
reports of a subject, audited, the reporters told the outcome (not the sanction), the reported
member never told who reported them, and nothing across instances."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from maillon.db import db
from maillon.errors import ServiceError
from maillon.hubs import services as hub_services
from maillon.hubs import threads as hub_threads
from maillon.hubs.models import Post
from maillon.introductions import services as introductions
from maillon.moderation import reports
from maillon.moderation.models import AuditEntry, Report, Sanction
from maillon.network import recommendations
from maillon.network.recommendation_models import Recommendation
from maillon.notifications.models import Notification
from tests.introductions.world import MESSAGE, World

REASON = "Unsolicited sales pitches to many members."
PITCH = "Buy my course now, only 999 euros, limited offer!"


@pytest.fixture
def world(app, create_member):
    return World(app, create_member)


@pytest.fixture
def staff(world):
    return {"moderator": world.member("Mo Derator", role="moderator"),
            "admin": world.member("Ad Min", role="admin")}


def file(world, reporter, subject_type, subject_id, reason="spam", details=""):
    return world.call(reports.file_report, reporter, subject_type, subject_id, reason=reason,
                      details=details)


def decide(world, staff_id, report_id, **kwargs):
    kwargs.setdefault("reason", REASON)
    kwargs.setdefault("dismiss", False)
    return world.call(reports.decide_report, staff_id, report_id, reports.Decision(**kwargs))


def queue(world, staff_id, status="open"):
    total, groups = world.call(reports.list_report_groups, staff_id, status=status)
    return [(g.subject_type, g.subject_id, g.count, g.reasons) for g in groups]


def notifications_of(world, member_id):
    with world.app.app_context():
        return [(n.kind, n.data, n.actor_id) for n in db.session.scalars(
            select(Notification).where(Notification.member_id == member_id)
            .order_by(Notification.id))]


def audit(world):
    with world.app.app_context():
        return [(e.action, e.actor_id, e.subject_member_id, e.subject_type)
                for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def message_from(world, sender, recipient, text=PITCH):
    world.connect(sender, recipient)
    return world.call(introductions.send_direct_message, sender, recipient, text).id


def recommendation_of(world, author, recipient, text="A careful, generous colleague."):
    world.connect(author, recipient)
    rec, _new = world.call(recommendations.write_recommendation, author, recipient,
                           relationship="same_team", text=text)
    return rec.id


def refused(call):
    with pytest.raises((ServiceError, NotFound)) as info:
        call()
    return info.value


# ---------------------------------------------------------------------- filing


def test_reports_on_a_member_are_grouped_in_the_queue(world, staff):
    spammer, ann, bob = world.members("Spammer", "Ann", "Bob")
    first, new = file(world, ann, "member", spammer, "spam", "Sends ads to everyone.")
    assert new and (first.status, first.subject_member_id) == ("open", spammer)
    file(world, bob, "member", spammer, "harassment")
    assert queue(world, staff["moderator"]) == [
        ("member", spammer, 2, {"spam": 1, "harassment": 1})]
    assert world.call(reports.count_open_subjects, staff["moderator"]) == 1


def test_a_repeat_updates_the_open_report_instead_of_adding_one(world, staff):
    spammer, ann = world.members("Spammer", "Ann")
    first, _ = file(world, ann, "member", spammer, "spam")
    again, new = file(world, ann, "member", spammer, "impersonation", "Uses a false name.")
    assert not new and again.id == first.id
    with world.app.app_context():
        [row] = db.session.scalars(select(Report)).all()
        assert (row.reason, row.details) == ("impersonation", "Uses a false name.")


def test_a_daily_cap_per_reporter(world, staff, monkeypatch):
    monkeypatch.setattr(reports, "DAILY_LIMIT", 2)
    ann, *others = world.members("Ann", "A", "B", "C")
    file(world, ann, "member", others[0])
    file(world, ann, "member", others[1])
    file(world, ann, "member", others[1], "other")  # a repeat is not a new report
    error = refused(lambda: file(world, ann, "member", others[2]))
    assert (error.code, error.status) == ("report_limit_reached", 429)
    assert len(queue(world, staff["moderator"])) == 2
    file(world, world.member("Bob"), "member", others[2])  # the cap is per reporter


def test_content_reports_keep_a_snapshot_of_what_was_reported(world, staff):
    spammer, ann = world.members("Spammer", "Ann")
    message_id = message_from(world, spammer, ann)
    report, _ = file(world, ann, "message", message_id)
    assert (report.snapshot, report.subject_member_id) == (PITCH, spammer)
    rec = recommendation_of(world, spammer, ann, "Visit my shop at example.com for deals.")
    report, _ = file(world, ann, "recommendation", rec)
    assert report.snapshot == "Visit my shop at example.com for deals."


def test_an_intermediary_reports_the_introduction_request(world, staff):
    requester, relay, target = world.members("Requester", "Relay", "Target")
    world.chain(requester, relay, target)
    intro = world.call(introductions.request_introduction, requester, target, message=MESSAGE,
                       purpose="advice")
    report, _ = file(world, relay, "introduction", intro.id, "inappropriate")
    assert (report.snapshot, report.subject_member_id) == (MESSAGE, requester)
    # the target has not received it yet, a stranger never: as if it did not exist
    for outsider in (target, world.member("Stranger")):
        assert isinstance(refused(lambda o=outsider: file(world, o, "introduction", intro.id)),
                          NotFound)
    error = refused(lambda: file(world, requester, "introduction", intro.id))
    assert error.code == "cannot_report_own_content"


def test_only_what_the_reporter_can_see(world, staff, create_member):
    ann, bob, cat = world.members("Ann", "Bob", "Cat")
    message_id = message_from(world, bob, cat)
    pending = recommendation_of(world, bob, cat)  # pending: only its two members read it
    suspended = world.member("Gone", status="suspended")
    foreign = create_member("acme", name="Elsewhere").id
    for subject_type, subject_id in (("message", message_id), ("recommendation", pending),
                                     ("member", suspended), ("member", foreign),
                                     ("member", 999_999), ("message", 2**63)):
        error = refused(lambda t=subject_type, i=subject_id: file(world, ann, t, i))
        assert isinstance(error, NotFound), (subject_type, error)
    with world.app.app_context():
        assert db.session.scalars(select(Report)).all() == []


def test_nobody_reports_themselves_or_their_own_content(world, staff):
    ann, bob = world.members("Ann", "Bob")
    assert refused(lambda: file(world, ann, "member", ann)).code == "cannot_report_self"
    sent = message_from(world, ann, bob)
    assert refused(lambda: file(world, ann, "message", sent)).code == \
        "cannot_report_own_content"
    rec = recommendation_of(world, ann, bob)
    assert refused(lambda: file(world, ann, "recommendation", rec)).code == \
        "cannot_report_own_content"
    assert refused(lambda: file(world, ann, "member", bob, "nonsense")).fields == {
        "reason": "Choose a reason."}
    hub, _ = world.call(hub_services.create_hub, ann, {"name": "Hub"})
    _thread, post, _ = world.call(hub_threads.start_thread, ann, hub.id,
                                  {"title": "Mine", "text": "My own post"})
    assert refused(lambda: file(world, ann, "post", post.id)).code == \
        "cannot_report_own_content"


def test_a_post_is_reported_only_by_readers_of_its_hub_and_erased_by_the_decision(world,
                                                                                   staff):
    ann, bob, eve = world.members("Ann", "Bob", "Eve")
    hub, _ = world.call(hub_services.create_hub, ann, {"name": "Board",
                                                       "visibility": "request"})
    world.call(hub_services.join_hub, bob, hub.id)
    world.call(hub_services.decide_request, ann, hub.id, bob, approve=True)
    _thread, post, _ = world.call(hub_threads.start_thread, bob, hub.id,
                                  {"title": "Ads", "text": "Buy my pills"})
    with pytest.raises(NotFound):  # outside the hub, the post does not exist
        file(world, eve, "post", post.id)
    report, _ = file(world, ann, "post", post.id)
    assert report.snapshot == "Buy my pills" and report.subject_member_id == bob
    decide(world, staff["moderator"], report.id, delete_content=True)
    with world.app.app_context():
        row = db.session.get(Post, post.id)
        assert row.status == "removed" and row.text == ""


# ---------------------------------------------------------------------- deciding


def test_acting_closes_every_open_report_audits_and_tells_each_reporter(world, staff, mail,
                                                                        run_jobs):
    spammer, ann, bob = world.members("Spammer", "Ann", "Bob")
    world.update(bob, locale="fr")
    first, _ = file(world, ann, "member", spammer)
    file(world, bob, "member", spammer, "harassment")
    closed = decide(world, staff["moderator"], first.id, sanction="warn")
    assert sorted(r.status for r in closed) == ["actioned", "actioned"]
    assert queue(world, staff["moderator"]) == []
    assert queue(world, staff["moderator"], "actioned")[0][2] == 2
    assert [a for a in audit(world)] == [
        ("member_warned", staff["moderator"], spammer, "member"),
        ("report_actioned", staff["moderator"], spammer, "member")]
    for reporter in (ann, bob):
        [(kind, data, actor)] = notifications_of(world, reporter)
        assert (kind, data["outcome"], actor) == ("report_decided", "action_taken", None)
        # which action, and the moderator's words, stay between staff and the member
        assert "warn" not in str(data) and REASON not in str(data)
    run_jobs()
    with world.app.app_context():
        bob_email = world.get(bob).email
    [email] = mail.to(bob_email)
    assert "signalement" in email["Subject"] and REASON not in mail.body(email)


def test_the_reported_member_never_learns_who_reported_them(world, staff):
    spammer, ann = world.members("Spammer", "Ann")
    report, _ = file(world, ann, "member", spammer, details="Ann saw this on Monday.")
    decide(world, staff["admin"], report.id, sanction="limit")
    told = notifications_of(world, spammer)
    assert [k for k, _d, _a in told] == ["sanction_imposed"]
    for _kind, data, actor in told:
        assert actor is None and "Ann" not in str(data) and str(ann) not in str(data.values())
    assert world.call(reports.list_own_reports, spammer) == []
    # staff do see it
    [row] = world.call(reports.list_subject_reports, staff["moderator"], "member", spammer)
    assert row.reporter_id == ann


def test_dismiss_and_ignore_further_reports_from_this_member(world, staff):
    target, pest, other = world.members("Target", "Pest", "Other")
    report, _ = file(world, pest, "member", target)
    closed = decide(world, staff["moderator"], report.id, dismiss=True, ignore_reporters=True)
    assert [r.status for r in closed] == ["dismissed"]
    [(kind, data, _a)] = notifications_of(world, pest)
    assert (kind, data["outcome"]) == ("report_decided", "no_action")
    again, new = file(world, pest, "member", target)  # accepted, silently not queued
    assert new and again.ignored and again.status == "open"
    assert queue(world, staff["moderator"]) == []
    assert world.call(reports.count_open_subjects, staff["moderator"]) == 0
    file(world, other, "member", target)  # someone else still reaches the queue
    assert queue(world, staff["moderator"]) == [("member", target, 1, {"spam": 1})]
    file(world, pest, "member", other)  # and the pest about another subject
    assert len(queue(world, staff["moderator"])) == 2
    assert audit(world) == [("report_dismissed", staff["moderator"], target, "member")]


def test_deleting_reported_content_keeps_its_snapshot(world, staff):
    author, ann = world.members("Author", "Ann")
    rec = recommendation_of(world, author, ann, "Contact me for cheap watches at spam.example.")
    report, _ = file(world, ann, "recommendation", rec)
    decide(world, staff["moderator"], report.id, delete_content=True)
    with world.app.app_context():
        assert db.session.scalar(select(Recommendation).where(Recommendation.id == rec)) is None
        row = db.session.scalar(select(Report))
        assert (row.status, row.actions) == ("actioned", ["delete_content"])
        assert "cheap watches" in row.snapshot
        assert db.session.scalars(select(Sanction)).all() == []


def test_a_decision_needs_an_action_and_a_reason_and_happens_once(world, staff):
    spammer, ann = world.members("Spammer", "Ann")
    report, _ = file(world, ann, "member", spammer)
    mod = staff["moderator"]
    assert "action" in refused(lambda: decide(world, mod, report.id)).fields
    assert "reason" in refused(lambda: decide(world, mod, report.id, dismiss=True,
                                              reason="no")).fields
    assert "delete_content" in refused(lambda: decide(
        world, mod, report.id, delete_content=True)).fields
    assert queue(world, mod)[0][2] == 1 and audit(world) == []
    decide(world, mod, report.id, dismiss=True)
    assert refused(lambda: decide(world, mod, report.id, dismiss=True)).code == "report_decided"


def test_who_may_decide(world, staff):
    ann = world.member("Ann")
    report, _ = file(world, ann, "member", staff["moderator"])
    plain = world.member("Plain")
    for call in (lambda: decide(world, plain, report.id, dismiss=True),
                 lambda: world.call(reports.list_report_groups, plain),
                 lambda: world.call(reports.access_report, plain, report.id)):
        assert refused(call).code == "forbidden"
    error = refused(lambda: decide(world, staff["moderator"], report.id, dismiss=True))
    assert error.code == "cannot_decide_own_report"
    # a moderator reported: only an admin can sanction them
    assert refused(lambda: decide(world, world.member("Mod2", role="moderator"), report.id,
                                  sanction="warn")).code == "cannot_sanction_staff"
    decide(world, staff["admin"], report.id, sanction="warn")


def test_another_instances_reports_are_missing(world, staff, create_member, app):
    spammer, ann = world.members("Spammer", "Ann")
    report, _ = file(world, ann, "member", spammer)
    acme = World(app, create_member, "acme")
    acme_admin = create_member("acme", role="admin").id
    error = refused(lambda: acme.call(reports.access_report, acme_admin, report.id))
    assert isinstance(error, NotFound)
    assert isinstance(refused(lambda: decide(acme, acme_admin, report.id, dismiss=True)),
                      NotFound)
    assert isinstance(refused(lambda: acme.call(reports.list_subject_reports, acme_admin,
                                                "member", spammer)), NotFound)
    assert acme.call(reports.list_report_groups, acme_admin) == (0, [])
    # reseau's staff, asked with acme's instance, are nobody there
    assert refused(lambda: acme.call(reports.list_report_groups, staff["admin"])).status == 404
    assert queue(world, staff["admin"])[0][2] == 1


# ---------------------------------------------------------------------- pages


def _member(world, member_id):
    world.update(member_id, locale="en")  # reseau speaks French by default
    with world.app.app_context():
        row = world.get(member_id)
        db.session.expunge(row)
        return row


def test_report_pages_from_the_link_to_the_outcome(world, staff, login):
    spammer, ann = world.members("Spammer", "Ann")
    message_id = message_from(world, spammer, ann)
    client = login(_member(world, ann))
    profile = client.get(f"/members/{spammer}").get_data(as_text=True)
    assert f"/report/member/{spammer}" in profile
    assert f"/report/message/{message_id}" in client.get("/messages").get_data(as_text=True)
    form = client.get(f"/report/message/{message_id}")
    assert form.status_code == 200 and PITCH in form.get_data(as_text=True)
    assert client.post(f"/report/message/{message_id}", data={}).status_code == 422
    sent = client.post(f"/report/message/{message_id}", data={"reason": "spam",
                                                              "details": "Again and again."})
    assert sent.status_code == 302 and sent.location.endswith("/account/reports")
    mine = client.get("/account/reports").get_data(as_text=True)
    assert "A message from Spammer" in mine and "Under review" in mine
    assert client.get(f"/report/member/{ann}").status_code == 422  # oneself
    assert client.get("/report/member/999999").status_code == 404
    assert client.get("/report/post/1").status_code == 404
    # the reported member sees no report link on their own page, and nothing about Ann
    other = login(_member(world, spammer))
    assert "/report/member/" not in other.get(f"/members/{spammer}").get_data(as_text=True)
    assert "Ann" not in other.get("/account/reports").get_data(as_text=True)

    mod = login(_member(world, staff["moderator"]))
    queue_page = mod.get("/moderation/reports").get_data(as_text=True)
    assert "A message from Spammer" in queue_page and "1 report" in queue_page
    subject = mod.get(f"/moderation/reports/message/{message_id}").get_data(as_text=True)
    assert PITCH in subject and "Again and again." in subject and "Ann" in subject
    with world.app.app_context():
        report_id = db.session.scalar(select(Report.id))
    bad = mod.post(f"/moderation/reports/{report_id}/decide", data={"decision": "act",
                                                                     "reason": REASON})
    assert bad.status_code == 422
    done = mod.post(f"/moderation/reports/{report_id}/decide", data={
        "decision": "act", "sanction": "limit", "delete_content": "y", "reason": REASON})
    assert done.status_code == 302
    assert "Action taken" in client.get("/account/reports").get_data(as_text=True)
    assert "took action" in client.get("/notifications").get_data(as_text=True)


def test_staff_report_pages_are_for_staff(world, staff, login):
    spammer, ann = world.members("Spammer", "Ann")
    report, _ = file(world, ann, "member", spammer)
    plain = login(_member(world, ann))
    assert plain.get("/moderation/reports").status_code == 403
    assert plain.get(f"/moderation/reports/member/{spammer}").status_code == 403
    assert plain.post(f"/moderation/reports/{report.id}/decide",
                      data={"decision": "dismiss", "reason": REASON}).status_code == 403
    mod = login(_member(world, staff["moderator"]))
    assert mod.get("/moderation/reports/member/999999").status_code == 404
    assert 'aria-label="Reports (1 open)"' in mod.get("/moderation").get_data(as_text=True)
