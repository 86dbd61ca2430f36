"""The ``maillon`` command: the same services the web pages call, from a terminal."""

from __future__ import annotations

import os
import socket
import sys
import threading
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, shell_command, with_appcontext
from sqlalchemy import func, select

from maillon.db import db


def _create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """The app; a bad instance.toml or theme.toml stops the command with its one-line message
    (file, key, problem) instead of a traceback."""
    from maillon.app import create_app
    from maillon.tenancy.settings import InstanceConfigError
    from maillon.tenancy.theming import ThemeError

    if "MAILLON_DB_STATEMENT_TIMEOUT_MS" not in os.environ:
        # Commands and workers stream long results (reindex, demo): no statement budget.
        test_config = {"DB_STATEMENT_TIMEOUT_MS": 0, **(test_config or {})}
    try:
        return create_app(test_config)
    except (InstanceConfigError, ThemeError) as exc:
        raise click.ClickException(str(exc)) from None


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False,
             add_version_option=False)
def main() -> None:
    """Maillon: federated professional networking engine."""


def register_cli(app: Flask) -> None:
    from maillon.federation.cli import federation_group

    app.cli.add_command(shell_command)
    app.cli.add_command(federation_group)
    for command in (db_group, instances_group, worker_command, demo_command, serve_command,
                    search_group, operators_group):
        app.cli.add_command(command)


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply the Alembic migrations up to head."""
    from maillon.migrate import upgrade

    upgrade(current_app.config["DATABASE_URL"])
    click.echo("database at head")


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models (for developers)."""
    from maillon.migrate import revision

    revision(current_app.config["DATABASE_URL"], message)


@click.group("instances")
def instances_group() -> None:
    """The instances configured under instances/."""


def sync() -> list[str]:
    from maillon.tenancy.registry import get_registry
    from maillon.tenancy.services import sync_instances

    rows = sync_instances(db.session, list(get_registry().file_configs.values()))
    get_registry().refresh(db.session, force=True)
    return [r.slug for r in rows]


@instances_group.command("sync")
@with_appcontext
def instances_sync() -> None:
    """Create or update the instance rows from instances/*/instance.toml."""
    click.echo("synced: " + ", ".join(sync()))


@instances_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@with_appcontext
def instances_status(as_json: bool) -> None:
    """Each instance's size and health (members, admins, connections, requests in progress,
    jobs, search index) and the deployment's readiness."""
    import json

    from maillon.ops.instance_status import instance_status

    status = instance_status(db.session, current_app._get_current_object())  # type: ignore[attr-defined]
    db.session.rollback()
    if as_json:
        click.echo(json.dumps(status, indent=1, default=str))
        return
    checks = ", ".join(f"{name} {'ok' if c['ok'] else 'NOT OK'}"
                       for name, c in status["checks"].items())
    click.echo(f"deployment: {'ready' if status['ready'] else 'NOT READY'} ({checks})")
    for i in status["instances"]:
        members = ", ".join(f"{n} {s}" for s, n in sorted(i["members"].items())) or "none"
        search = (f"{i['search'].get('documents', 0)} documents" if i["search"].get("ok")
                  else f"NOT OK: {i['search'].get('error', '')}")
        click.echo(f"\n{i['slug']}: {i['name']} (theme {i['theme']}, hosts "
                   f"{', '.join(i['hosts']) or '-'}){'' if i['configured'] else ' NOT CONFIGURED'}"
                   f"{' DISABLED: ' + i['status_reason'] if i['status'] == 'disabled' else ''}")
        click.echo(f"  members: {members}; {i['moderators']} moderators; admins: "
                   f"{', '.join(i['admins']) or 'none'}")
        click.echo(f"  {i['connections']} connections, {i['open_introductions']} requests in "
                   f"progress; jobs: {i['jobs_waiting']} waiting, {i['jobs_failed']} failed; "
                   f"search: {search}")


