"""What keeps search right: every profile change reaches the index, degrees and their facet,
translated notices, the reindex progress bar and the workers' periodic check."""

from pathlib import Path

import pytest
from sqlalchemy import select

from maillon.db import db
from maillon.finder import indexing
from maillon.finder.services import _MESSAGES, localise, search_members
from maillon.members import experiences
from maillon.members.models import Member
from maillon.members.profiles import update_profile
from maillon.network import services as network
from maillon.tenancy.models import Instance
from search import QueryError, SearchQuery
from search.query import parse


def _instance(slug):
    return db.session.scalar(select(Instance).where(Instance.slug == slug))


def _connect(app, a, b, slug="reseau"):
    with app.app_context():
        instance = _instance(slug)
        row = network.request_connection(db.session, instance, db.session.get(Member, a.id),
                                         b.id)
        network.accept_connection(db.session, instance, db.session.get(Member, b.id), row.id)


def _names(slug, text, viewer=None):
    return sorted(h.member.name for h in search_members(
        db.session, _instance(slug), viewer, text=text).hits)


def test_every_profile_change_reaches_the_index(app, create_member, run_jobs):
    member = create_member("reseau", name="Odile Marquise", headline="Boulangère")
    run_jobs()
    with app.app_context():
        assert _names("reseau", "boulanger") == ["Odile Marquise"]
        row = db.session.get(Member, member.id)
        experiences.add_experience(db.session, row, {"title": "Pâtissière", "organisation":
                                                 "Maison Zéphyrine", "start_date": "2019-01-01"})
    run_jobs()
    with app.app_context():
        assert _names("reseau", "zephyrine") == ["Odile Marquise"]
        row = db.session.get(Member, member.id)
        experiences.add_education(db.session, row, {"school": "Lycée Quintessence"})
    run_jobs()
    with app.app_context():
        assert _names("reseau", "quintessence") == ["Odile Marquise"]
        row = db.session.get(Member, member.id)
        update_profile(db.session, row, {"headline": "Fromagère"})
    run_jobs()
    with app.app_context():
        assert _names("reseau", "boulanger") == []
        assert _names("reseau", "fromager") == ["Odile Marquise"]
        row = db.session.get(Member, member.id)
        update_profile(db.session, row, {"visibility": {"in_directory": False}})
    run_jobs()
    with app.app_context():
        assert _names("reseau", "fromager") == []
        row = db.session.get(Member, member.id)
        update_profile(db.session, row, {"visibility": {"in_directory": True}})
    run_jobs()
    with app.app_context():
        assert _names("reseau", "fromager") == ["Odile Marquise"]


def test_results_carry_degrees_and_a_degree_facet(app, create_member, run_jobs):
    viewer = create_member("reseau", name="Viewer Degré")
    friend = create_member("reseau", name="Ami Cartographe", headline="cartographe")
    second = create_member("reseau", name="Second Cartographe", headline="cartographe")
    create_member("reseau", name="Lointain Cartographe", headline="cartographe")
    _connect(app, viewer, friend)
    _connect(app, friend, second)
    run_jobs()
    with app.app_context():
        me = db.session.get(Member, viewer.id)
        outcome = search_members(db.session, _instance("reseau"), me, text="cartographe")
        assert {h.member.name: h.degree for h in outcome.hits} == {
            "Ami Cartographe": 1, "Second Cartographe": 2, "Lointain Cartographe": None}
        assert outcome.hits[0].member.name == "Ami Cartographe"  # closer first at equal text
        assert dict(outcome.facets["degree"])[1] == 1
        assert dict(outcome.facets["degree"])[2] == 2
        within = search_members(db.session, _instance("reseau"), me, text="cartographe",
                                degree=2)
        assert sorted(h.member.name for h in within.hits) == ["Ami Cartographe",
                                                               "Second Cartographe"]


@pytest.mark.parametrize("text", ['"open', "(open", "open)", "colour:blue", "company:",
                                  "a*", "(" * 20 + "x", " ".join(["w"] * 40), "x" * 600])
def test_every_notice_and_error_is_translatable(text):
    try:
        messages = list(parse(text).notices)
    except QueryError as exc:
        messages = [exc.message]
    assert messages
    for message in messages:
        assert any(pattern.match(message) for pattern, _ in _MESSAGES), message


def test_partial_match_notice_is_translatable(tmp_path: Path):
    from search import open_index

    idx = open_index(tmp_path / "i")
    idx.upsert([{"id": "1", "summary": "alpha"}, {"id": "2", "summary": "beta"}])
    notices = idx.search(SearchQuery("alpha beta")).notices
    idx.close()
    assert notices and all(any(p.match(n) for p, _ in _MESSAGES) for n in notices)


def test_notices_are_shown_in_the_members_language(app, login, create_member, run_jobs):
    viewer = create_member("acme", locale="en")
    with app.test_request_context():
        assert localise("Unknown field “foo:” searched as text; known fields are …") \
            .startswith("Unknown field “foo:”")
    create_member("acme", name="Alpha Person", headline="alpha")
    create_member("acme", name="Beta Person", headline="beta")
    run_jobs()
    body = login(viewer, "acme").get("/search?q=alpha+beta").get_data(as_text=True)
    assert "No profile matched every word; showing partial matches." in body


def test_reindex_progress_counts_up_to_the_total(app, create_member):
    for n in range(3):
        create_member("acme", name=f"Progress {n}")
    steps: list[int] = []
    with app.app_context():
        count = indexing.reindex(db.session, _instance("acme"), progress=steps.append)
    assert count == 3 and sum(steps) == 3 and all(s > 0 for s in steps)


def test_periodic_check_repairs_drift_and_rebuilds_a_reset_index(app, create_member, run_jobs):
    a = create_member("acme", name="Drift Alpha")
    create_member("acme", name="Drift Beta")
    run_jobs()
    with app.app_context():
        index = indexing.get_index("acme", app)
        index.delete([str(a.id)])
        assert indexing.check_index(db.session, _instance("acme")) == "repaired"
        assert str(a.id) in index.ids()
        assert indexing.check_index(db.session, _instance("acme")) == "clean"
        index.recovery = "reset for the test"
        index.delete([str(a.id)])
        assert indexing.check_index(db.session, _instance("acme")).startswith("rebuilt")
        assert index.recovery is None and index.count() == 2
        indexing._check_indexes(db.session)  # the worker's periodic task, every instance
