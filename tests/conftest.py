"""Shared fixtures: a fresh app per test with at least two instances, factories, an SMTP sink.

The database is SQLite (a file per test) unless MAILLON_TEST_DATABASE_URL names another one
(CI runs the suite again on PostgreSQL). With MAILLON_REQUIRE_SERVICES=1, a test that would
skip because PostgreSQL or Chromium is missing fails instead.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from maillon import create_app
from maillon.db import db, make_engine
from maillon.jobs.worker import work
from maillon.members.models import Member
from maillon.members.signals import member_changed
from maillon.models import metadata
from maillon.security import hash_password
from maillon.tenancy.models import Instance
from maillon.tenancy.registry import get_registry
from maillon.tenancy.services import sync_instances
from tests.processes import Processes, free_port

ROOT = Path(__file__).resolve().parents[1]
TEST_DB_URL = os.environ.get("MAILLON_TEST_DATABASE_URL", "")
REQUIRE_SERVICES = os.environ.get("MAILLON_REQUIRE_SERVICES") == "1"
PASSWORD = "correct horse battery"
FAST_HASH = "pbkdf2:sha256:1000"


def skip_or_fail(reason: str) -> None:
    """Skip with a visible reason, or fail when CI requires every service."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


class MailSink:
    """A real SMTP server on a free port, keeping what it receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self._lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        import email
        import email.policy

        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[Any]:
        return [m for m in self.messages if m["To"] == address]

    def body(self, message: Any) -> str:
        return str(message.get_body(preferencelist=("plain",)).get_content())


@pytest.fixture(scope="session")
def mail_sink() -> Iterator[MailSink]:
    sink = MailSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


@pytest.fixture
def mail(mail_sink: MailSink) -> MailSink:
    mail_sink.messages.clear()
    return mail_sink


_pg_ready = False


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the empty schema, made once a session. Each test's database starts
    as a copy of it: the same file create_all would write, without create_all's ~40 ms."""
    path = tmp_path_factory.mktemp("schema") / "schema.db"
    engine = make_engine(f"sqlite:///{path}")
    metadata.create_all(engine)
    engine.dispose()  # the last connection closed: the WAL is checkpointed into the file
    return path


def _database_url(tmp_path: Path, sqlite_schema: Path) -> str:
    global _pg_ready
    if not TEST_DB_URL:
        shutil.copyfile(sqlite_schema, tmp_path / "test.db")
        return f"sqlite:///{tmp_path / 'test.db'}"
    if not _pg_ready:
        engine = make_engine(TEST_DB_URL)
        metadata.drop_all(engine)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        metadata.create_all(engine)
        engine.dispose()
        _pg_ready = True
    return TEST_DB_URL


_owned_sequences: list[str] | None = None


def _empty_tables(app: Flask) -> None:
    """Leave the PostgreSQL database as TRUNCATE ... RESTART IDENTITY would: no rows, and every
    sequence a table owns back at its start.

    DELETE, children first, rather than TRUNCATE: TRUNCATE gives each of the ~60 tables and
    their indexes new files, a fixed ~0.15 s a test whatever the test wrote, where DELETE of
    the few rows a test writes takes milliseconds (docs/operations.md, "Tests and CI"). Only
    the sequences a test advanced are restarted."""
    global _owned_sequences
    engine = app.extensions["maillon.engine"]
    tables = list(reversed(metadata.sorted_tables))
    with engine.begin() as conn:
        if _owned_sequences is None:
            # Serial and identity columns' sequences: what RESTART IDENTITY restarts.
            _owned_sequences = list(conn.execute(text(
                "SELECT d.objid::regclass::text FROM pg_depend d"
                " WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass"
                " AND d.deptype IN ('a', 'i') AND d.refobjid = ANY(CAST(:tables AS regclass[]))"
                " AND (SELECT relkind FROM pg_class WHERE oid = d.objid) = 'S'"),
                {"tables": [t.name for t in tables]}).scalars())
        for table in tables:
            conn.execute(text(f'DELETE FROM "{table.name}"'))  # noqa: S608 - the models' names
        # The PostgreSQL search backend's tables are the search package's, not in metadata.
        if conn.execute(text("SELECT to_regclass('search_documents')")).scalar() is not None:
            conn.execute(text("DELETE FROM search_documents"))
            conn.execute(text("DELETE FROM search_terms"))
            conn.execute(text("DELETE FROM search_namespaces"))
        advanced = conn.execute(text(
            "SELECT s FROM unnest(CAST(:owned AS text[])) AS s"
            " WHERE pg_sequence_last_value(CAST(s AS regclass)) IS NOT NULL"),
            {"owned": _owned_sequences}).scalars()
        for sequence in list(advanced):
            conn.execute(text(f"ALTER SEQUENCE {sequence} RESTART"))


