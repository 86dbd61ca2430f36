"""Registration errors on the page are sentences in the page's language, next to the field."""

from __future__ import annotations


def _register_in_french(client_for, slug, email):
    client = client_for(slug)
    client.post("/language", data={"locale": "fr", "next": "/register"})
    return client.post("/register", data={"name": "Zoé Zed", "email": email,
                                          "password": "a long password"})


def test_the_acme_domain_error_is_translated_next_to_the_field(client_for):
    html = _register_in_french(client_for, "acme", "zoe@gmail.com").get_data(as_text=True)
    assert "L’inscription est réservée aux adresses" in html
    assert 'id="email-error"' in html
    assert "domain not allowed" not in html


def test_an_invalid_address_is_explained_in_french(client_for):
    html = _register_in_french(client_for, "reseau", "zoe@@example").get_data(as_text=True)
    assert "Cette adresse e-mail n’est pas valide" in html
    assert "@-sign" not in html and "is not valid" not in html


def test_a_taken_address_says_so_in_words(client_for, create_member):
    create_member("reseau", email="known@example.org")
    html = _register_in_french(client_for, "reseau", "known@example.org").get_data(as_text=True)
    assert "Cette adresse est déjà inscrite." in html
    assert ">taken<" not in html
