"""Database engine, session and the declarative base.

Plain SQLAlchemy 2.x: one engine per app, one session per app context, removed at its end.

Transaction discipline (docs/architecture.md, "Transactions"): a session is either in *read*
mode or in *write* mode. On SQLite (WAL, busy timeout) a read transaction begins deferred and
never takes the write lock: readers never wait for writers. A write transaction begins
IMMEDIATE: a deferred transaction that later upgrades to a write fails at once with "database
is locked" when another process committed in between, so a service that writes says so first
with :func:`begin_write`. Web requests with a safe method (GET, HEAD, OPTIONS) start in read
mode; other requests switch to write mode when their view starts (instance resolution and
login checks before it only read); the CLI and the workers start in write mode. On
PostgreSQL both modes are ordinary transactions; a statement timeout bounds every statement
on both backends.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from flask import Config, Flask, current_app, request
from sqlalchemy import (
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    bindparam,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
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
from sqlalchemy.sql import Executable
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)
T = TypeVar("T")
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
        engine = make_engine(app.config["DATABASE_URL"],
                             statement_timeout_ms=int(app.config["DB_STATEMENT_TIMEOUT_MS"]))
        app.extensions["maillon.engine"] = engine
        app.extensions["maillon.engine.write"] = engine.execution_options(**{WRITE_OPTION: True})
        # New sessions are in write mode (CLI, workers, tests); requests choose below.
        app.extensions["maillon.db"] = sessionmaker(
            bind=app.extensions["maillon.engine.write"], expire_on_commit=False,
            info={"mode": "write", "strict": bool(app.config.get("STRICT_TRANSACTIONS")),
                  "maillon.config": app.config})

        @app.before_request
        def _read_first() -> None:
            # The first before_request: instance resolution and login checks only read.
            begin_read(self.session)

        @app.teardown_appcontext
        def _remove_session(exc: BaseException | None) -> None:
            if self.registry.registry.has():
                pending = self.registry().info.pop("bookkeeping", None)
                session = self.registry()
                try:
                    self.registry.remove()
                except SQLAlchemyError:
                    # A dead connection (the database restarted) cannot even roll back: the
                    # answer is already made. Invalidate the session's connections (closed,
                    # not returned to the pool: a live one would keep its locks) and drop it.
                    log.warning("session closed with an error", exc_info=True)
                    with contextlib.suppress(SQLAlchemyError):
                        session.invalidate()
                    self.registry.registry.clear()
                    pending = None
                if pending:
                    run_bookkeeping(app.extensions["maillon.engine.write"], pending)

    def provide(self, app: Flask, key: str, resource: object) -> None:
        """Give every session of ``app`` a process resource made by the app factory (the graph
        store, the search indexes): services reach it through the session they are given
        (``session.info[key]``), never through the current app."""
        app.extensions["maillon.db"].kw["info"][key] = resource

    def writes_from_view(self, app: Flask) -> None:
        """Register, after every other before_request, the switch to write mode for unsafe
        methods: the view's services then begin IMMEDIATE (after their slow work, if they
        call begin_read first and begin_write when they are ready to write)."""

        @app.before_request
        def _write_mode() -> None:
            if request.method not in SAFE_METHODS:
                begin_write(self.session)

    @property
    def engine(self) -> Engine:
        engine: Engine = current_app.extensions["maillon.engine"]
        return engine


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE_OPTION = "maillon_write"


def _plain(session: Session) -> Session:
    """The session behind the scoped proxy (mode switches set attributes on it)."""
    return session.registry() if isinstance(session, scoped_session) else session  # type: ignore[return-value]


def _has_written(session: Session) -> bool:
    return bool(session.new or session.dirty or session.deleted or session.info.get("wrote"))


def settings(session: Session) -> Config:
    """The process configuration of the app that made ``session`` (its ``app.config``, read
    when used: a setting changed on the app applies to the next call)."""
    config: Config = session.info["maillon.config"]
    return config


def begin_write(session: Session) -> None:
    """Make the session's transaction a write transaction (SQLite: BEGIN IMMEDIATE).

    Called by a service before its first read that decides a write, after any slow work
    (password hashing, image decoding, chain search), so the write lock is held briefly. A
    read-only transaction in progress is ended first (it wrote nothing); a transaction that has
    already written is kept whole.
    """
    plain = _plain(session)
    if plain.info.get("mode") == "write":
        return
    if plain.in_transaction():
        if _has_written(plain):
            return
        plain.commit()
    plain.info["mode"] = "write"
    plain.bind = current_app.extensions["maillon.engine.write"]


def run_built(session: Session, statement: Executable, params: dict[str, Any]) -> Any:
    """Run a statement built once at import on the session's connection, in its transaction:
    rows without the ORM's per-statement work (compile state, the tenant net's option),
    which made most of the cost of a small read. The statement must filter by instance
    itself: the ORM's tenant net does not see Core executions. Pending changes are flushed
    first, as the ORM's autoflush would."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    return session.connection().execute(statement, params)