@instances_group.command("role")
@click.argument("slug")
@click.argument("email")
@click.argument("role", type=click.Choice(["member", "moderator", "admin"]))
@click.option("--reason", default="", help="Kept in the instance's audit log.")
@with_appcontext
def instances_role(slug: str, email: str, role: str, reason: str) -> None:
    """Give the member with this e-mail address a role in the instance (as the operator:
    audited with no member as its author)."""
    from maillon.errors import ServiceError
    from maillon.members.models import Member
    from maillon.moderation.roles import change_role
    from maillon.tenancy.services import find_instance_by_slug

    instance = find_instance_by_slug(db.session, slug)
    member = instance and db.session.scalar(select(Member).where(
        Member.instance_id == instance.id, Member.email == email.strip().lower()))
    if instance is None or member is None:
        raise click.ClickException(f"no member {email} in an instance {slug}")
    try:
        change_role(db.session, instance, None, member.id, role, reason=reason, operator=True)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"{email} is {role} of {slug}")


@click.command("worker")
@click.option("--once", is_flag=True, help="Drain the queue, then exit.")
@with_appcontext
def worker_command(once: bool) -> None:
    """Run the background jobs worker (production: one or more of these processes)."""
    from maillon.jobs.worker import work

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    stop = threading.Event()
    try:
        ran = work(app, stop, once=once)
    except KeyboardInterrupt:
        stop.set()
        ran = 0
    click.echo(f"ran {ran} jobs")


@click.command("demo")
@click.option("--instance", "slugs", multiple=True, help="Only this instance (repeatable).")
@click.option("--members", type=click.IntRange(1, 2_000_000), default=None,
              help="Generate this many synthetic members (large communities for benchmarks).")
@click.option("--seed", type=int, default=7)
@with_appcontext
def demo_command(slugs: tuple[str, ...], members: int | None, seed: int) -> None:
    """Load the demo data (or a large synthetic community with --members)."""
    from maillon.demo.services import load_demo
    from maillon.tenancy.services import get_instance_by_slug

    sync()
    targets = slugs or tuple(current_app.extensions["maillon.instances"].configs)
    for slug in targets:
        instance = get_instance_by_slug(db.session, slug)
        with click.progressbar(length=members or 1, label=f"{slug}") as bar:
            created = load_demo(db.session, instance, members=members, seed=seed,
                                progress=bar.update)
        click.echo(f"{slug}: {created} members created")
    if members is None:
        from maillon.demo.federation import load_sister_federation

        if load_sister_federation(db.session):
            click.echo("academia and reseau: connected through federation")


def prepare() -> None:
    """Migrate, sync instances, and load the demo data into instances that have no members."""
    from maillon.demo.services import load_demo
    from maillon.members.models import Member
    from maillon.migrate import upgrade

    upgrade(current_app.config["DATABASE_URL"])
    sync()
    demo_loaded = False
    from maillon.tenancy.services import get_instance_by_slug

    for slug in current_app.extensions["maillon.instances"].file_configs:  # not the operator's
        instance = get_instance_by_slug(db.session, slug)
        has_members = db.session.scalar(
            select(func.count(Member.id)).where(Member.instance_id == instance.id))
        if not has_members:
            click.echo(f"loading demo data into {slug} …")
            load_demo(db.session, instance, seed=7)
            demo_loaded = True
    if demo_loaded:
        from maillon.demo.federation import load_sister_federation
        from maillon.demo.services import DEMO_PASSWORD

        load_sister_federation(db.session)  # once both sisters have their members
        from maillon.operators.accounts import DEMO_OPERATOR, create_operator, list_operators

        if not list_operators(db.session):  # a first start: the demo's operator too
            create_operator(db.session, DEMO_OPERATOR, DEMO_PASSWORD)


@click.command("serve")
@click.option("--host", default="127.0.0.1")
@click.option("--port", type=int, default=lambda: int(os.environ.get("PORT", "5000")))
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Web worker processes (default: one per core, and one more).")
@click.option("--threads", type=click.IntRange(1, 64), default=1,
              help="Threads per web worker process (default 1: see decision 60).")
@click.option("--prepare/--no-prepare", "do_prepare", default=True,
              help="Migrate, sync instances and load demo data first.")
@click.option("--reload", "reload_", is_flag=True,
              help="Development only: Werkzeug's server, restarted when the code changes, "
                   "with the jobs worker as a thread.")
