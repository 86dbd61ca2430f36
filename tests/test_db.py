"""Transaction discipline: reads never take the write lock, writes say so, bookkeeping never
blocks a read, no Python lock is held around a query, every statement has a budget."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select, text, update
from sqlalchemy.exc import OperationalError

from maillon.accounts.models import ApiToken
from maillon.accounts.services import issue_api_token
from maillon.db import ReadTransactionWrite, begin_read, begin_write, db, utcnow
from maillon.members.models import Member
from maillon.network import graph
from maillon.network.services import accept_connection, request_connection
from maillon.tenancy.models import Instance

from .conftest import PASSWORD


def _sqlite_only(app: Flask) -> None:
    if app.extensions["maillon.engine"].dialect.name != "sqlite":
        pytest.skip("SQLite locking: PostgreSQL readers never take a table write lock")


@contextmanager
def write_lock_held(app: Flask) -> Iterator[None]:
    """Another process's writer: an open IMMEDIATE transaction on the same file."""
    path = app.extensions["maillon.engine"].url.database
    other = sqlite3.connect(path, isolation_level=None, timeout=0.1)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


@pytest.fixture
def short_busy_timeout(app: Flask) -> None:
    """Connections give up on a held lock after 0.2 s (instead of 30 s), so a request that
    wrongly waits for the write lock fails fast instead of hanging the suite."""
    _sqlite_only(app)
    engine = app.extensions["maillon.engine"]
    engine.dispose()

    @event.listens_for(engine, "connect")
    def _short(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=200")


@pytest.fixture
def statements(app: Flask) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    engine = app.extensions["maillon.engine"]
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def _token(app: Flask, member: Member) -> str:
    with app.app_context():
        return issue_api_token(db.session, member)


def test_reads_answer_while_another_process_holds_the_write_lock(
        app: Flask, create_member: Callable[..., Member],
        client_for: Callable[[str], FlaskClient], short_busy_timeout: None) -> None:
    _sqlite_only(app)
    member = create_member("reseau")
    token = _token(app, member)
    client = client_for("reseau")
    with write_lock_held(app):
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        profile = client.get(f"/api/v1/members/{member.id}",
                             headers={"Authorization": f"Bearer {token}"})
        home = client.get("/")
    assert me.status_code == 200, me.get_data(as_text=True)[:300]
    assert me.get_json()["id"] == member.id
    assert profile.status_code == 200
    assert home.status_code == 200


def test_a_get_begins_deferred_and_a_post_begins_immediate(
        app: Flask, create_member: Callable[..., Member],
        client_for: Callable[[str], FlaskClient], statements: list[str]) -> None:
    _sqlite_only(app)
    member = create_member("reseau")
    token = _token(app, member)
    client = client_for("reseau")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200  # records last use
    statements.clear()
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert "BEGIN" in statements and "BEGIN IMMEDIATE" not in statements
    statements.clear()
    response = client.post("/api/v1/tokens", json={"email": member.email, "password": PASSWORD})
    assert response.status_code == 201, response.get_data(as_text=True)[:300]
    # The password is checked in a read transaction; the lock is taken for the token row.
    first_write = statements.index("BEGIN IMMEDIATE")
    assert any(s.startswith("SELECT") and "members" in s for s in statements[:first_write])
    assert statements[first_write + 1].startswith("INSERT INTO api_tokens")


def test_last_used_bookkeeping_never_fails_a_read_and_catches_up_later(
        app: Flask, create_member: Callable[..., Member],
        client_for: Callable[[str], FlaskClient], short_busy_timeout: None) -> None:
    _sqlite_only(app)
    member = create_member("reseau")
    token = _token(app, member)
    old = utcnow() - timedelta(days=2)
    with app.app_context():
        db.session.execute(update(ApiToken).values(last_used_at=old))
        db.session.commit()
    client = client_for("reseau")
    headers = {"Authorization": f"Bearer {token}"}
    with write_lock_held(app):
        assert client.get("/api/v1/me", headers=headers).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) == old  # skipped, not failed
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) > old


def test_a_write_in_a_read_transaction_is_refused_in_strict_mode(
        ctx: Flask, create_member: Callable[..., Member]) -> None:
    _sqlite_only(ctx)
    member = create_member("reseau")
    begin_read(db.session)
    row = db.session.scalar(select(Member).where(Member.id == member.id))
    assert row is not None
    row.headline = "changed"
    with pytest.raises(ReadTransactionWrite):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(ReadTransactionWrite):
        db.session.execute(update(Member).where(Member.id == member.id).values(headline="x"))
    db.session.rollback()
    begin_write(db.session)
    db.session.execute(update(Member).where(Member.id == member.id).values(headline="written"))
    db.session.commit()
    assert db.session.scalar(select(Member.headline).where(Member.id == member.id)) == "written"