def begin_read(session: Session) -> None:
    """Put the session in read mode: its next transactions take no write lock on SQLite."""
    plain = _plain(session)
    if plain.info.get("mode") == "read":
        return
    if plain.in_transaction():
        if _has_written(plain):
            return  # never split a write; read mode applies from the next request on
        plain.commit()
    plain.info["mode"] = "read"
    plain.bind = current_app.extensions["maillon.engine"]


def defer_bookkeeping(session: Session, statement: Executable) -> None:
    """Run ``statement`` (a "last seen" style update) after the request, best effort.

    Bookkeeping never makes a read wait for the write lock or fail: it runs at the end of the
    app context in its own short transaction, and is dropped if the lock is not free at once.
    """
    _plain(session).info.setdefault("bookkeeping", []).append(statement)


def run_bookkeeping(engine: Engine, statements: list[Executable]) -> None:
    try:
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            sqlite = engine.dialect.name == "sqlite"
            if sqlite:
                raw.execute("PRAGMA busy_timeout=50")  # type: ignore[union-attr]
            try:
                with conn.begin():
                    if not sqlite:
                        conn.exec_driver_sql("SET LOCAL lock_timeout = '50ms'")
                    for statement in statements:
                        conn.execute(statement)
            finally:
                if sqlite:
                    raw.execute("PRAGMA busy_timeout=30000")  # type: ignore[union-attr]
    except SQLAlchemyError as exc:
        log.info("bookkeeping skipped: the database was busy (%s)",
                 str(getattr(exc, "orig", exc)).splitlines()[0])


def once_per_transaction(session: Session, key: Any, compute: Callable[[], T]) -> T:
    """``compute()`` at most once per transaction of ``session`` (until it writes): a value
    read from the database that several services of one request need (the graph's catch-up,
    the relay factor) costs one query, and a new transaction reads it again."""
    plain = _plain(session)
    memo = plain.info.get("memo")
    transaction = plain.get_transaction()
    if transaction is None or memo is None or memo[0] is not transaction:
        value = compute()  # may begin the transaction
        plain.info["memo"] = (plain.get_transaction(), {key: value})
        return value
    if key not in memo[1]:
        memo[1][key] = compute()
    return memo[1][key]  # type: ignore[no-any-return]


@event.listens_for(Session, "after_begin")
def _fresh_transaction(session: Session, transaction: Any, connection: Any) -> None:
    session.info["wrote"] = session.info.pop("wrote_pending", False)


class ReadTransactionWrite(RuntimeError):
    """A write flushed in a read transaction (raised only with STRICT_TRANSACTIONS: tests)."""


@event.listens_for(Session, "before_flush")
def _check_mode(session: Session, context: Any, instances: Any) -> None:
    # On SQLite such a write upgrades a deferred transaction, which fails with "database is
    # locked" when another process committed meanwhile: the service must call begin_write.
    if (session.info.get("strict") and session.info.get("mode") == "read"
            and not session.info.get("wrote") and (session.new or session.dirty or session.deleted)
            and session.get_bind().dialect.name == "sqlite"):
        raise ReadTransactionWrite(
            "write in a read transaction: call maillon.db.begin_write(session) first")


@event.listens_for(Session, "do_orm_execute")
def _check_statement_mode(state: ORMExecuteState) -> None:
    session = state.session
    if ((state.is_update or state.is_delete or state.is_insert)
            and session.info.get("strict") and session.info.get("mode") == "read"
            and not session.info.get("wrote") and session.get_bind().dialect.name == "sqlite"):
        raise ReadTransactionWrite(
            "write in a read transaction: call maillon.db.begin_write(session) first")
    if state.is_update or state.is_delete or state.is_insert:
        session.info.pop("memo", None)
        # Before autobegin, after_begin would clear the flag: carry it over.
        session.info["wrote" if session.in_transaction() else "wrote_pending"] = True


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, context: Any) -> None:
    session.info["wrote"] = True
    session.info.pop("memo", None)  # what was read may have changed


