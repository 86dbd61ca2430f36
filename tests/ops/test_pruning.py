"""Pruning removes exactly the rows past their retention, in batches, and never a connection
change that a process starting from the newest graph snapshot still needs."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from maillon import create_app
from maillon.accounts.models import ApiToken, InvitationBatch, LoginSession
from maillon.api.idempotency import KEY_TTL
from maillon.api.models import IdempotencyKey
from maillon.db import db, utcnow
from maillon.jobs.models import Job
from maillon.jobs.services import PERIODIC
from maillon.members.models import Member
from maillon.network import graph, services
from maillon.network.models import ConnectionChange
from maillon.operators.accounts import create_operator
from maillon.operators.models import OperatorSession
from maillon.ops.models import WorkerHeartbeat
from maillon.ops.pruning import Retention, delete_in_batches, prune, snapshot_watermark
from maillon.tenancy.models import Instance

DAY = timedelta(days=1)


def _instance(slug: str) -> Instance:
    return db.session.scalar(select(Instance).where(Instance.slug == slug))


def _ids(model, *where) -> set:
    key = model.worker if model is WorkerHeartbeat else model.id
    return set(db.session.scalars(select(key).where(*where)))


def _add(*rows):
    db.session.add_all(rows)
    db.session.commit()
    return [r.id for r in rows]


def test_pruning_runs_periodically():
    assert "prune" in PERIODIC


def test_finished_jobs_go_after_their_retention(ctx):
    now = utcnow()
    old_done, recent_done, old_failed, older_failed, old_queued = _add(
        Job(kind="send_email", status="done", finished_at=now - 8 * DAY),
        Job(kind="send_email", status="done", finished_at=now - 6 * DAY),
        Job(kind="send_email", status="failed", finished_at=now - 8 * DAY),
        Job(kind="send_email", status="failed", finished_at=now - 31 * DAY),
        Job(kind="send_email", status="queued", run_after=now - 60 * DAY,
            created_at=now - 60 * DAY))
    counts = prune(db.session, now, pause=0)
    assert _ids(Job) == {recent_done, old_failed, old_queued}
    assert (counts["jobs_done"], counts["jobs_failed"]) == (1, 1)


def test_sessions_tokens_and_keys_go_after_their_retention(ctx, create_member):
    member = create_member("reseau")
    now, iid, mid = utcnow(), member.instance_id, member.id

    def login_session(n, **kw):
        return LoginSession(instance_id=iid, member_id=mid, token_hash=f"s{n:063d}", **kw)

    def token(n, **kw):
        return ApiToken(instance_id=iid, member_id=mid, token_hash=f"t{n:063d}", **kw)

    def key(n, **kw):
        return IdempotencyKey(instance_id=iid, scope="anonymous", key=f"k{n}",
                              fingerprint="f" * 64, **kw)

    live, just_expired, long_expired, just_ended, long_ended = _add(
        login_session(1, expires_at=now + DAY),
        login_session(2, expires_at=now - DAY),
        login_session(3, expires_at=now - 8 * DAY),
        login_session(4, expires_at=now + DAY, revoked_at=now - DAY),
        login_session(5, expires_at=now + DAY, revoked_at=now - 8 * DAY))
    used, revoked_recently, revoked_long_ago, idle, idle_long = _add(
        token(1, last_used_at=now - DAY),
        token(2, revoked_at=now - 29 * DAY),
        token(3, revoked_at=now - 31 * DAY),
        token(4, created_at=now - 200 * DAY),  # stopped working at 180 days
        token(5, created_at=now - 400 * DAY, last_used_at=now - 211 * DAY))
    fresh_key, expired_key = _add(key(1), key(2, created_at=now - KEY_TTL - timedelta(minutes=1)))
    db.session.add_all([WorkerHeartbeat(worker="alive", last_beat_at=now),
                        WorkerHeartbeat(worker="gone", last_beat_at=now - 2 * DAY)])
    db.session.commit()

    counts = prune(db.session, now, pause=0)

    assert _ids(LoginSession) == {live, just_expired, just_ended}
    assert _ids(ApiToken) == {used, revoked_recently, idle}
    assert _ids(IdempotencyKey) == {fresh_key}
    assert _ids(WorkerHeartbeat) == {"alive"}
    assert counts == {"jobs_done": 0, "jobs_failed": 0, "connection_changes": 0,
                      "idempotency_keys": 1, "login_sessions": 2, "api_tokens": 2,
                      "operator_sessions": 0, "invitation_drafts": 0, "worker_heartbeats": 1}
    assert expired_key not in _ids(IdempotencyKey)
    assert {long_expired, long_ended}.isdisjoint(_ids(LoginSession))
    assert {revoked_long_ago, idle_long}.isdisjoint(_ids(ApiToken))


def test_operator_sessions_and_unsent_invitation_drafts_go_after_their_retention(ctx):
    now = utcnow()
    operator = create_operator(db.session, "ops@example.net", "a long password")

    def op_session(n, **kw):
        return OperatorSession(operator_id=operator.id, token_hash=f"o{n:063d}", **kw)

    live, just_ended, long_ended, long_expired = _add(
        op_session(1, expires_at=now + DAY),
        op_session(2, expires_at=now + DAY, revoked_at=now - DAY),
        op_session(3, expires_at=now + DAY, revoked_at=now - 8 * DAY),
        op_session(4, expires_at=now - 8 * DAY))
    iid = _instance("acme").id

    def batch(status, age):
        return InvitationBatch(instance_id=iid, status=status, filename="people.csv",
                               rows=[], total=0, ready=0, created_at=now - age)

    fresh_draft, old_draft, old_sent, old_done = _add(
        batch("draft", 6 * DAY), batch("draft", 8 * DAY), batch("sending", 30 * DAY),
        batch("done", 30 * DAY))
    counts = prune(db.session, now, pause=0)
    assert _ids(OperatorSession) == {live, just_ended}
    assert _ids(InvitationBatch) == {fresh_draft, old_sent, old_done}
    assert (counts["operator_sessions"], counts["invitation_drafts"]) == (2, 1)
    assert {long_ended, long_expired}.isdisjoint(_ids(OperatorSession))
    assert old_draft not in _ids(InvitationBatch)


def test_deletes_go_in_batches_of_bounded_size(ctx):
    now = utcnow()
    ids = _add(*(Job(kind="send_email", status="done", finished_at=now - 30 * DAY)
                 for _ in range(5)))
    old = (Job.status == "done") & (Job.finished_at < now - 7 * DAY)
    assert delete_in_batches(db.session, Job, Job.id, old, batch=2, max_batches=2,
                             pause=0) == 4
    assert _ids(Job) == {ids[-1]}  # the rest waits for the next run
    assert delete_in_batches(db.session, Job, Job.id, old, batch=2, pause=0) == 1
    assert _ids(Job) == set()


def _connect(app, slug, a, b):
    with app.app_context():
        instance = _instance(slug)
        row = services.request_connection(db.session, instance, db.session.get(Member, a.id),
                                          b.id)
        services.accept_connection(db.session, instance, db.session.get(Member, b.id), row.id)


def _backdate_changes(app, slug, *, above=0, by=10 * DAY):  # past the 7-day grace
    with app.app_context():
        where = [ConnectionChange.instance_id == _instance(slug).id, ConnectionChange.id > above]
        db.session.execute(update(ConnectionChange).where(*where).values(
            created_at=utcnow() - by))
        db.session.commit()


def _change_ids(app, slug) -> list[int]:
    with app.app_context():
        return sorted(_ids(ConnectionChange, ConnectionChange.instance_id == _instance(slug).id))


def test_connection_changes_go_only_below_the_newest_snapshot(app, create_member):
    a, b, c, d, e = (create_member("reseau") for _ in range(5))
    _connect(app, "reseau", a, b)
    _connect(app, "reseau", b, c)
    _connect(app, "reseau", a, e)
    _backdate_changes(app, "reseau")
    first_recent = _change_ids(app, "reseau")[0]  # below the snapshot, but within the grace
    with app.app_context():
        db.session.execute(update(ConnectionChange).where(
            ConnectionChange.id == first_recent).values(created_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
        graph.save_snapshot(db.session, _instance("reseau"))
        watermark = snapshot_watermark(db.session, "reseau")
    assert watermark == _change_ids(app, "reseau")[-1]
    _connect(app, "reseau", c, d)  # after the snapshot: needed to catch up, however old
    _backdate_changes(app, "reseau", above=watermark)
    x, y = create_member("acme"), create_member("acme")
    _connect(app, "acme", x, y)  # no snapshot for acme: nothing of it may go
    _backdate_changes(app, "acme")
    acme_before = _change_ids(app, "acme")
    before = _change_ids(app, "reseau")

    with app.app_context():
        counts = prune(db.session, pause=0)

    after = _change_ids(app, "reseau")
    assert len(before) > len(after)
    assert after == [first_recent, watermark] + [i for i in before if i > watermark]
    assert counts["connection_changes"] == len(before) - len(after)
    assert _change_ids(app, "acme") == acme_before
    # A process starting now loads the snapshot and catches up from what is left.
    fresh = create_app(app.config)
    with fresh.app_context():
        instance = _instance("reseau")
        assert graph.degrees(db.session, instance, a.id, [b.id, c.id, d.id]) == {
            b.id: 1, c.id: 2, d.id: 3}
        loaded = fresh.extensions["maillon.graphs"][instance.id].graph
        assert loaded.is_memory_mapped  # from the snapshot, not rebuilt
        assert loaded.watermark == after[-1]
    fresh.extensions["maillon.engine"].dispose()


def test_a_snapshot_from_another_database_protects_the_changelog(app, create_member):
    x, y = create_member("acme"), create_member("acme")
    _connect(app, "acme", x, y)
    _backdate_changes(app, "acme")
    before = _change_ids(app, "acme")
    folder = graph.graph_dir(app, "acme") / "999999"
    folder.mkdir(parents=True)
    (folder / "meta.json").write_text(json.dumps({"watermark": 999999}))
    with app.app_context():
        assert prune(db.session, pause=0)["connection_changes"] == 0
    assert _change_ids(app, "acme") == before


@pytest.mark.parametrize("setting,value", [("RETENTION_DONE_JOBS_DAYS", -1),
                                           ("RETENTION_CHANGES_GRACE_HOURS", "soon")])
def test_bad_retention_settings_stop_the_start(app_config, setting, value):
    with pytest.raises(ValueError, match=setting):
        create_app({**app_config, setting: value})


def test_retention_reads_the_settings():
    retention = Retention.from_config({
        "RETENTION_DONE_JOBS_DAYS": 2, "RETENTION_FAILED_JOBS_DAYS": 3,
        "RETENTION_CHANGES_GRACE_HOURS": 4, "RETENTION_SESSIONS_DAYS": 5,
        "RETENTION_API_TOKENS_DAYS": 6, "API_TOKEN_DAYS": 7})
    assert retention == Retention(2 * DAY, 3 * DAY, timedelta(hours=4), 5 * DAY, 6 * DAY,
                                  7 * DAY)


def test_nothing_to_prune_is_a_cheap_no_op(ctx):
    assert sum(prune(db.session, pause=0).values()) == 0
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0
