"""Database engine, session and the declarative base.

Plain SQLAlchemy 2.x: one engine per app, one thread-scoped session removed at the end of each
app context. On SQLite the connection runs in WAL mode with a busy timeout and every
transaction begins IMMEDIATE: a deferred BEGIN that later upgrades to a write fails at once
with "database is locked" when another process writes, instead of waiting.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from flask import Flask, current_app
from sqlalchemy import DateTime, ForeignKey, Integer, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    ORMExecuteState,
    Session,
    declared_attr,
    mapped_column,
    scoped_session,
    sessionmaker,
    with_loader_criteria,
)
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime()}


class TenantScoped:
    """Mixin for every tenant-owned row: it carries ``instance_id``.

    Services filter by instance explicitly; the loader-criteria net in ``_scope_to_instance``
    backs them up inside a web request.
    """

    @declared_attr
    def instance_id(cls) -> Mapped[int]:  # noqa: N805
        return mapped_column(
            Integer, ForeignKey("instances.id", ondelete="CASCADE"), index=True, nullable=False
        )


def _app_context_id() -> int:
    from flask.globals import app_ctx

    return id(app_ctx._get_current_object())  # type: ignore[attr-defined]


class Database:
    """Holds the engine and the scoped session of the current app."""

    def __init__(self) -> None:
        # One session per app context (not per thread): a nested context, as the CLI and
        # tests create, gets its own session and its teardown leaves the outer one alone.
        self.registry: scoped_session[Session] = scoped_session(
            self._make_session, scopefunc=_app_context_id)  # type: ignore[arg-type]
        # Typed as a Session: services take a Session, and the scoped proxy behaves as one.
        self.session = cast(Session, self.registry)

    @staticmethod
    def _make_session() -> Session:
        return current_app.extensions["maillon.db"]()

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions["maillon.engine"] = engine
        app.extensions["maillon.db"] = sessionmaker(bind=engine, expire_on_commit=False)

        @app.teardown_appcontext
        def _remove_session(exc: BaseException | None) -> None:
            self.registry.remove()

    @property
    def engine(self) -> Engine:
        engine: Engine = current_app.extensions["maillon.engine"]
        return engine


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, record: Any) -> None:
            dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN below be the only one
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True)


@event.listens_for(Session, "do_orm_execute")
def _scope_to_instance(state: ORMExecuteState) -> None:
    """Safety net: inside a request, ORM selects only ever see the current instance's rows."""
    instance_id = state.session.info.get("instance_id")
    if instance_id is None or not state.is_select or state.is_column_load:
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantScoped,
            lambda cls: cls.instance_id == instance_id,
            include_aliases=True,
        )
    )


db = Database()
