"""Hub pages in English and French: list, create, hub, thread, reply (one post for a double
submit), mentions linked, member-only hubs closed to outsiders, report and remove a post."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from maillon.db import db
from maillon.hubs.models import Hub, Post, Thread
from maillon.moderation.models import Report


def _key(html: str) -> str:
    found = re.search(r'name="client_key" type="hidden" value="([^"]+)"', html) or re.search(
        r'id="client_key" name="client_key" type="hidden" value="([^"]+)"', html)
    assert found, "the form carries a one-time key"
    return found.group(1)


def test_a_member_creates_a_hub_starts_a_thread_and_a_reply_mentions(app, create_member,
                                                                       login):
    ana = create_member("reseau", name="Ana Lima", locale="en")
    bob = create_member("reseau", name="Bob Martin", locale="en")
    client = login(ana)
    assert "Create a hub" in client.get("/hubs").get_data(as_text=True)
    created = client.post("/hubs/new", data={"name": "E-learning", "description": "Online",
                                             "visibility": "open"})
    assert created.status_code == 302
    with app.app_context():
        hub_id = db.session.scalar(select(Hub.id))
    page = client.get(f"/hubs/{hub_id}").get_data(as_text=True)
    form = {"title": "Moodle?", "text": "Which one?\n\nSee https://moodle.org <b>now</b>",
            "client_key": _key(page)}
    first = client.post(f"/hubs/{hub_id}/threads", data=form)
    second = client.post(f"/hubs/{hub_id}/threads", data=form)  # a double click
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Thread.id))) == 1
        thread_id = db.session.scalar(select(Thread.id))
    html = client.get(f"/threads/{thread_id}").get_data(as_text=True)
    assert '<a href="https://moodle.org" rel="nofollow ugc noopener"' in html
    assert "&lt;b&gt;now&lt;/b&gt;" in html and "<b>now</b>" not in html

    bob_client = login(bob)
    thread_page = bob_client.get(f"/threads/{thread_id}").get_data(as_text=True)
    reply = bob_client.post(f"/threads/{thread_id}/posts", data={
        "text": "@ana.lima Moodle!", "client_key": _key(thread_page)})
    assert reply.status_code == 302 and "#post-" in reply.headers["Location"]
    html = bob_client.get(f"/threads/{thread_id}").get_data(as_text=True)
    assert f'<a class="mention" href="/members/{ana.id}">@ana.lima</a>' in html
    notes = client.get("/notifications").get_data(as_text=True)
    assert "Bob Martin mentioned you in “Moodle?”" in notes


def test_empty_reply_is_shown_on_the_page_in_french(app, create_member, login):
    ana = create_member("reseau", name="Ana Lima", locale="fr")
    client = login(ana)
    client.post("/hubs/new", data={"name": "Cytologie", "visibility": "open"})
    with app.app_context():
        hub_id = db.session.scalar(select(Hub.id))
    page = client.get(f"/hubs/{hub_id}").get_data(as_text=True)
    assert "Lancer une discussion" in page
    refused = client.post(f"/hubs/{hub_id}/threads", data={"title": "", "text": ""})
    assert refused.status_code == 422
    assert "Ce champ est obligatoire" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Thread.id))) == 0


def test_request_hub_page_shows_no_thread_to_outsiders(app, create_member, login):
    ana = create_member("reseau", name="Ana Lima", locale="en")
    eve = create_member("reseau", name="Eve Durand", locale="en")
    client = login(ana)
    client.post("/hubs/new", data={"name": "Board", "visibility": "request"})
    with app.app_context():
        hub_id = db.session.scalar(select(Hub.id))
    client.post(f"/hubs/{hub_id}/threads", data={"title": "Secret plan", "text": "Hush"})
    with app.app_context():
        thread_id = db.session.scalar(select(Thread.id))
    outsider = login(eve)
    page = outsider.get(f"/hubs/{hub_id}").get_data(as_text=True)
    assert "Secret plan" not in page and "Ask to join" in page
    assert outsider.get(f"/threads/{thread_id}").status_code == 404
    assert outsider.post(f"/threads/{thread_id}/posts", data={"text": "x"}).status_code == 404
    outsider.post(f"/hubs/{hub_id}/join")
    requests = client.get(f"/hubs/{hub_id}/members").get_data(as_text=True)
    assert "Eve Durand" in requests and "Approve" in requests
    client.post(f"/hubs/{hub_id}/requests/{eve.id}/approve")
    assert outsider.get(f"/threads/{thread_id}").status_code == 200


def test_a_post_is_reported_and_removed_by_the_hub_moderator(app, create_member, login):
    ana = create_member("reseau", name="Ana Lima", locale="en")
    bob = create_member("reseau", name="Bob Martin", locale="en")
    client = login(ana)
    client.post("/hubs/new", data={"name": "Media", "visibility": "open"})
    with app.app_context():
        hub_id = db.session.scalar(select(Hub.id))
    bob_client = login(bob)
    bob_client.post(f"/hubs/{hub_id}/threads", data={"title": "Hi", "text": "Opening"})
    with app.app_context():
        thread_id = db.session.scalar(select(Thread.id))
    bob_client.post(f"/threads/{thread_id}/posts", data={"text": "Buy pills"})
    with app.app_context():
        post_id = db.session.scalar(select(Post.id).where(Post.opening.is_(False)))
    html = client.get(f"/threads/{thread_id}").get_data(as_text=True)
    assert f"/report/post/{post_id}" in html and f"/posts/{post_id}/remove" in html
    assert f"/posts/{post_id}/remove" not in bob_client.get(
        f"/threads/{thread_id}").get_data(as_text=True)
    assert bob_client.get(f"/posts/{post_id}/remove").status_code == 403
    reported = client.post(f"/report/post/{post_id}", data={"reason": "spam", "details": ""})
    assert reported.status_code == 302
    with app.app_context():
        report = db.session.scalar(select(Report))
        assert report.subject_type == "post" and report.snapshot == "Buy pills"
        assert report.subject_member_id == bob.id
    refused = client.post(f"/posts/{post_id}/remove", data={"reason": ""})
    assert refused.status_code == 422
    client.post(f"/posts/{post_id}/remove", data={"reason": "Advertising"})
    html = client.get(f"/threads/{thread_id}").get_data(as_text=True)
    assert "Buy pills" not in html and "This post was removed by a moderator." in html


def test_the_search_page_finds_threads_in_both_languages(app, create_member, login, run_jobs):
    ana = create_member("reseau", name="Ana Lima", locale="en")
    client = login(ana)
    client.post("/hubs/new", data={"name": "Media", "visibility": "open"})
    with app.app_context():
        hub_id = db.session.scalar(select(Hub.id))
    client.post(f"/hubs/{hub_id}/threads", data={"title": "Radio interviews",
                                                 "text": "Tips for the radio?"})
    run_jobs()
    page = client.get("/hubs/search?q=radio").get_data(as_text=True)
    assert "1 thread found" in page and "Radio interviews" in page
    client.post("/language", data={"locale": "fr"})
    page = client.get("/hubs/search?q=radio").get_data(as_text=True)
    assert "1 discussion trouvée" in page and "Chercher dans les discussions" in page
    assert client.get("/hubs/search?q=" + "x" * 501).status_code == 422


def test_the_settings_page_is_for_the_hub_moderators(app, create_member, login):
    ana = create_member("reseau", name="Ana Lima", locale="fr")
    bob = create_member("reseau", name="Bob Martin", locale="en")
    client = login(ana)
    client.post("/hubs/new", data={"name": "E-learning", "visibility": "open"})
    with app.app_context():
        hub_id = db.session.scalar(select(Hub.id))
    assert f"/hubs/{hub_id}/settings" in client.get(f"/hubs/{hub_id}").get_data(as_text=True)
    page = client.get(f"/hubs/{hub_id}/settings").get_data(as_text=True)
    assert "Réglages du groupe" in page and 'value="E-learning"' in page
    saved = client.post(f"/hubs/{hub_id}/settings", data={
        "name": "Pédagogie numérique", "description": "Cours en ligne", "visibility": "open"})
    assert saved.status_code == 302
    bad = client.post(f"/hubs/{hub_id}/settings", data={"name": "", "visibility": "open"})
    assert bad.status_code == 422 and "field-error" in bad.get_data(as_text=True)
    with app.app_context():
        hub = db.session.get(Hub, hub_id)
        assert (hub.name, hub.description) == ("Pédagogie numérique", "Cours en ligne")
    bob_client = login(bob)
    assert f"/hubs/{hub_id}/settings" not in bob_client.get(f"/hubs/{hub_id}").get_data(
        as_text=True)
    assert bob_client.get(f"/hubs/{hub_id}/settings").status_code == 403
    assert bob_client.post(f"/hubs/{hub_id}/settings", data={
        "name": "Mine", "visibility": "open"}).status_code == 403
