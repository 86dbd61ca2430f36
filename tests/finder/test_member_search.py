"""Searching members: outbox indexing, visibility, isolation, reconciliation, bad queries."""

import pytest

from maillon.db import db
from maillon.errors import ServiceError
from maillon.finder import indexing
from maillon.finder.services import search_members
from maillon.members.models import Member
from maillon.members.signals import member_changed
from tests.introductions.world import World


def _names(outcome):
    return [h.member.name for h in outcome.hits]


def test_profile_change_is_indexed_through_the_outbox(ctx, instances, create_member, run_jobs):
    create_member("academia", name="Zoé Lefèvre", headline="Ingénieure en apprentissage",
                  organisation="Laboratoire Lumière", location="Lyon", skills=["Python"])
    assert search_members(db.session, instances["academia"], None, text="zoé").total == 0
    db.session.commit()  # a test session's reads take the write lock: let the worker write
    run_jobs()
    outcome = search_members(db.session, instances["academia"], None, text="zoe lyon")
    assert _names(outcome) == ["Zoé Lefèvre"]


def test_search_never_shows_another_instance(ctx, instances, create_member, run_jobs):
    create_member("acme", name="Quentin Zyxwvut", headline="Unique word plumbago")
    create_member("academia", name="Anne Common", headline="Researcher")
    run_jobs()
    assert search_members(db.session, instances["academia"], None, text="plumbago").total == 0
    assert search_members(db.session, instances["academia"], None, text="zyxwvut").total == 0
    assert _names(search_members(db.session, instances["acme"], None, text="plumbago")) == [
        "Quentin Zyxwvut"]


def test_hidden_and_suspended_members_never_appear(ctx, instances, create_member, run_jobs):
    create_member("reseau", name="Visible Vanille", headline="vanille")
    create_member("reseau", name="Hidden Vanille", headline="vanille",
                  visibility={"in_directory": False, "contacts_visible_to": "connections"})
    suspended = create_member("reseau", name="Suspended Vanille", headline="vanille")
    run_jobs()
    assert sorted(_names(search_members(db.session, instances["reseau"], None,
                                        text="vanille"))) == ["Suspended Vanille",
                                                              "Visible Vanille"]
    member = db.session.get(Member, suspended.id)
    member.status = "suspended"
    from maillon.members.signals import member_changed

    member_changed.send(db.session, member=member)
    db.session.commit()
    run_jobs()
    assert sorted(_names(search_members(db.session, instances["reseau"], None,
                                        text="vanille"))) == ["Visible Vanille"]


def test_malformed_query_gets_a_clear_error_or_a_lenient_answer(ctx, instances, create_member,
                                                                 run_jobs):
    create_member("reseau", name="Paul Quote", headline="machine learning")
    run_jobs()
    for query in ['"machine', "(python", "skill:", "a" * 501, "***", "name:(", "AND OR NOT"]:
        try:
            outcome = search_members(db.session, instances["reseau"], None, text=query)
        except ServiceError as exc:
            assert exc.code in ("invalid_query", "query_too_long")
            assert exc.message
        else:
            assert outcome.total >= 0


def test_reconcile_reports_and_repairs(ctx, instances, create_member, run_jobs):
    a = create_member("reseau", name="Alice Reconcile")
    create_member("reseau", name="Bob Reconcile")
    run_jobs()
    index = indexing.get_index("reseau", ctx)
    index.delete([str(a.id)])
    index.upsert([{"id": "999999", "name": "Ghost Reconcile"}])
    report = indexing.reconcile(db.session, instances["reseau"])
    assert report.missing == {str(a.id)}
    assert report.extra == {"999999"}
    index.refresh()
    assert index.count() == 2
    assert indexing.reconcile(db.session, instances["reseau"]).clean


def test_reindex_rebuilds_from_the_database(ctx, instances, create_member):
    for n in range(5):
        create_member("acme", name=f"Person {n}", headline="Engineer")
    assert indexing.reindex(db.session, instances["acme"]) == 5
    outcome = search_members(db.session, instances["acme"], None, text="engineer")
    assert outcome.total == 5


def test_search_page(login, create_member, run_jobs):
    viewer = create_member("reseau", name="Viewer")
    create_member("reseau", name="Marie Curie", headline="Physicienne", location="Paris",
                  skills=["Radioactivité"])
    run_jobs()
    client = login(viewer, "reseau")
    page = client.get("/search?q=curie")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Marie Curie" in body
    assert "Paris" in body


def test_search_offers_get_introduced_only_to_who_takes_introductions(app, login, create_member,
                                                                     run_jobs):
    world = World(app, create_member, slug="reseau")
    viewer, relay = world.member("Viewer"), world.member("Relay")
    open_ = world.member("Marie Curie", headline="Physicienne")
    closed = world.member("Pierre Curie", headline="Physicien",
                          contact_policy={"direct": "nobody", "introductions": False,
                                          "purposes": ["advice"], "max_hops": 6})
    world.chain(viewer, relay, open_)
    world.connect(relay, closed)
    run_jobs()
    with app.app_context():
        member = db.session.get(Member, viewer)
        db.session.expunge(member)
    body = login(member, "reseau").get("/search?q=curie").get_data(as_text=True)
    assert "Pierre Curie" in body and "Marie Curie" in body
    assert f"/members/{open_}/introduce" in body
    assert f"/members/{closed}/introduce" not in body  # his profile says why


