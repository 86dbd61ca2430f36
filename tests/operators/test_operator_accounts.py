"""Operators from the command line: created, listed, removed (their sessions end with them);
and `instances sync` never turns an operator's instance into a file's or forgets it."""

from __future__ import annotations

from sqlalchemy import select

from maillon.cli import instances_sync, operators_add, operators_list, operators_remove
from maillon.db import db
from maillon.operators.accounts import (
    authenticate_operator,
    find_operator_by_session,
    start_operator_session,
)
from maillon.operators.models import Operator
from maillon.tenancy.models import Instance


def test_operators_are_managed_from_the_command_line(app):
    runner = app.test_cli_runner()
    result = runner.invoke(operators_add, ["Ops@Example.net"],
                           env={"MAILLON_OPERATOR_PASSWORD": "a long password"})
    assert result.exit_code == 0, result.output
    again = runner.invoke(operators_add, ["ops@example.net"],
                          env={"MAILLON_OPERATOR_PASSWORD": "a long password"})
    assert again.exit_code != 0 and "exists" in again.output
    short = runner.invoke(operators_add, ["new@example.net"],
                          env={"MAILLON_OPERATOR_PASSWORD": "short"})
    assert short.exit_code != 0 and "password" in short.output
    assert "ops@example.net" in runner.invoke(operators_list, []).output
    with app.app_context():
        operator = authenticate_operator(db.session, "OPS@example.net", "a long password")
        token = start_operator_session(db.session, operator)
        assert find_operator_by_session(db.session, token).email == "ops@example.net"
    assert runner.invoke(operators_remove, ["ops@example.net"]).exit_code == 0
    assert runner.invoke(operators_remove, ["ops@example.net"]).exit_code != 0
    with app.app_context():
        assert find_operator_by_session(db.session, token) is None
        assert db.session.scalar(select(Operator)) is None


def test_sync_leaves_the_operators_instances_as_they_are(app):
    with app.app_context():
        db.session.add(Instance(slug="atelier", name="Atelier", source="operator",
                                config={"name": "Atelier"}, overrides={}, placement={}))
        db.session.commit()
        # As in a running process, the registry already serves the operator's instance.
        app.extensions["maillon.instances"].refresh(db.session, force=True)
        db.session.commit()
    result = app.test_cli_runner().invoke(instances_sync, [])
    assert result.exit_code == 0, result.output
    with app.app_context():
        row = db.session.scalar(select(Instance).where(Instance.slug == "atelier"))
        assert (row.source, row.config) == ("operator", {"name": "Atelier"})
        assert "atelier" in app.extensions["maillon.instances"].configs