def test_begin_write_keeps_a_transaction_that_already_wrote_whole(
        ctx: Flask, create_member: Callable[..., Member]) -> None:
    member = create_member("reseau")
    begin_write(db.session)
    db.session.execute(update(Member).where(Member.id == member.id).values(headline="one"))
    begin_read(db.session)  # must not commit the half-done write
    begin_write(db.session)
    db.session.rollback()
    assert db.session.scalar(select(Member.headline).where(Member.id == member.id)) != "one"


def test_the_graph_lock_is_never_held_during_a_query(
        ctx: Flask, create_member: Callable[..., Member]) -> None:
    a, b = create_member("reseau"), create_member("reseau")
    instance = db.session.scalar(select(Instance).where(Instance.slug == "reseau"))
    assert instance is not None
    graph.graph_for(db.session, instance)  # loaded and cached
    entry = ctx.extensions["maillon.graphs"][instance.id]
    db.session.commit()
    with ctx.app_context():
        request_connection(db.session, instance, a, b.id)
        accept_connection(db.session, instance, b, a.id)
    held: list[bool] = []

    def record(*args: Any) -> None:
        held.append(entry.lock.locked())

    engine = ctx.extensions["maillon.engine"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        found = graph.graph_for(db.session, instance)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert held and not any(held)
    assert found.degree_of(a.id, [b.id]) == {b.id: 1}


def test_graph_changes_apply_once_when_threads_race(
        ctx: Flask, create_member: Callable[..., Member]) -> None:
    a, b, c = (create_member("reseau") for _ in range(3))
    instance = db.session.scalar(select(Instance).where(Instance.slug == "reseau"))
    assert instance is not None
    graph.graph_for(db.session, instance)
    db.session.commit()
    with ctx.app_context():
        request_connection(db.session, instance, a, b.id)
        accept_connection(db.session, instance, b, a.id)
        request_connection(db.session, instance, b, c.id)
        accept_connection(db.session, instance, c, b.id)
    errors: list[BaseException] = []

    def look() -> None:
        try:
            with ctx.app_context():
                graph.graph_for(db.session, instance)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=look) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    found = graph.graph_for(db.session, instance)
    assert found.degree_of(a.id, [b.id, c.id]) == {b.id: 1, c.id: 2}


def test_a_statement_past_its_budget_is_interrupted(app_config: dict[str, Any]) -> None:
    from maillon import create_app

    app = create_app({**app_config, "DB_STATEMENT_TIMEOUT_MS": 100})
    engine = app.extensions["maillon.engine"]
    slow = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
            "SELECT count(*) FROM n") if engine.dialect.name == "sqlite" else "SELECT pg_sleep(5)"
    with engine.connect() as conn:
        with pytest.raises(OperationalError):
            conn.execute(text(slow))
        conn.rollback()
        assert conn.execute(text("SELECT 1")).scalar() == 1  # the next statement runs normally
    engine.dispose()


def test_a_graph_left_unused_past_half_the_pruning_grace_is_loaded_afresh(
        ctx: Flask, create_member: Callable[..., Member], monkeypatch: pytest.MonkeyPatch) -> None:
    """Pruning may have deleted changes such a process never applied: it must not miss them."""
    a, b = create_member("reseau"), create_member("reseau")
    instance = db.session.scalar(select(Instance).where(Instance.slug == "reseau"))
    assert instance is not None
    stale = graph.graph_for(db.session, instance)
    db.session.commit()
    with ctx.app_context():
        request_connection(db.session, instance, a, b.id)
        accept_connection(db.session, instance, b, a.id)
    # The change is folded into a snapshot and pruned: catching up by watermark cannot see it.
    from maillon.network.models import ConnectionChange

    db.session.execute(ConnectionChange.__table__.delete())
    db.session.commit()
    grace = float(ctx.config["RETENTION_CHANGES_GRACE_HOURS"]) * 3600
    monkeypatch.setattr(graph.time, "monotonic", lambda: stale_at + grace)
    stale_at = ctx.extensions["maillon.graphs"][instance.id].caught_up_at
    fresh = graph.graph_for(db.session, instance)
    assert fresh is not stale
    assert fresh.degree_of(a.id, [b.id]) == {b.id: 1}


def test_a_value_is_read_once_per_transaction_and_again_after_a_write(
        ctx: Flask, create_member: Callable[..., Member]) -> None:
    from maillon.db import once_per_transaction

    member = create_member("reseau")
    reads: list[int] = []

    def read() -> str | None:
        reads.append(1)
        return db.session.scalar(select(Member.headline).where(Member.id == member.id))

    begin_write(db.session)
    assert once_per_transaction(db.session, "k", read) == once_per_transaction(
        db.session, "k", read)
    assert len(reads) == 1
    db.session.execute(update(Member).where(Member.id == member.id).values(headline="new"))
    assert once_per_transaction(db.session, "k", read) == "new"  # the write forgot it
    db.session.commit()
    once_per_transaction(db.session, "k", read)
    once_per_transaction(db.session, "k", read)
    assert len(reads) == 3  # a new transaction reads again, once
