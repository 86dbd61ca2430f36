"""French that reads right: elision before names (d’Antoine, qu’Adjoa), in pages, flash
messages and mails alike; the language chosen before logging in kept after it."""

from __future__ import annotations

import pytest
from flask_babel import force_locale, gettext

from maillon.elision import elide


@pytest.mark.parametrize(("template", "name", "expected"), [
    ("Contacts de %(name)s", "Antoine", "Contacts d’%(name)s"),
    ("Ce que %(name)s propose", "Adjoa", "Ce qu’%(name)s propose"),
    ("Voir le profil de %(name)s", "Hélène", "Voir le profil d’%(name)s"),
    ("Voir le profil de %(name)s", "Éloïse", "Voir le profil d’%(name)s"),
    ("Voir le profil de %(name)s", "Bruno", "Voir le profil de %(name)s"),
    ("Voir le profil de %(name)s", "Yann", "Voir le profil de %(name)s"),
    ("Une grande %(name)s", "Amie", "Une grande %(name)s"),
    ("De %(name)s à %(other)s", "Ali", "D’%(name)s à %(other)s"),
])
def test_elision_follows_the_value(template, name, expected):
    assert elide(template, {"name": name, "other": "x"}) == expected


def test_python_messages_elide(app):
    with app.test_request_context(), force_locale("fr"):
        assert gettext("Contacts of %(name)s", name="Antoine Durand") == \
            "Contacts d’Antoine Durand"
        assert gettext("Contacts of %(name)s", name="Bruno Petit") == "Contacts de Bruno Petit"


def test_pages_elide_and_still_escape(create_member, login):
    for name, heading in (("Adjoa Mensah", "Contacts d’Adjoa Mensah"),
                          ("Ève <b>Roy</b>", "Contacts d’Ève &lt;b&gt;Roy&lt;/b&gt;"),
                          ("Bruno Petit", "Contacts de Bruno Petit")):
        member = create_member("reseau", name=name, locale="fr")
        html = login(member).get(f"/members/{member.id}/contacts").get_data(as_text=True)
        assert heading in html
        assert "de Adjoa" not in html and "de Ève" not in html


def test_the_language_chosen_before_logging_in_survives_it(app, client_for, create_member):
    from maillon.db import db
    from maillon.members.models import Member
    from tests.conftest import PASSWORD

    member = create_member("reseau", name="Nadia Nomade", locale="fr")  # a French instance
    client = client_for("reseau")
    assert 'lang="fr"' in client.get("/login").get_data(as_text=True)
    client.post("/language", data={"locale": "en", "next": "/login"})
    assert 'lang="en"' in client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"email": member.email, "password": PASSWORD})
    assert response.status_code == 302
    html = client.get("/members").get_data(as_text=True)
    assert 'lang="en"' in html and "Members" in html
    with app.app_context():
        assert db.session.get(Member, member.id).locale == "en"  # and the next visits too
