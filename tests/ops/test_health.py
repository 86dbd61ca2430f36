"""/healthz answers without the database for any host; /readyz checks database, indexes and
the jobs worker's heartbeat."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from maillon.db import db, make_engine, utcnow
from maillon.finder.indexing import get_index, index_root
from maillon.jobs.services import worker_name
from maillon.ops.health import check_database_and_worker, record_heartbeat
from maillon.ops.models import WorkerHeartbeat
from maillon.tenancy.registry import get_registry

OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}


@pytest.fixture
def statements(app):
    """Every connection checkout of the app's engine, recorded."""
    seen: list[str] = []
    engine = app.extensions["maillon.engine"]

    def checkout(*args):
        seen.append("checkout")

    event.listen(engine, "checkout", checkout)
    yield seen
    event.remove(engine, "checkout", checkout)


@pytest.fixture
def ready(app, run_jobs):
    """A worker went round its loop and every instance has its index directory."""
    run_jobs()
    for slug in get_registry(app).configs:
        get_index(slug, app)
    return app


@pytest.mark.parametrize("host", ["nowhere.example", "reseau.localhost", "127.0.0.1",
                                  "reseau-entraide.example.org"])
def test_healthz_answers_for_any_host_without_the_database(app, statements, host):
    response = app.test_client().get("/healthz", base_url=f"http://{host}")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert statements == []


def test_other_pages_of_an_unknown_host_are_still_404(app):
    assert app.test_client().get("/", base_url="http://nowhere.example").status_code == 404


def test_probes_are_never_rate_limited(app, app_config):
    from maillon import create_app
    from maillon.extensions import limiter

    limited = create_app({**app_config, "RATELIMIT_DEFAULT": "2 per hour"})
    try:
        client = limited.test_client()
        assert [client.get("/healthz").status_code for _ in range(4)] == [200] * 4
        # The default limit does apply to ordinary pages: the exemption is what lets probes by.
        assert client.get("/", base_url="http://reseau.localhost").status_code == 200
        assert [client.get("/", base_url="http://reseau.localhost").status_code
                for _ in range(2)][-1] == 429
    finally:
        # The limiter is one object for every app: later tests' apps must not inherit this.
        limiter.limit_manager.set_default_limits([])
        limited.extensions["maillon.engine"].dispose()


def test_worker_loop_writes_a_heartbeat(app, run_jobs):
    run_jobs()
    with app.app_context():
        beat = db.session.get(WorkerHeartbeat, worker_name())
        assert beat is not None
        assert utcnow() - beat.last_beat_at < timedelta(minutes=5)


def test_record_heartbeat_keeps_one_row_per_worker(ctx):
    record_heartbeat(db.session, "host:1:1")
    first = db.session.get(WorkerHeartbeat, "host:1:1").last_beat_at
    record_heartbeat(db.session, "host:1:1")
    rows = db.session.scalars(select(WorkerHeartbeat)).all()
    assert [r.worker for r in rows] == ["host:1:1"]
    assert rows[0].last_beat_at >= first


def test_readyz_is_200_with_details_when_everything_passes(ready):
    response = ready.test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True, "search": True, "worker": True}
    assert set(body["checks"]["search"]["instances"]) == set(get_registry(ready).configs)
    assert body["checks"]["worker"]["last_beat_seconds_ago"] < 60


def test_readyz_is_503_when_the_heartbeat_is_stale(ready):
    with ready.app_context():
        db.session.execute(update(WorkerHeartbeat).values(
            last_beat_at=utcnow() - timedelta(seconds=120)))
        db.session.commit()
    response = ready.test_client().get("/readyz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["worker"]["ok"] is False
    assert checks["database"]["ok"] is True and checks["search"]["ok"] is True


def test_readyz_is_503_without_any_heartbeat(app):
    for slug in get_registry(app).configs:
        get_index(slug, app)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["worker"] == {"ok": False,
                                                       "error": "no worker heartbeat"}


def test_readyz_is_503_when_an_index_directory_is_removed(ready):
    client = ready.test_client()
    assert client.get("/readyz").status_code == 200
    get_index("acme", ready).close()
    shutil.rmtree(index_root(ready, "acme"))
    response = client.get("/readyz")
    assert response.status_code == 503
    search = response.get_json()["checks"]["search"]
    assert search["ok"] is False
    assert search["instances"]["acme"]["ok"] is False
    assert search["instances"]["reseau"]["ok"] is True


def test_readyz_is_503_when_an_index_cannot_be_read(ready, monkeypatch):
    def broken(slug, app=None):
        raise OSError("index unreadable")

    monkeypatch.setattr("maillon.ops.health.get_index", broken)
    response = ready.test_client().get("/readyz")
    assert response.status_code == 503
    assert "index unreadable" in response.get_json()["checks"]["search"]["instances"][
        "reseau"]["error"]


def test_readyz_details_only_for_trusted_callers(ready):
    response = ready.test_client().get("/readyz", environ_base=OUTSIDE)
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {
        "database": {"ok": True}, "search": {"ok": True}, "worker": {"ok": True}}}


def test_readyz_answers_for_an_unknown_host(ready):
    response = ready.test_client().get("/readyz", base_url="http://10.1.2.3")
    assert response.status_code == 200


def test_database_check_fails_when_the_database_cannot_be_reached(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}")
    database, worker = check_database_and_worker(engine, timedelta(seconds=60))
    engine.dispose()
    assert database.ok is False and "error" in database.details
    assert worker.ok is False


def test_postgres_search_backend_needs_no_index_directory(ready, monkeypatch):
    class Index:
        recovery = None

        def count(self) -> int:
            return 7

    monkeypatch.setattr("maillon.ops.health.backend_name", lambda config: "postgres")
    monkeypatch.setattr("maillon.ops.health.get_index", lambda slug, app=None: Index())
    shutil.rmtree(index_root(ready, "acme"))
    response = ready.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["search"]["instances"]["acme"] == {
        "ok": True, "documents": 7}
