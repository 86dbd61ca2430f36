"""Attack: search tells whether a hidden profile holds a word.

Issue 9. A directory-hidden "Zemblanovic" suppressed the typo fallback: searching `Zemblanovic`
found the visible "Zemblanovac" only when no hidden profile held the exact word (the word stayed
known to the index). Removed, hidden and suspended profiles must never influence what a query
answers: typo fallback, suggestions, facet counts, totals, prefix expansions; nor while the
index has not yet caught up with the change (its indexing job still queued).
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from maillon.db import db
from maillon.finder import indexing
from maillon.finder.services import search_members
from maillon.members.models import Member
from maillon.members.profiles import update_profile
from maillon.members.signals import member_changed
from tests.privacy.common import bearer

QUERIES = ("Zemblanovic", "Zemblanovuc", "zemblanov*", "name:Zemblanovic", "Zemblanovicz",
           "Zemblanovic Lyon", "Lyon", "", "cartographe", "company:Hidden", "hiddenorg")


def answers(app, instance, viewer_id=None):
    """What each query answers: totals, names in order, facets, suggestion, notices."""
    out = {}
    with app.app_context():
        viewer = db.session.get(Member, viewer_id) if viewer_id else None
        for query in QUERIES:
            found = search_members(db.session, instance, viewer, text=query, per_page=50)
            out[query] = (found.total, [h.member.name for h in found.hits],
                          {k: sorted(v, key=str) for k, v in found.facets.items()},
                          found.suggestion, found.notices)
    return out


def hide(app, member_id, how):
    with app.app_context():
        row = db.session.get(Member, member_id)
        if how.startswith("hidden"):
            update_profile(db.session, row, {"visibility": {"in_directory": False}})
        elif how.startswith("suspended"):
            row.status = "suspended"
            member_changed.send(db.session, member=row)
            db.session.commit()
        else:  # removed: the row is gone, the index told to forget it
            db.session.execute(delete(Member).where(Member.id == member_id))
            db.session.commit()
            indexing.get_index("reseau", app).delete([str(member_id)])


@pytest.mark.parametrize("how", ["hidden", "hidden, index not yet updated", "suspended",
                                 "suspended, index not yet updated", "removed"])
def test_a_hidden_profile_never_changes_an_answer(app, create_member, run_jobs, instances,
                                                  how):
    instance = instances["reseau"]
    viewer = create_member("reseau", name="Vera Viewer", headline="cartographe",
                           location="Lyon")
    create_member("reseau", name="Ilya Zemblanovac", headline="cartographe", location="Lyon",
                  organisation="Atlas")
    create_member("reseau", name="Ola Nordmann", headline="cartographe", location="Paris")
    run_jobs()
    before = answers(app, instance, viewer.id)
    assert before["Zemblanovic"][1] == ["Ilya Zemblanovac"]  # the typo fallback

    hidden = create_member("reseau", name="Pavel Zemblanovic", headline="cartographe hiddenorg",
                           location="Lyon", organisation="Hidden")
    run_jobs()
    assert answers(app, instance, viewer.id)["Zemblanovic"][1] == ["Pavel Zemblanovic"]

    hide(app, hidden.id, how)
    if "not yet" not in how:
        run_jobs()
    after = answers(app, instance, viewer.id)
    for query in QUERIES:
        assert after[query] == before[query], (how, query)


def test_the_api_and_the_page_answer_as_if_it_did_not_exist(app, create_member, run_jobs,
                                                             client_for, login):
    from tests.privacy.common import World

    viewer = create_member("reseau", name="Vera Viewer", locale="en")
    create_member("reseau", name="Ilya Zemblanovac", headline="cartographe")
    create_member("reseau", name="Pavel Zemblanovic", headline="cartographe",
                  visibility={"in_directory": True, "contacts_visible_to": "connections"})
    run_jobs()
    hide(app, next(m for m in _ids(app) if m[1] == "Pavel Zemblanovic")[0], "hidden")
    run_jobs()
    world = World(app, create_member)
    answer = client_for("reseau").get("/api/v1/search?q=Zemblanovic",
                                      headers=bearer(world, viewer.id))
    assert answer.status_code == 200, answer.json
    assert [r["name"] for r in answer.json["results"]] == ["Ilya Zemblanovac"]
    assert answer.json["total"] == 1
    html = login(viewer, "reseau").get("/search?q=Zemblanovic").get_data(as_text=True)
    assert "Ilya Zemblanovac" in html and "Pavel Zemblanovic" not in html


def _ids(app):
    from sqlalchemy import select

    with app.app_context():
        return list(db.session.execute(select(Member.id, Member.name)))
