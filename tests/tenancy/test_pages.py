"""Pages of a base (reseau, classic), a themed (academia, academic) and an overridden (acme)
instance; theme CSS and static files resolved through the chain."""

from __future__ import annotations

import re

import pytest


def page(client_for, slug: str, path: str = "/") -> str:
    response = client_for(slug).get(path)
    assert response.status_code == 200, (slug, path, response.status_code)
    return response.get_data(as_text=True)


def test_base_instance_uses_the_classic_look(client_for):
    body = page(client_for, "reseau")
    assert 'data-theme="classic"' in body and 'class="theme-classic' in body
    assert 'href="/theme/classic.css"' in body and 'src="/theme/classic-logo.svg"' in body
    assert "<h1>Réseau Entraide</h1>" in body  # the engine's hero
    assert 'class="pitch"' in body
    assert "utility-strip" not in body and "brand-academic" not in body


def test_themed_instance_extends_the_parent_theme(client_for):
    body = page(client_for, "academia")
    assert 'data-theme="academic"' in body and 'class="theme-academic' in body
    # The academic layout extends classic's: both stylesheets, parent first.
    assert body.index("/theme/classic.css") < body.index("/theme/academic.css")
    assert 'src="/theme/academic-logo.svg"' in body
    assert '<span class="brand-tagline">Le réseau des chercheuses et chercheurs</span>' in body
    # The academic home replaces only its "home_more" block: the engine's hero stays.
    assert "<h1>Academia</h1>" in body
    assert 'class="chapters"' in body


def test_themed_login_page_keeps_the_engine_form(client_for):
    body = page(client_for, "academia", "/login")
    assert "brand-academic" in body and 'name="password"' in body


def test_overridden_instance_replaces_one_block_and_keeps_the_rest(client_for):
    body = page(client_for, "acme")
    assert 'data-theme="corporate"' in body
    # The instance's home overrides only the hero...
    assert 'class="acme-hero"' in body
    assert "<h1>Acme Network</h1>" not in body
    # ...inside the engine's page, whose other blocks remain.
    assert '<section class="hero">' in body and 'class="pitch"' in body
    # The instance's layout adds its footer and stylesheet on top of the corporate theme.
    assert 'class="acme-footer"' in body and "https://intranet.acme.example/" in body
    assert body.index("/theme/corporate.css") < body.index("/theme/acme.css")
    assert '<div class="utility-strip">' in body  # the corporate header
    assert 'src="/theme/acme-logo.svg"' in body  # the instance's logo option


def test_instance_layout_override_applies_to_every_page(client_for):
    body = page(client_for, "acme", "/login")
    assert 'class="acme-footer"' in body and 'name="password"' in body
    assert "acme-hero" not in body


@pytest.mark.parametrize("slug", ["academia", "reseau"])
def test_instance_override_does_not_leak(client_for, slug):
    for path in ("/", "/login"):
        body = page(client_for, slug, path)
        assert "acme-hero" not in body and "acme-footer" not in body
        assert "acme.css" not in body and "acme-logo.svg" not in body


def test_theme_css_serves_each_instance_merged_options(client_for):
    css = {slug: client_for(slug).get("/theme.css") for slug in ("academia", "acme", "reseau")}
    for response in css.values():
        assert response.status_code == 200 and response.mimetype == "text/css"
    academia, acme, reseau = (css[s].get_data(as_text=True)
                              for s in ("academia", "acme", "reseau"))
    assert "--color-primary: #6b1e3a;" in academia
    assert "--font-heading: Georgia" in academia
    assert "--max-width: 1080px;" in reseau and "--color-primary: #1f5f8b;" in reseau
    # acme: corporate's options, classic's where corporate says nothing, acme's own overrides.
    assert "--color-primary: #0b3d91;" in acme
    assert "--color-accent: #ff6a13;" in acme
    assert "--logo: acme-logo.svg;" in acme
    assert "--color-error" not in acme  # engine defaults stay in maillon.css


def test_theme_static_files_resolve_through_the_chain(client_for):
    acme = client_for("acme")
    for filename, origin in [("acme-logo.svg", "Acme"), ("acme.css", "Acme"),
                             ("corporate.css", "Corporate"), ("classic.css", "Classic")]:
        response = acme.get(f"/theme/{filename}")
        assert response.status_code == 200, filename
        assert origin in response.get_data(as_text=True)
        response.close()
    assert acme.get("/theme/academic.css").status_code == 404


def test_theme_static_files_stay_within_the_instance(client_for):
    academia = client_for("academia")
    for filename in ("acme-logo.svg", "acme.css", "corporate.css", "../instance.toml",
                     "../../acme/instance.toml"):
        assert academia.get(f"/theme/{filename}").status_code == 404, filename
    response = academia.get("/theme/academic-logo.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    response.close()


def test_path_prefix_keeps_theme_urls(app):
    response = app.test_client().get("/i/academia/", headers={"Host": "127.0.0.1:5000"})
    body = response.get_data(as_text=True)
    assert 'href="/i/academia/theme/academic.css"' in body
    assert re.search(r'href="/i/academia/theme\.css\?v=[0-9a-f]+"', body)


def test_home_counts_the_members_the_directory_lists(client_for, create_member, login):
    """One set, one rule: active members listed in the directory (not a hidden profile, not a
    suspended or unconfirmed account), on the home page and in the directory alike."""
    import re

    viewer = create_member("acme", locale="en")
    for _ in range(3):
        create_member("acme")
    create_member("acme", visibility={"in_directory": False, "contacts_visible_to": "nobody"})
    create_member("acme", status="suspended")
    create_member("acme", status="pending")
    create_member("reseau")  # another instance counts for nothing here
    home = client_for("acme").get("/").get_data(as_text=True)
    shown = int(re.search(r"(\d+) colleagues are already here", home).group(1))
    directory = login(viewer, "acme").get("/members").get_data(as_text=True)
    listed = int(re.search(r"(\d+) members", directory).group(1))
    assert shown == listed == 4
