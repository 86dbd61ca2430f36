"""An instance's index deleted or damaged while the app runs: the API answers 503
``search_unavailable`` with Retry-After, the page a translated notice (503), never a 500, and
the worker's check rebuilds it from the database without any restart."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from maillon.accounts.services import issue_api_token
from maillon.db import db
from maillon.finder import indexing
from maillon.finder.services import RETRY_AFTER_SECONDS, search_members
from maillon.members.models import Member
from maillon.network import services as network
from maillon.tenancy.models import Instance
from search import IndexUnavailable, open_index, whoosh_internals
from search import storage as layout

SLUG = "reseau"


def _instance() -> Instance:
    instance = db.session.scalar(select(Instance).where(Instance.slug == SLUG))
    assert instance is not None
    return instance


def _root(app: Flask) -> Path:
    return indexing.index_root(app, SLUG)


@pytest.fixture
def world(app: Flask, create_member: Callable[..., Member], run_jobs: Callable[[], int]
          ) -> dict[str, Any]:
    viewer = create_member(SLUG, name="Viewer Veilleur", locale="fr")
    create_member(SLUG, name="Zélie Dufour", headline="Cartographe")
    create_member(SLUG, name="Hugo Arpent", headline="Cartographe des côtes")
    run_jobs()
    with app.app_context():
        token = issue_api_token(db.session, db.session.get(Member, viewer.id))
    return {"viewer": viewer, "headers": {"Authorization": f"Bearer {token}"}}


def _api(client_for: Callable[[str], FlaskClient], world: dict[str, Any]) -> Any:
    return client_for(SLUG).get("/api/v1/search?q=cartographe", headers=world["headers"])


def _assert_unavailable_everywhere(client_for: Callable[[str], FlaskClient],
                                   login: Callable[..., FlaskClient],
                                   world: dict[str, Any]) -> None:
    response = _api(client_for, world)
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response.json["error"]["code"] == "search_unavailable"
    assert response.json["error"]["message"]
    page = login(world["viewer"], SLUG).get("/search?q=cartographe")
    assert page.status_code == 503
    assert page.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    body = page.get_data(as_text=True)
    assert "La recherche est indisponible quelques instants" in body  # the viewer's French
    assert 'name="q"' in body and "cartographe" in body  # the page itself, query kept


def _assert_answers(client_for: Callable[[str], FlaskClient], world: dict[str, Any]) -> None:
    response = _api(client_for, world)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert sorted(r["name"] for r in response.json["results"]) == ["Hugo Arpent",
                                                                   "Zélie Dufour"]


def test_deleted_index_is_503_then_the_workers_check_rebuilds_it(
    app: Flask, client_for: Callable[[str], FlaskClient], login: Callable[..., FlaskClient],
    world: dict[str, Any]
) -> None:
    _assert_answers(client_for, world)
    shutil.rmtree(_root(app))
    _assert_unavailable_everywhere(client_for, login, world)
    assert not _root(app).exists()  # the web side created no empty stand-in
    with app.app_context():
        indexing._heal_indexes(db.session)  # the worker's periodic health check
    _assert_answers(client_for, world)


def test_truncated_index_file_is_503_then_the_reconciliation_rebuilds_it(
    app: Flask, client_for: Callable[[str], FlaskClient], login: Callable[..., FlaskClient],
    world: dict[str, Any]
) -> None:
    gen = _root(app) / str(layout.read_pointer(_root(app)))
    for path in gen.glob("*.pst"):
        os.truncate(path, 16)
    _assert_unavailable_everywhere(client_for, login, world)
    with app.app_context():
        indexing._check_indexes(db.session)  # the worker's other periodic task
    _assert_answers(client_for, world)


def test_garbage_toc_found_by_a_new_process_is_rebuilt(
    app: Flask, client_for: Callable[[str], FlaskClient], login: Callable[..., FlaskClient],
    world: dict[str, Any]
) -> None:
    _assert_answers(client_for, world)  # this process holds the index open
    gen = _root(app) / str(layout.read_pointer(_root(app)))
    for toc in gen.glob("*.toc"):
        toc.write_bytes(b"garbage")
    restarted = open_index(_root(app))  # a web process started after the damage
    try:
        assert restarted.recovery is not None
    finally:
        restarted.close()
    _assert_unavailable_everywhere(client_for, login, world)
    with app.app_context():
        indexing._heal_indexes(db.session)
    _assert_answers(client_for, world)


def test_an_index_recreated_empty_is_rebuilt_by_the_check(
    app: Flask, client_for: Callable[[str], FlaskClient], world: dict[str, Any]
) -> None:
    shutil.rmtree(_root(app))
    open_index(_root(app)).close()  # a process that started after the deletion: first use
    assert _api(client_for, world).json["total"] == 0  # the wrong answer the check fixes
    with app.app_context():
        assert indexing.heal_index(db.session, _instance()) == "rebuilt (3 members)"
        assert indexing.heal_index(db.session, _instance()) is None  # nothing left to do
    _assert_answers(client_for, world)


def test_indexing_job_and_reconcile_rebuild_a_missing_index(
    app: Flask, client_for: Callable[[str], FlaskClient], create_member: Callable[..., Member],
    run_jobs: Callable[[], int], world: dict[str, Any]
) -> None:
    shutil.rmtree(_root(app))
    create_member(SLUG, name="Inès Relevé", headline="Cartographe")
    run_jobs()  # its indexing job finds no index: it rebuilds it from the database
    response = _api(client_for, world)
    assert response.status_code == 200 and response.json["total"] == 3
    shutil.rmtree(_root(app))
    with app.app_context():
        report = indexing.reconcile(db.session, _instance())  # `maillon search reconcile`
    assert len(report.missing) == 4 and report.repaired == 4  # the viewer is searchable too
    assert _api(client_for, world).json["total"] == 3


def test_degree_facet_comes_from_the_one_query(
    app: Flask, create_member: Callable[..., Member], run_jobs: Callable[[], int],
    monkeypatch: pytest.MonkeyPatch
) -> None:
    viewer = create_member(SLUG, name="Viewer Degré")
    friend = create_member(SLUG, name="Ami Géomètre", headline="géomètre")
    second = create_member(SLUG, name="Second Géomètre", headline="géomètre")
    create_member(SLUG, name="Lointain Géomètre", headline="géomètre")
    with app.app_context():
        for a, b in ((viewer, friend), (friend, second)):
            row = network.request_connection(db.session, _instance(),
                                             db.session.get(Member, a.id), b.id)
            network.accept_connection(db.session, _instance(), db.session.get(Member, b.id),
                                      row.id)
    run_jobs()
    with app.app_context():
        index = indexing.get_index(SLUG, app)
        calls: list[Any] = []
        search = index.search
        monkeypatch.setattr(index, "search", lambda q: calls.append(q) or search(q))
        me = db.session.get(Member, viewer.id)
        outcome = search_members(db.session, _instance(), me, text="géomètre")
        assert len(calls) == 1
        assert outcome.facets["degree"] == [(1, 1), (2, 2), (3, 2)]
        within = search_members(db.session, _instance(), me, text="géomètre", degree=1)
        assert within.total == 1
        # Each count is what choosing that option shows, whichever degree is chosen now.
        assert within.facets["degree"] == [(1, 1), (2, 2), (3, 2)]


def test_an_unsupported_whoosh_is_503_never_an_answer(
    app: Flask, client_for: Callable[[str], FlaskClient], login: Callable[..., FlaskClient],
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Whoosh whose internals were not checked (another version installed under a running
    deployment): search is unavailable, as for a damaged index, and nothing is rebuilt with
    it; the pinned Whoosh back, the same index answers again."""
    _assert_answers(client_for, world)  # this process already holds the index open
    problem = "unsupported Whoosh: whoosh-reloaded 2.8.0 is installed"
    monkeypatch.setattr(whoosh_internals, "layout_problem", lambda: problem)
    _assert_unavailable_everywhere(client_for, login, world)
    with app.app_context(), pytest.raises(IndexUnavailable, match="whoosh-reloaded 2.8.0"):
        indexing.heal_index(db.session, _instance())  # the worker's check cannot rebuild
    monkeypatch.undo()
    _assert_answers(client_for, world)
