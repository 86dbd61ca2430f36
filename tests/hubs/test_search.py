"""Searching hub threads: indexed by the worker through the outbox, rebuilt and reconciled;
a thread of a hub by request is never found (nor counted) by those outside it; a removed
thread is gone at once, before its indexing job runs."""

from __future__ import annotations

import pytest

from maillon.db import db
from maillon.hubs import search, services, threads

CLOSED = {"name": "Cytologie", "visibility": "request"}
OPEN = {"name": "E-learning", "visibility": "open"}


def _find(world, member, text, **kwargs):
    found = world.call(search.search_threads, member, text=text, **kwargs)
    return found.total, [h.thread.title for h in found.hits], dict(found.hubs)


@pytest.fixture
def indexed(world, run_jobs):
    ana, bob, eve = world.member("Ana Lima"), world.member("Bob Martin"), world.member("Eve")
    closed, _ = world.call(services.create_hub, ana, CLOSED)
    world.call(services.join_hub, bob, closed.id)
    world.call(services.decide_request, ana, closed.id, bob, approve=True)
    opened, _ = world.call(services.create_hub, ana, OPEN)
    world.call(threads.start_thread, ana, closed.id, {
        "title": "Coloration de Papanicolaou", "text": "Nos protocoles de coloration."})
    world.call(threads.start_thread, eve, opened.id, {
        "title": "Coloration des diapositives", "text": "Quelle palette pour les cours ?"})
    run_jobs()
    return ana, bob, eve, closed, opened


def test_threads_are_found_through_the_outbox(world, indexed, run_jobs):
    ana, _bob, _eve, _closed, opened = indexed
    total, titles, hubs = _find(world, ana, "coloration")
    assert total == 2 and set(titles) == {"Coloration de Papanicolaou",
                                          "Coloration des diapositives"}
    assert hubs == {"Cytologie": 1, "E-learning": 1}
    thread, _post, _ = world.call(threads.start_thread, ana, opened.id, {
        "title": "Quiz en ligne", "text": "Moodle propose des quiz."})
    assert _find(world, ana, "moodle")[0] == 0  # not before the worker indexed it
    run_jobs()
    assert _find(world, ana, "moodle")[1] == ["Quiz en ligne"]
    world.call(threads.reply, ana, thread.id, {"text": "Et Wooclap pour les sondages."})
    run_jobs()
    assert _find(world, ana, "wooclap")[1] == ["Quiz en ligne"]  # replies are searched too


def test_a_request_hub_thread_is_never_found_by_outsiders(world, indexed):
    _ana, bob, eve, _closed, _opened = indexed
    total, titles, hubs = _find(world, eve, "coloration")
    assert total == 1 and titles == ["Coloration des diapositives"]
    assert hubs == {"E-learning": 1}  # not even counted in the hub facet
    assert _find(world, eve, "papanicolaou")[0] == 0
    assert world.call(search.search_threads, eve, text="papanicolau").suggestion is None
    assert _find(world, eve, "coloration", hub="Cytologie")[0] == 0
    assert _find(world, bob, "papanicolaou")[1] == ["Coloration de Papanicolaou"]


def test_staff_find_every_thread_and_leaving_a_hub_hides_its_threads(world, indexed):
    ana, bob, _eve, closed, _opened = indexed
    staff = world.member("Mo Staff", role="moderator")
    assert _find(world, staff, "papanicolaou")[0] == 1
    world.call(services.leave_hub, bob, closed.id)
    assert _find(world, bob, "papanicolaou")[0] == 0


def test_a_removed_thread_is_gone_before_the_worker_runs(world, indexed, run_jobs):
    ana, _bob, eve, _closed, _opened = indexed
    _total, _titles, _hubs = _find(world, ana, "diapositives")
    with world.app.app_context():
        from sqlalchemy import select

        from maillon.hubs.models import Post, Thread

        post_id = db.session.scalar(select(Post.id).join(Thread).where(
            Thread.title == "Coloration des diapositives"))
    world.call(threads.remove_post, ana, post_id, "Hors sujet.")
    assert _find(world, ana, "diapositives")[0] == 0
    run_jobs()
    assert _find(world, ana, "diapositives")[0] == 0


def test_reindex_and_reconcile_rebuild_the_thread_index(world, indexed, app):
    ana, *_ = indexed
    with app.app_context():
        index = search.thread_index(db.session, world.instance())
        index.delete(index.ids())
        db.session.rollback()
    assert _find(world, ana, "coloration")[0] == 0
    with app.app_context():
        report = search.reconcile(db.session, world.instance())
        assert len(report.missing) == 2
    assert _find(world, ana, "coloration")[0] == 2
    with app.app_context():
        assert search.reindex(db.session, world.instance()) == 2
    assert _find(world, ana, "coloration")[0] == 2


def test_bad_queries_get_clear_errors(world, indexed):
    ana, *_ = indexed
    from maillon.errors import ServiceError

    with pytest.raises(ServiceError) as long:
        world.call(search.search_threads, ana, text="x" * 501)
    assert long.value.code == "query_too_long"
    with pytest.raises(ServiceError) as bad:
        world.call(search.search_threads, ana, text="a*")
    assert bad.value.code == "invalid_query"


def test_a_renamed_hub_is_found_under_its_new_name(world, indexed, run_jobs):
    ana, _bob, eve, _closed, opened = indexed
    world.call(services.update_hub, ana, opened.id, dict(OPEN, name="Pédagogie numérique"))
    run_jobs()
    total, titles, hubs = _find(world, eve, "coloration")
    assert hubs == {"Pédagogie numérique": 1}
    assert _find(world, eve, "coloration", hub="Pédagogie numérique")[1] == [
        "Coloration des diapositives"]