def make_engine(url: str, *, statement_timeout_ms: int = 0) -> Engine:
    """The engine; ``statement_timeout_ms`` (0: none) bounds every statement."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _sqlite_setup(engine, statement_timeout_ms)
        return engine
    connect_args: dict[str, Any] = {}
    if statement_timeout_ms and url.startswith("postgresql"):
        connect_args["options"] = f"-c statement_timeout={statement_timeout_ms}"
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


def _sqlite_setup(engine: Engine, statement_timeout_ms: int) -> None:
    budget = statement_timeout_ms / 1000

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN below be the only one
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        if budget:
            # SQLite has no statement timeout: a progress handler that answers non-zero
            # interrupts the running statement ("interrupted"), as PostgreSQL's would.
            deadline = record.info.setdefault("deadline", [0.0])
            dbapi_connection.set_progress_handler(
                lambda: 1 if deadline[0] and time.monotonic() > deadline[0] else 0, 10_000)

    if budget:
        @event.listens_for(engine, "before_cursor_execute")
        def _arm(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                 executemany: bool) -> None:
            deadline = conn.connection.info.get("deadline")
            if deadline is not None:
                deadline[0] = time.monotonic() + budget

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn: Any) -> None:
        # Read transactions begin deferred (no lock until a write); write ones IMMEDIATE.
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


class TenantFilterMissing(RuntimeError):
    """A query in a request answered differently once the tenant net filtered it: one of its
    tenant-owned tables has no explicit instance filter (raised only with STRICT_TENANT_NET:
    tests)."""


#: Execution option marking the strict net's comparison queries (query counters skip them).
TENANT_CHECK_OPTION = "maillon_tenant_check"


#: The bound parameter that carries the request's instance id into the net's criteria.
NET_PARAM = "maillon_tenant_net_instance_id"

# One loader option for every instance: the instance id is a bound parameter, given with each
# statement's parameters (below), not a value captured by the lambda. A captured value made
# SQLAlchemy analyse the lambda's closure and extract it for every statement, and gave each
# instance its own compiled form of every query; a parameter costs neither (a profile request:
# about a third of each ORM statement's time).
# (The name is spelled out in the lambda: SQLAlchemy would track a variable it reads.)
_NET_OPTION = with_loader_criteria(
    TenantScoped, lambda cls: cls.instance_id == bindparam("maillon_tenant_net_instance_id"),
    include_aliases=True)


def _net(statement: Any) -> Any:
    return statement.options(_NET_OPTION)


@event.listens_for(Session, "do_orm_execute")
def _scope_to_instance(state: ORMExecuteState) -> None:
    """Safety net: inside a request, ORM selects only ever see the current instance's rows."""
    instance_id = state.session.info.get("instance_id")
    if instance_id is not None and state.is_select:
        # Also for the loads the criteria propagate to (lazy loads of rows loaded here). A
        # select has one set of parameters (a list is for executemany writes).
        state.parameters = {**cast(dict[str, Any], state.parameters or {}),
                            NET_PARAM: instance_id}
    if instance_id is None or not state.is_select or state.is_column_load:
        return
    netted = _net(state.statement)
    if current_app.config.get("STRICT_TENANT_NET"):
        _prove_explicit_filters(state, netted)
    state.statement = netted


def _prove_explicit_filters(state: ORMExecuteState, netted: Any) -> None:
    """Raise :class:`TenantFilterMissing` if the net changes the statement's answer.

    Both forms run as Core statements on the session's connection, in its transaction (plain
    rows: nothing enters the identity map), and their rows are compared as multisets. Equal
    answers mean the service's own filters already kept other instances out; a difference
    means another instance's rows (or rows counted, or rows that decided an EXISTS) reached
    the statement and only the net removed them.
    """
    connection = state.session.connection()
    options = {TENANT_CHECK_OPTION: True}
    parameters = state.parameters or {}

    def answer(statement: Any) -> list[str]:
        rows = connection.execute(statement, parameters, execution_options=options)
        return sorted(repr(tuple(row)) for row in rows)

    if answer(state.statement) != answer(netted):
        raise TenantFilterMissing(
            "a query without an explicit instance filter reached another instance's rows, "
            f"which only the tenant net removed:\n{state.statement}")


db = Database()


def flush_or_find(session: Session, find: Callable[[], T | None]) -> T | None:
    """Flush a new row; if a concurrent transaction inserted the same one first (a unique
    constraint refuses ours), roll back and return theirs, to replay it. None: ours is in."""
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        existing = find()
        if existing is None:
            raise
        return existing
    return None
