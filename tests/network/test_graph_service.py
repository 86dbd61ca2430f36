"""The graph service: a change made through one process is seen by another's next query."""

from maillon import create_app
from maillon.db import db
from maillon.members.models import Member
from maillon.network import graph, services
from maillon.tenancy.models import Instance


def _connect(app, slug, a, b):
    with app.app_context():
        instance = db.session.query(Instance).filter_by(slug=slug).one()
        requester = db.session.get(Member, a.id)
        row = services.request_connection(db.session, instance, requester, b.id)
        services.accept_connection(db.session, instance, db.session.get(Member, b.id), row.id)
        return row.id


def _degrees(app, slug, viewer, ids):
    with app.app_context():
        instance = db.session.query(Instance).filter_by(slug=slug).one()
        return graph.degrees(db.session, instance, viewer.id, ids)


def test_other_worker_sees_a_new_connection_without_reload(app, app_config, create_member):
    other_worker = create_app(app_config)  # a second process: its own graph cache
    a, b, c, d = (create_member("reseau") for _ in range(4))
    _connect(app, "reseau", a, b)
    assert _degrees(other_worker, "reseau", a, [b.id, c.id]) == {b.id: 1, c.id: None}
    loaded = other_worker.extensions["maillon.graphs"]
    _connect(app, "reseau", b, c)
    _connect(app, "reseau", c, d)
    assert _degrees(other_worker, "reseau", a, [b.id, c.id, d.id]) == {
        b.id: 1, c.id: 2, d.id: 3}
    assert other_worker.extensions["maillon.graphs"] is loaded  # applied, not rebuilt
    with app.app_context():
        instance = db.session.query(Instance).filter_by(slug="reseau").one()
        row = services.find_connection_between(db.session, instance, b.id, c.id)
        services.remove_connection(db.session, instance, db.session.get(Member, b.id), row.id)
    assert _degrees(other_worker, "reseau", a, [c.id, d.id]) == {c.id: None, d.id: None}
    other_worker.extensions["maillon.engine"].dispose()


def test_graphs_are_per_instance(app, create_member):
    a, b = create_member("reseau"), create_member("reseau")
    x, y = create_member("acme"), create_member("acme")
    _connect(app, "reseau", a, b)
    assert _degrees(app, "acme", x, [y.id, b.id]) == {y.id: None, b.id: None}
    assert _degrees(app, "reseau", a, [b.id, y.id]) == {b.id: 1, y.id: None}


def test_snapshot_is_saved_and_loaded(app, create_member):
    a, b, c = (create_member("academia") for _ in range(3))
    _connect(app, "academia", a, b)
    with app.app_context():
        instance = db.session.query(Instance).filter_by(slug="academia").one()
        path = graph.save_snapshot(db.session, instance)
        assert (path / "meta.json").exists()
        app.extensions["maillon.graphs"].clear()  # a new worker starts from the snapshot
    _connect(app, "academia", b, c)
    assert _degrees(app, "academia", a, [b.id, c.id]) == {b.id: 1, c.id: 2}


def test_a_snapshot_from_another_database_is_ignored(app, create_member):
    """var/ kept across a database reset must not hide the new database's connections."""
    a, b = create_member("reseau"), create_member("reseau")
    with app.app_context():
        folder = graph.graph_dir(app, "reseau")
        stale = graph.TrustGraph.from_connections([1], [2], watermark=10_000)
        stale.save(folder / "10000")
    _connect(app, "reseau", a, b)
    app.extensions.get("maillon.graphs", {}).clear()  # a new process
    assert _degrees(app, "reseau", a, [b.id]) == {b.id: 1}
