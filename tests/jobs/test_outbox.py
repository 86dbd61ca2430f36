"""The jobs outbox: written with the change, drained by workers, retried, never lost."""

import threading
from datetime import timedelta

from sqlalchemy import select, update

from maillon.db import db, utcnow
from maillon.jobs import services
from maillon.jobs.models import Job
from maillon.jobs.worker import work


def _register(kind, fn):
    services.HANDLERS[kind] = fn


def test_job_is_written_only_with_the_transaction(ctx, instances):
    _register("test_noop", lambda session, job: None)
    services.enqueue(db.session, "test_noop", {"n": 1}, instance_id=instances["acme"].id)
    db.session.rollback()
    assert db.session.scalar(select(Job).where(Job.kind == "test_noop")) is None
    services.enqueue(db.session, "test_noop", {"n": 2}, instance_id=instances["acme"].id)
    db.session.commit()
    assert db.session.scalar(select(Job.payload).where(Job.kind == "test_noop")) == {"n": 2}


def test_worker_runs_jobs_and_marks_them_done(app, ctx):
    seen = []
    _register("test_collect", lambda session, job: seen.append(job.payload["n"]))
    for n in range(3):
        services.enqueue(db.session, "test_collect", {"n": n})
    db.session.commit()
    assert work(app, threading.Event(), once=True) == 3
    assert seen == [0, 1, 2]
    statuses = set(db.session.scalars(select(Job.status).where(Job.kind == "test_collect")))
    assert statuses == {"done"}


def test_failing_job_is_retried_with_backoff_then_fails(app, ctx):
    def boom(session, job):
        raise RuntimeError("smtp down")

    _register("test_boom", boom)
    job = services.enqueue(db.session, "test_boom", {})
    job.max_attempts = 2
    db.session.commit()
    work(app, threading.Event(), once=True)
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == "queued" and job.attempts == 1
    assert job.run_after > utcnow()
    assert "smtp down" in job.last_error
    job.run_after = utcnow()
    db.session.commit()
    work(app, threading.Event(), once=True)
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == "failed"


def test_job_of_a_dead_worker_is_requeued(app, ctx):
    done = []
    _register("test_stale", lambda session, job: done.append(job.id))
    job = services.enqueue(db.session, "test_stale", {})
    db.session.commit()
    db.session.execute(update(Job).where(Job.id == job.id).values(
        status="running", locked_by="dead", locked_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    assert services.requeue_stale(db.session) == 1
    work(app, threading.Event(), once=True)
    assert done == [job.id]


def test_a_killed_workers_jobs_on_this_machine_are_requeued_at_once(app, ctx):
    import socket
    import subprocess
    import sys

    _register("test_orphan", lambda session, job: None)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])  # noqa: S603
    dead.wait()
    host = socket.gethostname()
    orphan = services.enqueue(db.session, "test_orphan", {})
    alive = services.enqueue(db.session, "test_orphan", {})
    elsewhere = services.enqueue(db.session, "test_orphan", {})
    db.session.commit()
    for job, owner in ((orphan, f"{host}:{dead.pid}:1"), (alive, services.worker_name()),
                       (elsewhere, f"another-host:{dead.pid}:1")):
        db.session.execute(update(Job).where(Job.id == job.id).values(
            status="running", locked_by=owner, locked_at=utcnow()))  # recent: not stale
    db.session.commit()
    assert services.requeue_orphans(db.session) == 1
    status = dict(db.session.execute(select(Job.id, Job.status)).all())
    assert status == {orphan.id: "queued", alive.id: "running", elsewhere.id: "running"}


def test_dedupe_key_absorbs_a_queued_duplicate(ctx):
    _register("test_dedupe", lambda session, job: None)
    assert services.enqueue(db.session, "test_dedupe", {}, dedupe_key="k") is not None
    assert services.enqueue(db.session, "test_dedupe", {}, dedupe_key="k") is None
    db.session.commit()
    assert services.enqueue(db.session, "test_dedupe", {}, dedupe_key="k") is None
    db.session.commit()
    assert len(list(db.session.scalars(select(Job).where(Job.kind == "test_dedupe")))) == 1


def test_two_workers_never_run_the_same_job(app, ctx):
    runs = []
    lock = threading.Lock()

    def record(session, job):
        with lock:
            runs.append(job.id)

    _register("test_race", record)
    for _ in range(40):
        services.enqueue(db.session, "test_race", {})
    db.session.commit()
    threads = [threading.Thread(target=work, args=(app, threading.Event()),
                                kwargs={"once": True}) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(runs) == sorted(set(runs))
    assert len(runs) == 40


def test_a_job_whose_handler_cleared_the_session_is_still_marked_done(app, ctx):
    # A rebuild streams documents and clears the session as it goes (finder/indexing.py).
    _register("test_clears", lambda session, job: session.expunge_all())
    job = services.enqueue(db.session, "test_clears", {})
    db.session.commit()
    assert work(app, threading.Event(), once=True) == 1
    db.session.expire_all()
    assert db.session.scalar(select(Job.status).where(Job.id == job.id)) == "done"
