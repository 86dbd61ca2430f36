"""The question pages in English and French: ask, the recipient answers, the asker reads and
thanks; an outsider gets a 404; an empty answer is refused on the page."""

from __future__ import annotations

from sqlalchemy import select

from maillon.db import db
from maillon.network import services as network
from maillon.questions.models import Answer, Question
from tests.hubs.conftest import HubWorld


def test_ask_answer_thank_on_the_pages(app, create_member, login):
    world = HubWorld(app, create_member)
    asker = create_member("reseau", name="Ana Lima", locale="en")
    friend = create_member("reseau", name="Bruno Roy", locale="fr")
    outsider = create_member("reseau", name="Out Sider", locale="en")
    row = world.call(network.request_connection, asker.id, friend.id)
    world.call(network.accept_connection, friend.id, row.id)

    client = login(asker)
    assert "Ask a question" in client.get("/questions").get_data(as_text=True)
    refused = client.post("/questions/new", data={"text": "Short", "reach": "connections"})
    assert refused.status_code == 422 and "Write at least 10 characters" in refused.get_data(
        as_text=True)
    sent = client.post("/questions/new", data={"text": "Who repairs old bikes in Nantes?",
                                               "reach": "connections"})
    assert sent.status_code == 302
    with app.app_context():
        question_id = db.session.scalar(select(Question.id))
    page = client.get(f"/questions/{question_id}").get_data(as_text=True)
    assert "sent to 1 of your connections" in page and "No answer yet" in page

    other = login(friend)
    assert "Ana Lima demande à son réseau" in other.get("/notifications").get_data(as_text=True)
    page = other.get(f"/questions/{question_id}").get_data(as_text=True)
    assert "Votre réponse n’est lue que par Ana Lima." in page
    assert other.post(f"/questions/{question_id}/answer", data={"text": ""}).status_code == 422
    other.post(f"/questions/{question_id}/answer", data={"text": "L’atelier Vélocité, quai."})
    assert login(outsider).get(f"/questions/{question_id}").status_code == 404

    page = client.get(f"/questions/{question_id}").get_data(as_text=True)
    assert "L’atelier Vélocité, quai." in page and "Thank Bruno Roy" in page
    with app.app_context():
        answer_id = db.session.scalar(select(Answer.id))
    client.post(f"/answers/{answer_id}/thank", data={"question_id": question_id})
    assert "Thanked" in client.get(f"/questions/{question_id}").get_data(as_text=True)
    assert "Ana Lima vous remercie pour votre réponse" in other.get(
        "/notifications").get_data(as_text=True)