@pytest.fixture
def app_config(tmp_path: Path, mail_sink: MailSink, sqlite_schema: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": _database_url(tmp_path, sqlite_schema),
        "INSTANCES_DIR": str(ROOT / "instances"),
        "THEMES_DIR": str(ROOT / "themes"),
        "SECRET_KEY": "test-secret",
        "PASSWORD_HASH_METHOD": FAST_HASH,
        "MAIL_PORT": mail_sink.port,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": True,
        "SERVER_PORT": 80,
        "LOCAL_LINKS": True,
        # A write flushed in a read (deferred) transaction raises: see maillon.db.begin_write.
        "STRICT_TRANSACTIONS": True,
        # A query in a request whose answer the tenant net changes raises: every request of the
        # suite proves the services' explicit instance filters (maillon.db._scope_to_instance).
        "STRICT_TENANT_NET": True,
        # Tests edit instance rows directly between requests (tests/tenancy covers the cache).
        "INSTANCE_CACHE_SECONDS": 0,
        # Read once, at the first request; the operator's services refresh it after a change.
        "INSTANCE_REFRESH_SECONDS": 3600,
    }


@pytest.fixture
def app(app_config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app(app_config)
    engine = app.extensions["maillon.engine"]
    if engine.dialect.name == "sqlite":
        metadata.create_all(engine)  # a no-op on the copied schema, unless a test chose its own
    with app.app_context():
        sync_instances(db.session, list(get_registry(app).configs.values()))
    from maillon.extensions import limiter

    limiter.reset()
    yield app
    for index in app.extensions.get("maillon.search", {}).values():
        index.close()
    if engine.dialect.name != "sqlite":
        _empty_tables(app)
    engine.dispose()


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    """An app context, for calling services directly."""
    with app.app_context():
        yield app


@pytest.fixture
def instances(ctx: Flask) -> dict[str, Instance]:
    from sqlalchemy import select

    rows = {i.slug: i for i in db.session.scalars(select(Instance))}
    # End the read transaction: on SQLite every transaction holds the write lock (IMMEDIATE),
    # and factories write from their own session.
    db.session.commit()
    return rows


@pytest.fixture
def create_member(app: Flask) -> Callable[..., Member]:
    """Factory: an active member of an instance (``slug``), with profile fields as keywords."""
    counter = iter(range(1, 1_000_000))

    def factory(slug: str = "reseau", *, name: str | None = None, email: str | None = None,
                password: str = PASSWORD, role: str = "member", status: str = "active",
                **profile: Any) -> Member:
        from sqlalchemy import select

        with app.app_context():
            instance = db.session.scalar(select(Instance).where(Instance.slug == slug))
            assert instance is not None
            n = next(counter)
            domain = (instance.setting("registration.email_domains") or ["example.org"])[0]
            member = Member(instance_id=instance.id, name=name or f"Member {n}",
                            email=(email or f"member{n}.{slug}@{domain}").lower(),
                            password_hash=hash_password(password, FAST_HASH), role=role,
                            status=status, **profile)
            db.session.add(member)
            db.session.flush()
            member_changed.send(db.session, member=member)
            db.session.commit()
            db.session.expunge(member)
            return member

    return factory


class InstanceClient(FlaskClient):
    """A test client whose requests go to one host unless told otherwise."""

    def __init__(self, *args: Any, base_url: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_base_url = base_url

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if not (args and not isinstance(args[0], str)):
            kwargs.setdefault("base_url", self.default_base_url)
        return super().open(*args, **kwargs)


@pytest.fixture
def client_for(app: Flask) -> Callable[[str], FlaskClient]:
    """A test client talking to an instance through its host name."""

    def make(slug: str) -> FlaskClient:
        return InstanceClient(app, app.response_class, use_cookies=True,
                              base_url=f"http://{slug}.localhost")

    return make


@pytest.fixture
def login(client_for: Callable[[str], FlaskClient]) -> Callable[..., FlaskClient]:
    def do_login(member: Member, slug: str = "reseau", password: str = PASSWORD) -> FlaskClient:
        client = client_for(slug)
        response = client.post("/login", data={"email": member.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return do_login


@pytest.fixture
def processes(app: Flask, tmp_path: Path) -> Iterator[Processes]:
    """Real gunicorn servers and jobs workers on the test database (tests/processes.py)."""
    started = Processes(app, tmp_path)
    yield started
    started.stop()


@pytest.fixture
def run_jobs(app: Flask) -> Callable[[], int]:
    def run() -> int:
        return work(app, threading.Event(), once=True)

    return run


# --- Translations (i18n): compile the .mo catalogues that `make` compiles, for bare `pytest`. ---
@pytest.fixture(scope="session", autouse=True)
def compiled_translations() -> None:
    """French pages need the .mo (git-ignored); without this they depend on a prior `make`."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (ROOT / "platform" / "maillon" / "translations").glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as f:
            catalog = read_po(f)
        partial = mo.with_name(f"{mo.name}.{os.getpid()}.tmp")
        with partial.open("wb") as f:
            write_mo(f, catalog)
        partial.replace(mo)  # atomic: parallel test runs never read half a file
