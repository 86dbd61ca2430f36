"""The appearance page and API (decision 55): admins change the community's colours and logo
over the theme's; every value checked (a colour, readable texts), nothing saved when one is
bad, each change audited, in force at once in /theme.css and the header, the theme's value back
on reset. Logos are re-encoded PNGs, served only by their own instance."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from maillon.db import db
from maillon.errors import Forbidden, ServiceError, ValidationFailed
from maillon.members.models import Member
from maillon.moderation.models import AuditEntry
from maillon.tenancy import appearance, logos
from maillon.tenancy.models import Instance
from maillon.tenancy.registry import InstanceRegistry, get_registry


def _instance(slug: str = "reseau") -> Instance:
    return db.session.scalar(select(Instance).where(Instance.slug == slug))


def _overrides(app, slug: str = "reseau") -> dict:
    with app.app_context():
        return dict(_instance(slug).overrides)


def _member(member: Member) -> Member:
    return db.session.get(Member, member.id)


@pytest.fixture
def admin(create_member):
    return create_member("reseau", role="admin", name="Ada Admin", locale="en")


def _audit(slug="reseau"):
    return db.session.scalars(select(AuditEntry).where(
        AuditEntry.instance_id == _instance(slug).id,
        AuditEntry.action == "policy_changed").order_by(AuditEntry.id)).all()


def _css(client) -> str:
    return client.get("/theme.css").get_data(as_text=True)


def _png(size=(1200, 300), colour=(200, 30, 30, 0), fmt="PNG") -> bytes:
    out = BytesIO()
    Image.new("RGBA" if fmt == "PNG" else "RGB", size,
              colour if fmt == "PNG" else colour[:3]).save(out, fmt)
    return out.getvalue()


def test_an_admin_changes_and_resets_colours_each_audited(app, ctx, admin, client_for):
    registry = get_registry()
    theme_primary = registry.base_options("reseau")["color-primary"]
    changed = appearance.change_options(
        db.session, _instance(), _member(admin), registry,
        {"color-primary": "#0B5A3C", "header-bg": "#123"}, ip="10.0.0.7")
    assert changed == ["color-primary", "header-bg"]
    assert _instance().overrides["theme_options"] == {"color-primary": "#0b5a3c",
                                                      "header-bg": "#112233"}
    assert [(e.data["key"], e.data["old"], e.data["new"], e.ip) for e in _audit()] == [
        ("theme_options.color-primary", theme_primary, "#0b5a3c", "10.0.0.7"),
        ("theme_options.header-bg", registry.base_options("reseau")["header-bg"], "#112233",
         "10.0.0.7")]
    visitor = client_for("reseau")
    css = _css(visitor)
    assert "--color-primary: #0b5a3c;" in css and "--header-bg: #112233;" in css
    # The other instances keep their look.
    assert "#0b5a3c" not in _css(client_for("academia"))
    # The stylesheet's address changes with it: browsers do not keep the old colours.
    home = visitor.get("/").get_data(as_text=True)
    version = re.search(r'theme\.css\?v=([0-9a-f]+)', home).group(1)
    assert appearance.change_options(db.session, _instance(), _member(admin), registry, {},
                                     reset=["color-primary"]) == ["color-primary"]
    assert f"v={version}" not in visitor.get("/").get_data(as_text=True)
    assert f"--color-primary: {theme_primary};" in _css(visitor)
    assert _instance().overrides["theme_options"] == {"header-bg": "#112233"}
    assert _audit()[-1].data == {"key": "theme_options.color-primary", "old": "#0b5a3c",
                                 "new": theme_primary, "reset": True}
    # The same values again: nothing changes, nothing recorded.
    assert appearance.change_options(db.session, _instance(), _member(admin), registry,
                                     {"header-bg": "#112233"}) == []
    assert len(_audit()) == 3


@pytest.mark.parametrize(("name", "value"), [
    ("color-primary", "red"), ("color-primary", "#12345"), ("color-primary", "#gggggg"),
    ("color-primary", "#fff;}body{x:1"), ("color-primary", "#ffffff</style>"),
    ("color-primary", 12), ("font-body", "Comic Sans MS"), ("logo", "classic-logo.svg"),
    ("radius", "0"),
])
def test_a_bad_value_saves_nothing(ctx, admin, name, value):
    before = dict(_instance().overrides)
    with pytest.raises(ValidationFailed) as caught:
        appearance.change_options(db.session, _instance(), _member(admin), get_registry(),
                                  {"color-accent": "#00aa00", name: value})
    assert set(caught.value.fields) == {name}
    db.session.rollback()
    assert _instance().overrides == before and not _audit()


def test_unreadable_text_is_refused_and_a_readable_pair_accepted(ctx, admin):
    registry = get_registry()
    with pytest.raises(ValidationFailed) as caught:
        appearance.change_options(db.session, _instance(), _member(admin), registry,
                                  {"color-text": "#dddddd"})
    assert set(caught.value.fields) == {"color-text"}
    assert "hard to read" in caught.value.fields["color-text"]
    db.session.rollback()
    # A light header text needs a dark header: both at once pass, one alone does not.
    with pytest.raises(ValidationFailed):
        appearance.change_options(db.session, _instance(), _member(admin), registry,
                                  {"header-bg": "#fafafa", "header-text": "#ffffff"})
    db.session.rollback()
    assert appearance.change_options(db.session, _instance(), _member(admin), registry,
                                     {"header-bg": "#fafafa", "header-text": "#222222"}) == [
        "header-bg", "header-text"]
    # A background change that would hide the text is refused on the background.
    with pytest.raises(ValidationFailed) as caught:
        appearance.change_options(db.session, _instance(), _member(admin), registry,
                                  {"header-bg": "#333333"})
    assert set(caught.value.fields) == {"header-bg"}


def test_contrast_is_wcag():
    assert appearance.contrast("#000000", "#ffffff") == pytest.approx(21)
    assert appearance.contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert appearance.contrast("#ffffff", "#ffffff") == pytest.approx(1)


def test_only_admins(app, ctx, create_member, login, admin):
    moderator = create_member("reseau", role="moderator")
    with pytest.raises(Forbidden):
        appearance.change_options(db.session, _instance(), _member(moderator), get_registry(),
                                  {"color-accent": "#00aa00"})
    db.session.rollback()
    other_admin = create_member("academia", role="admin")
    with pytest.raises(ServiceError):
        appearance.list_options(db.session, _instance(), _member(other_admin), get_registry())
    db.session.rollback()
    client = login(moderator, "reseau")
    assert client.get("/admin/appearance").status_code == 403
    assert client.post("/admin/appearance", data={"color-accent": "#00aa00"}).status_code == 403
    assert client.post("/admin/appearance/logo", data={
        "logo": (BytesIO(_png()), "logo.png")}).status_code == 403
    db.session.rollback()
    assert "theme_options" not in _instance().overrides


def test_the_page_saves_shows_errors_and_resets(app, login, admin, client_for):
    client = login(admin, "reseau")
    html = client.get("/admin/appearance").get_data(as_text=True)
    assert "Appearance" in html and 'type="color"' in html
    with app.app_context():
        listed = {o.name: o.value for o in appearance.list_options(
            db.session, _instance(), _member(admin), get_registry(app))}
    form = {name: listed[name] for name in appearance.COLOURS}
    # Sending the page unchanged pins nothing.
    assert client.post("/admin/appearance", data=form).status_code == 303
    assert "theme_options" not in _overrides(app)
    answer = client.post("/admin/appearance", data={**form, "color-accent": "#AA3300"})
    assert answer.status_code == 303
    assert _overrides(app)["theme_options"] == {"color-accent": "#aa3300"}
    page = client.get("/admin/appearance").get_data(as_text=True)
    assert "Changed here. The theme says:" in page
    bad = client.post("/admin/appearance", data={**form, "color-text": "#eeeeee",
                                                 "color-accent": "#000000"})
    assert bad.status_code == 422
    assert "hard to read" in bad.get_data(as_text=True)
    assert _overrides(app)["theme_options"] == {"color-accent": "#aa3300"}
    reset = client.post("/admin/appearance/color-accent/reset")
    assert reset.status_code == 303
    assert "theme_options" not in _overrides(app)
    french = client_for("reseau")
    assert french.get("/admin/appearance").status_code in (302, 303, 401)  # signed out


def test_a_logo_is_uploaded_re_encoded_served_and_reset(app, login, admin, client_for):
    client = login(admin, "reseau")
    answer = client.post("/admin/appearance/logo", data={
        "logo": (BytesIO(_png((2400, 600))), "logo.png")})
    assert answer.status_code == 303
    name = _overrides(app)["theme_options"]["logo"]
    assert logos.LOGO_NAME.match(name)
    with app.app_context():
        assert _audit()[-1].data["key"] == "theme_options.logo"
    visitor = client_for("reseau")
    assert f"/theme/{name}" in visitor.get("/").get_data(as_text=True)  # in the header
    served = visitor.get(f"/theme/{name}")
    assert served.status_code == 200 and served.mimetype == "image/png"
    image = Image.open(BytesIO(served.data))
    served.close()
    assert image.size == (768, 192) and image.mode == "RGBA"  # shrunk, transparency kept
    # Served by its own instance only.
    assert client_for("academia").get(f"/theme/{name}").status_code == 404
    # Each upload is a new name; the previous one is kept a while, older ones go.
    for _ in range(2):
        client.post("/admin/appearance/logo", data={
            "logo": (BytesIO(_png(fmt="JPEG")), "logo.jpg")})
    with app.app_context():
        folder = logos.logo_dir(app.config["VAR_DIR"], _instance())
    current = _overrides(app)["theme_options"]["logo"]
    assert len(list(folder.glob("logo-*.png"))) == 2 and (folder / current).is_file()
    assert visitor.get(f"/theme/{name}").status_code == 404
    assert client.post("/admin/appearance/logo/reset").status_code == 303
    assert "theme_options" not in _overrides(app)
    theme_logo = get_registry(app).base_options("reseau")["logo"]
    assert f"/theme/{theme_logo}" in visitor.get("/").get_data(as_text=True)


@pytest.mark.parametrize(("data", "message"), [
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
     "must be a PNG, JPEG or WebP"),
    (b"not an image at all", "must be a PNG, JPEG or WebP"),
    (_png((3000, 100)), "too narrow or too wide"),
    (_png((4000, 3500)), "too many pixels"),
    (b"", "Choose an image file"),
])
def test_a_bad_logo_is_refused_on_the_page(app, login, admin, data, message):
    _refused(app, login, admin, data, message)


def test_a_logo_over_the_size_limit_is_refused(app, login, admin, monkeypatch):
    # (a small limit: the test client spools multi-megabyte bodies to files it leaves open)
    monkeypatch.setattr(logos, "MAX_LOGO_BYTES", 4000)
    _refused(app, login, admin, _png((900, 200), (1, 2, 3, 255)) + b"0" * 5000,
             "The logo is too large (at most 0.0 MB)")


def _refused(app, login, admin, data, message):
    client = login(admin, "reseau")
    answer = client.post("/admin/appearance/logo", data={"logo": (BytesIO(data), "x.svg")})
    assert answer.status_code == 422
    assert message in answer.get_data(as_text=True)
    assert "theme_options" not in _overrides(app)
    with app.app_context():
        assert not _audit()


def test_other_processes_follow_and_a_tampered_row_is_not_served(app, ctx, admin):
    appearance.change_options(db.session, _instance(), _member(admin), get_registry(),
                              {"color-accent": "#00aa00"})
    other = InstanceRegistry(Path(app.config["INSTANCES_DIR"]), Path(app.config["THEMES_DIR"]))
    assert other.options["reseau"]["color-accent"] != "#00aa00"  # files only, before a refresh
    assert other.refresh(db.session, force=True)
    assert other.options["reseau"]["color-accent"] == "#00aa00"
    instance = _instance()
    instance.overrides = {"theme_options": {"color-accent": "red;}</style><script>x()</script>",
                                            "color-bg": "#ffffff", "Bad Name": "#000000"}}
    db.session.commit()
    assert other.refresh(db.session, force=True)
    served = other.options["reseau"]
    assert "<script>" not in served["color-accent"] and served["color-bg"] == "#ffffff"
    assert "Bad Name" not in served