def serve_command(host: str, port: int, workers: int | None, threads: int, do_prepare: bool,
                  reload_: bool) -> None:
    """Serve on this machine as in production: gunicorn web workers, a jobs worker process and a
    local SMTP sink (after migrations and, on first start, demo data)."""
    from maillon.serving import Child, ServerSettings, Supervisor, gunicorn_args, worker_args

    os.environ.setdefault("MAILLON_DEV_OUTBOX", "1")
    os.environ.setdefault("MAILLON_LOCAL_LINKS", "1")
    os.environ["MAILLON_SERVER_PORT"] = str(port)
    if reload_ and os.environ.get("WERKZEUG_RUN_MAIN") == "true":
        return _serve_reloading(host, port)  # the reloader's child: straight to serving
    app = _create_app({"SERVER_PORT": port})
    with app.app_context():
        if do_prepare:
            prepare()
        logins = _demo_logins()
    sink = None
    if app.config["MAIL_HOST"] in ("127.0.0.1", "localhost"):
        sink = _start_local_sink(app, explicit_port="MAILLON_MAIL_PORT" in os.environ)
        os.environ["MAILLON_MAIL_PORT"] = str(app.config["MAIL_PORT"])
    _print_addresses(app, host, port, logins, sink is not None)
    try:
        if reload_:
            _serve_reloading(host, port)
            return
        settings = ServerSettings(host=host, port=port, threads=threads,
                                  **({"workers": workers} if workers else {}))
        _prepare_metrics_dir(app)
        click.echo(f"web: gunicorn, {settings.workers} worker processes × {settings.threads} "
                   "threads; jobs: 1 worker process")
        supervisor = Supervisor([
            Child("web server", gunicorn_args("maillon:create_app()", settings), restart=False),
            Child("jobs worker", worker_args(), restart=True),
        ], env=dict(os.environ), echo=lambda line: click.echo(line, err=True))
        code = supervisor.run()
        if code:
            raise SystemExit(code)
    finally:
        if sink is not None:
            sink.stop()


def _serve_reloading(host: str, port: int) -> None:
    from werkzeug.serving import run_simple

    from maillon.jobs.worker import start_worker_thread

    app = _create_app({"SERVER_PORT": port})
    if os.environ.get("WERKZEUG_RUN_MAIN") == "true":
        start_worker_thread(app)  # only in the reloader's child, which serves
    run_simple(host, port, app, threaded=True, use_reloader=True, use_debugger=False)


def _prepare_metrics_dir(app: Flask) -> None:
    """Web workers share their metrics through files (Prometheus multiprocess mode)."""
    from pathlib import Path

    try:
        from maillon.ops.metrics import prepare_multiproc_dir
    except ImportError:
        return
    folder = Path(app.config["VAR_DIR"]) / "metrics"
    prepare_multiproc_dir(folder)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


def _start_local_sink(app: Flask, explicit_port: bool) -> Any:
    """Catch mail into var/outbox; if the usual port is taken by another program (another
    Maillon, a mail catcher), take a free one rather than hand our mail to a stranger."""
    from pathlib import Path

    from maillon.notifications.sink import start_sink

    folder = Path(app.config["VAR_DIR"]) / "outbox"
    port = int(app.config["MAIL_PORT"])
    try:
        return start_sink(folder, port=port)
    except OSError as exc:
        if explicit_port:
            click.echo(f"warning: no local SMTP sink on port {port}: {exc}", err=True)
            return None
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = int(probe.getsockname()[1])
    click.echo(f"port {port} is taken: the local SMTP sink listens on {free} instead", err=True)
    app.config["MAIL_PORT"] = free
    return start_sink(folder, port=free)


def _demo_logins() -> dict[str, list[tuple[str, str]]]:
    from maillon.demo.services import DEMO_PASSWORD, demo_logins

    return {slug: [(email, role) for email, role in demo_logins(db.session, slug)]
            for slug in current_app.extensions["maillon.instances"].configs} | {
        "_password": [(DEMO_PASSWORD, "")]}


