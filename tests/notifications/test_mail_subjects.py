"""Subjects with accents reach the reader with their spaces, neither lost nor doubled (Python's
header folding dropped the space between two encoded words, "s’estarrêtée", and doubled one
before a folded encoded word, "de  Océane")."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from maillon.db import db
from maillon.notifications.mail import send_email

SUBJECTS = [f"Votre demande pour rencontrer {name} s’est arrêtée en route"
            for name in ("Margaux Petit", "Femke van den Berg", "Adjoa Mensah", "Zoé Lê")]
SUBJECTS += ["Romain Martinez vous demande de transmettre la demande de Océane Durand, qui "
             "souhaite rencontrer Maxime Blanc",  # was "de  Océane": a space doubled
             "Raphaël Legrand vous demande de transmettre une demande de mise en relation "
             "avec Éloïse Château-Thierry de l’Université Paris Rive Gauche"]


@pytest.mark.parametrize("subject", SUBJECTS)
def test_an_accented_subject_keeps_every_space(app, mail, subject):
    job = SimpleNamespace(payload={"to": "reader@example.org", "from": "Réseau <r@example.org>",
                                   "subject": subject, "body": "Bonjour\\n",
                                   "message_id": "<1@example.org>"})
    with app.app_context():
        send_email(db.session, job)
    (message,) = mail.to("reader@example.org")
    assert message["Subject"] == subject