@pytest.mark.parametrize("query", ['"unclosed', "skill:", "x" * 600, "a*", "(" * 30 + "x",
                                   "\x00", "name:(", " ".join(["w"] * 40)])
def test_search_page_never_500s(login, create_member, query):
    viewer = create_member("reseau")
    client = login(viewer, "reseau")
    response = client.get("/search", query_string={"q": query, "page": "-3", "degree": "9"})
    assert response.status_code in (200, 422)
    if response.status_code == 422:
        assert 'role="alert"' in response.get_data(as_text=True)


def test_search_page_with_facets_and_pages(login, create_member, run_jobs):
    """Facet links and pagination render (a template variable once shadowed gettext)."""
    viewer = create_member("reseau")
    for n in range(25):
        create_member("reseau", name=f"Ingénieure {n}", headline="Ingénieure logiciel",
                      location="Lyon", organisation="Atelier", skills=["Python"])
    run_jobs()
    response = login(viewer, "reseau").get("/search?q=ingenieur+lyon")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "company=Atelier" in body
    assert "page=2" in body


def test_active_filters_can_be_removed(login, create_member, run_jobs):
    viewer = create_member("acme", locale="en")
    create_member("acme", name="Ines Lyon", headline="Engineer", location="Lyon")
    create_member("acme", name="Paul Paris", headline="Engineer", location="Paris")
    run_jobs()
    body = login(viewer, "acme").get("/search?q=engineer&location=Lyon").get_data(as_text=True)
    assert "Ines Lyon" in body and "Paul Paris" not in body
    chips = body[body.index('class="active-filters"'):]
    assert 'aria-label="Remove the filter Lyon"' in chips
    assert 'href="/search?q=engineer&amp;page=1"' in chips


def test_search_pages_are_numbered(login, create_member, run_jobs):
    viewer = create_member("reseau")
    for n in range(45):
        create_member("reseau", name=f"Tonnelière {n}", headline="Tonnelière")
    run_jobs()
    body = login(viewer, "reseau").get("/search?q=tonneliere&page=2").get_data(as_text=True)
    nav = body[body.index('class="pagination"'):]
    nav = nav[:nav.index("</nav>")]
    assert '<span class="current" aria-current="page">2</span>' in nav
    assert "page=1" in nav and "page=3" in nav and "page=4" not in nav  # 45 people, 20 a page
    assert 'rel="prev"' in nav and 'rel="next"' in nav


@pytest.mark.parametrize("limit", [indexing.PENDING_LOOKUP_LIMIT, 1])
def test_queued_changes_hide_at_once_however_many_are_queued(ctx, instances, create_member,
                                                             run_jobs, monkeypatch, limit):
    """Between a change and its indexing job, the index still holds the old document: the
    search leaves out whoever is not searchable now, by listing the queued members, or (more
    queued than ``PENDING_LOOKUP_LIMIT``) every hidden or inactive member of the instance."""
    names = ("Visible Vanille", "Hidden Vanille", "Gone Vanille", "Other Vanille")
    ids = [create_member("reseau", name=n, headline="vanille").id for n in names]
    run_jobs()
    visible, hidden, gone, _other = (db.session.get(Member, i) for i in ids)
    hidden.visibility = {"in_directory": False, "contacts_visible_to": "connections"}
    gone.status = "suspended"
    for member in (visible, hidden, gone):
        member_changed.send(db.session, member=member)
    db.session.commit()  # three jobs queued, none run
    monkeypatch.setattr(indexing, "PENDING_LOOKUP_LIMIT", limit)
    excluded = indexing.excluded_ids(db.session, instances["reseau"])
    assert excluded == {str(hidden.id), str(gone.id)}
    found = _names(search_members(db.session, instances["reseau"], None, text="vanille"))
    assert sorted(found) == ["Other Vanille", "Visible Vanille"]


def test_a_degree_with_no_match_is_no_link(app, login, create_member, run_jobs):
    """"1st-degree connections (0)" would lead to an empty page: it is shown, not linked."""
    from tests.introductions.world import World

    world = World(app, create_member, slug="acme")
    viewer = create_member("acme", locale="en")
    friend = world.member("Bob Friend", headline="Accountant")
    cooper = world.member("Cora Cooper", headline="Cooper")
    world.chain(viewer.id, friend, cooper)
    run_jobs()
    body = login(viewer, "acme").get("/search?q=cooper").get_data(as_text=True)
    facet = body[body.index('class="degree-facet"'):]
    facet = facet[:facet.index("</ul>")]
    assert '<span class="facet-empty">1st-degree connections</span> <span class="count">(0)' \
        in facet
    assert "degree=1" not in facet
    assert "degree=2" in facet and "Up to the 2nd degree</a> <span class=\"count\">(1)" in facet