def _print_addresses(app: Flask, host: str, port: int,
                     logins: dict[str, list[tuple[str, str]]], sink: bool) -> None:
    password = logins.pop("_password")[0][0]
    out = sys.stdout
    out.write("\nMaillon is running. Instances:\n")
    for slug, config in app.extensions["maillon.instances"].configs.items():
        out.write(f"  {config['name']} ({config['theme']} theme)\n")
        out.write(f"    http://{slug}.localhost:{port}/   or   http://{host}:{port}/i/{slug}/\n")
        for email, role in logins.get(slug, []):
            out.write(f"    login: {email} / {password}  ({role})\n")
    operator_host = app.config["OPERATOR_HOST"]
    if operator_host:
        from maillon.operators.accounts import DEMO_OPERATOR

        out.write(f"\nOperator's pages (create, move, close instances): "
                  f"http://{operator_host}:{port}/operator/\n")
        out.write(f"    login: {DEMO_OPERATOR} / {password}  (created with the demo data; "
                  f"others: maillon operators add EMAIL)\n")
    if sink:
        out.write(f"\nMail is caught locally: http://{host}:{port}/dev/outbox\n")
    out.write(f"Deployment index: http://{host}:{port}/\n\n")
    out.flush()


@click.group("operators")
def operators_group() -> None:
    """The deployment's operators (they sign in on OPERATOR_HOST)."""


@operators_group.command("add")
@click.argument("email")
@click.password_option(help="Asked for when not given (or read from MAILLON_OPERATOR_PASSWORD).",
                       envvar="MAILLON_OPERATOR_PASSWORD")
@with_appcontext
def operators_add(email: str, password: str) -> None:
    """Create an operator."""
    from maillon.errors import ServiceError
    from maillon.operators.accounts import create_operator

    try:
        operator = create_operator(db.session, email, password)
    except ServiceError as exc:
        db.session.rollback()
        problems = "; ".join(f"{k}: {v}" for k, v in exc.fields.items()) or exc.message
        raise click.ClickException(problems) from None
    host = current_app.config["OPERATOR_HOST"] or "(OPERATOR_HOST is empty: no web pages)"
    click.echo(f"operator {operator.email} created; pages at {host}/operator/")


@operators_group.command("list")
@with_appcontext
def operators_list() -> None:
    """List the operators."""
    from maillon.operators.accounts import list_operators

    for operator in list_operators(db.session):
        click.echo(f"{operator.email}  (last sign-in: {operator.last_login_at or 'never'})")


@operators_group.command("remove")
@click.argument("email")
@with_appcontext
def operators_remove(email: str) -> None:
    """Remove an operator and end their sessions."""
    from maillon.operators.accounts import remove_operator

    if not remove_operator(db.session, email):
        raise click.ClickException(f"no operator {email}")
    click.echo(f"operator {email} removed")


@click.group("search")
def search_group() -> None:
    """The per-instance search indexes."""


def _instances(slugs: tuple[str, ...]) -> list:  # type: ignore[type-arg]
    from maillon.tenancy.services import get_instance_by_slug

    sync()
    names = slugs or tuple(current_app.extensions["maillon.instances"].configs)
    return [get_instance_by_slug(db.session, s) for s in names]


@search_group.command("reindex")
@click.option("--instance", "slugs", multiple=True, help="Only this instance (repeatable).")
@with_appcontext
def search_reindex(slugs: tuple[str, ...]) -> None:
    """Rebuild indexes from the database (built aside and swapped in: search keeps answering)."""
    from maillon.finder.indexing import reindex, searchable_ids
    from maillon.hubs import search as thread_search

    for instance in _instances(slugs):
        total = len(searchable_ids(db.session, instance))
        with click.progressbar(length=total, label=instance.slug) as bar:
            count = reindex(db.session, instance, progress=bar.update)
        click.echo(f"{instance.slug}: {count} members indexed")
        threads = thread_search.reindex(db.session, instance)
        click.echo(f"{instance.slug}: {threads} hub threads indexed")


@search_group.command("reconcile")
@click.option("--instance", "slugs", multiple=True, help="Only this instance (repeatable).")
@with_appcontext
def search_reconcile(slugs: tuple[str, ...]) -> None:
    """Compare index and database counts; index what is missing, drop what is extra."""
    from maillon.finder.indexing import reconcile
    from maillon.hubs import search as thread_search

    for instance in _instances(slugs):
        for what, report in (("members", reconcile(db.session, instance)),
                             ("hub threads", thread_search.reconcile(db.session, instance))):
            click.echo(f"{instance.slug} {what}: missing {len(report.missing)}, extra "
                       f"{len(report.extra)}, stale {len(report.stale)}, repaired "
                       f"{report.repaired}")
