"""The French catalogue: complete, in step with the code, and actually used by the pages."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from sqlalchemy import select

from maillon.db import db
from maillon.errors import Forbidden
from maillon.members.models import Member

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "platform" / "maillon" / "translations"
POT = TRANSLATIONS / "messages.pot"
FRENCH = TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po"
HOW_TO_FIX = ("run `make extract`, translate the new entries in "
              "platform/maillon/translations/fr/LC_MESSAGES/messages.po (no fuzzy left), "
              "and commit messages.pot and messages.po")
# %(name)s, %(mb).1f, %d ... and %% (a literal percent sign, which must survive translation).
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")
NBSP = "\u00a0"


def _read(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_po(f)


def _entries(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


def _label(message: Message) -> str:
    return repr(message.id if isinstance(message.id, str) else message.id[0])


def _forms(message: Message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


def _ids(catalog: Catalog) -> set[str | tuple[str, ...]]:
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in _entries(catalog)}


def test_french_catalogue_is_complete_and_not_fuzzy() -> None:
    catalog = _read(FRENCH)
    untranslated = [_label(m) for m in _entries(catalog) if not all(_forms(m))]
    fuzzy = [_label(m) for m in _entries(catalog) if m.fuzzy]
    assert not untranslated, f"untranslated French entries: {untranslated}; {HOW_TO_FIX}"
    assert not fuzzy, f"fuzzy French entries (check and unflag them): {fuzzy}"
    assert catalog.num_plurals == 2


def test_template_is_up_to_date_with_the_code(tmp_path: Path) -> None:
    fresh = tmp_path / "messages.pot"
    # The same command as `make extract`, so what passes here passes there.
    subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-m", "babel.messages.frontend", "-q", "extract",
         "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-o", str(fresh), "."],
        cwd=ROOT, check=True, capture_output=True)
    in_code, in_pot = _ids(_read(fresh)), _ids(_read(POT))
    assert in_code == in_pot, (
        f"messages.pot is out of date: new in the code {sorted(map(str, in_code - in_pot))}, "
        f"gone from the code {sorted(map(str, in_pot - in_code))}; {HOW_TO_FIX}")
    assert _ids(_read(FRENCH)) == in_pot, (
        f"the French catalogue lags behind messages.pot; {HOW_TO_FIX}")


def test_translations_keep_every_placeholder() -> None:
    wrong = []
    for message in _entries(_read(FRENCH)):
        sources = [message.id] if isinstance(message.id, str) else list(message.id)
        allowed = [Counter(PLACEHOLDER.findall(source)) for source in sources]
        # A plural form may follow either English form: French "one" also covers 0.
        wrong += [(_label(message), form) for form in _forms(message)
                  if Counter(PLACEHOLDER.findall(form)) not in allowed]
    assert not wrong, f"placeholders differ from the English: {wrong}"


def test_french_punctuation_is_consistent() -> None:
    """A non-breaking space, never a plain one, goes before : ; ? ! (French typography)."""
    loose = [form for m in _entries(_read(FRENCH)) for form in _forms(m)
             if re.search(r" [:;?!]", form)]
    assert not loose, f"use a non-breaking space (U+00A0) before : ; ? ! in: {loose}"


def test_french_instance_home_is_french(client_for) -> None:
    page = client_for("academia").get("/").get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "Rejoindre la communauté" in page
    assert "Se connecter" in page
    assert "Join the community" not in page


def test_english_instance_home_is_english(client_for) -> None:
    page = client_for("acme").get("/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Sign up with your Acme address" in page
    assert "Se connecter" not in page


def test_login_page_in_french(client_for) -> None:
    page = client_for("academia").get("/login").get_data(as_text=True)
    assert "Mot de passe" in page
    assert "Mot de passe oublié" + NBSP + "?" in page


def test_member_choice_beats_the_instance_language(create_member, login) -> None:
    member = create_member("acme", locale="fr")
    page = login(member, "acme").get("/", follow_redirects=True).get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "Se déconnecter" in page


def test_switcher_changes_the_visitor_language(client_for) -> None:
    client = client_for("acme")
    response = client.post("/language", data={"locale": "fr", "next": "/login"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")
    assert "Mot de passe" in client.get("/login").get_data(as_text=True)
    client.post("/language", data={"locale": "en"})
    assert "Password" in client.get("/login").get_data(as_text=True)


def test_switcher_records_the_member_choice(app, create_member, login) -> None:
    member = create_member("academia")
    client = login(member, "academia")
    assert "Se déconnecter" in client.get("/", follow_redirects=True).get_data(as_text=True)
    client.post("/language", data={"locale": "en"})
    assert "Log out" in client.get("/", follow_redirects=True).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Member.locale).where(Member.id == member.id)) == "en"


@pytest.mark.parametrize(("slug", "subject"), [
    ("academia", "Confirmez votre adresse pour Academia"),
    ("acme", "Confirm your address for Acme Network"),
])
def test_mail_in_the_instance_language(client_for, mail, run_jobs, slug, subject) -> None:
    address = "claire@acme.example" if slug == "acme" else "claire@example.org"
    client_for(slug).post("/register", data={
        "name": "Claire", "email": address, "password": "un mot de passe long"})
    run_jobs()
    [message] = mail.to(address)
    assert message["Subject"] == subject
    body = mail.body(message)
    if slug == "academia":
        assert "Bonjour Claire," in body
        assert "Le lien est valable trois jours." in body
    else:
        assert "Hello Claire," in body


def test_not_found_page_in_the_page_language(client_for) -> None:
    french = client_for("academia").get("/no-such-page")
    assert french.status_code == 404
    assert "Page introuvable" in french.get_data(as_text=True)
    english = client_for("acme").get("/no-such-page").get_data(as_text=True)
    assert "Page not found" in english
    assert "Page introuvable" not in english


def test_refused_action_page_has_a_translated_heading(app, client_for) -> None:
    @app.get("/test-refused")
    def refused() -> str:
        raise Forbidden("approval_pending", "Refusé pour le test.")

    response = client_for("academia").get("/test-refused")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Accès refusé" in page
    assert "approval_pending" not in page  # the stable code is for the API
