"""Profile photos: real images accepted and normalised, everything else refused, served safely."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from PIL import Image

from maillon.db import db
from maillon.errors import ValidationFailed
from maillon.members import services
from maillon.members.models import Member
from maillon.tenancy.models import Instance

Login = Callable[..., FlaskClient]


def _image(fmt: str, size: tuple[int, int] = (800, 500), *, mode: str = "RGB") -> bytes:
    image = Image.new(mode, size, (200, 30, 30) if mode == "RGB" else (200, 30, 30, 128))
    out = BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def _member_and_instance(create_member: Callable[..., Member]) -> tuple[Member, Instance]:
    member = db.session.get(Member, create_member("reseau").id)
    assert member is not None
    instance = db.session.get(Instance, member.instance_id)
    assert instance is not None
    return member, instance


def _photo_file(app: Any, member: Member) -> Path:
    with app.app_context():
        loaded = db.session.get(Member, member.id)
        assert loaded is not None and loaded.photo
        return Path(app.config["VAR_DIR"]) / "media" / "reseau" / "photos" / loaded.photo


@pytest.mark.parametrize(("fmt", "mode"), [("PNG", "RGB"), ("PNG", "RGBA"), ("JPEG", "RGB"),
                                           ("WEBP", "RGB")])
def test_real_images_are_cropped_resized_and_reencoded(
        app: Any, create_member: Callable[..., Member], login: Login, fmt: str,
        mode: str) -> None:
    member = create_member("reseau")
    client = login(member)
    response = client.post("/profile/photo", content_type="multipart/form-data", data={
        "photo": (BytesIO(_image(fmt, mode=mode)), "me.png")})
    assert response.status_code == 302, response.get_data(as_text=True)
    path = _photo_file(app, member)
    with Image.open(path) as stored:
        assert stored.format == "JPEG"
        assert stored.size == (400, 400)
    html = client.get(f"/members/{member.id}").get_data(as_text=True)
    assert f"/members/{member.id}/photo/{path.name}" in html


def test_exif_is_stripped_and_orientation_applied(
        ctx: Any, create_member: Callable[..., Member], tmp_path: Path) -> None:
    member, instance = _member_and_instance(create_member)
    # Wide image, tall once the EXIF rotation is applied: a red left half becomes the top.
    image = Image.new("RGB", (600, 400), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 300, 400))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    exif[0x010F] = "SecretCam"  # camera make: must not survive
    raw = BytesIO()
    image.save(raw, "JPEG", exif=exif.tobytes())
    name = services.set_photo(db.session, instance, member, BytesIO(raw.getvalue()), tmp_path)
    with Image.open(services.photo_dir(tmp_path, instance) / name) as stored:
        assert not stored.getexif()
        assert "exif" not in stored.info
        top = stored.getpixel((200, 20))
        bottom = stored.getpixel((200, 380))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[0] > 200 and top[2] < 60  # red on top after rotation
    assert bottom[2] > 200 and bottom[0] < 60


def test_text_file_named_jpg_is_refused(app: Any, create_member: Callable[..., Member],
                                        login: Login) -> None:
    member = create_member("reseau", locale="en")
    client = login(member)
    response = client.post("/profile/photo", content_type="multipart/form-data", data={
        "photo": (BytesIO(b"<?php echo 'not an image'; ?>" * 10), "photo.jpg")})
    assert response.status_code == 422
    assert "not a JPEG, PNG or WebP image" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Member, member.id).photo is None  # type: ignore[union-attr]


def test_other_image_formats_are_refused(ctx: Any, create_member: Callable[..., Member],
                                         tmp_path: Path) -> None:
    member, instance = _member_and_instance(create_member)
    for fmt in ("GIF", "BMP"):
        with pytest.raises(ValidationFailed) as info:
            services.set_photo(db.session, instance, member, BytesIO(_image(fmt)), tmp_path)
        assert "photo" in info.value.fields


def test_oversize_upload_is_refused(ctx: Any, create_member: Callable[..., Member],
                                    tmp_path: Path) -> None:
    member, instance = _member_and_instance(create_member)
    data = _image("PNG")
    with pytest.raises(ValidationFailed) as info:
        services.set_photo(db.session, instance, member, BytesIO(data), tmp_path,
                           max_bytes=len(data) - 1)
    assert "too large" in info.value.fields["photo"]
    assert not services.photo_dir(tmp_path, instance).exists()


def test_oversize_upload_page_shows_an_error(app: Any, create_member: Callable[..., Member],
                                             login: Login) -> None:
    app.config["MAX_PHOTO_BYTES"] = 1000
    member = create_member("reseau", locale="en")
    response = login(member).post("/profile/photo", content_type="multipart/form-data", data={
        "photo": (BytesIO(_image("PNG", (900, 900)) + b"\0" * 5000), "big.png")})
    assert response.status_code == 422
    assert "too large" in response.get_data(as_text=True)


def test_decompression_bomb_is_refused(ctx: Any, create_member: Callable[..., Member],
                                       tmp_path: Path) -> None:
    member, instance = _member_and_instance(create_member)
    bomb = _image("PNG", (8000, 6000), mode="RGB")  # 48 megapixels, a small file
    assert len(bomb) < 5 * 1024 * 1024
    with pytest.raises(ValidationFailed) as info:
        services.set_photo(db.session, instance, member, BytesIO(bomb), tmp_path)
    assert "pixels" in info.value.fields["photo"]


def test_new_photo_replaces_the_old_file_and_removal_deletes_it(
        app: Any, create_member: Callable[..., Member], login: Login) -> None:
    member = create_member("reseau")
    client = login(member)
    client.post("/profile/photo", content_type="multipart/form-data",
                data={"photo": (BytesIO(_image("PNG")), "a.png")})
    first = _photo_file(app, member)
    client.post("/profile/photo", content_type="multipart/form-data",
                data={"photo": (BytesIO(_image("JPEG")), "b.jpg")})
    second = _photo_file(app, member)
    assert second != first and second.exists() and not first.exists()
    assert client.post("/profile/photo/delete").status_code == 302
    assert not second.exists()
    with app.app_context():
        assert db.session.get(Member, member.id).photo is None  # type: ignore[union-attr]


def test_photo_is_served_only_within_its_instance(
        app: Any, create_member: Callable[..., Member], login: Login,
        client_for: Callable[[str], FlaskClient]) -> None:
    member = create_member("reseau")
    client = login(member)
    client.post("/profile/photo", content_type="multipart/form-data",
                data={"photo": (BytesIO(_image("PNG")), "a.png")})
    name = _photo_file(app, member).name
    response = client.get(f"/members/{member.id}/photo/{name}")
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.cache_control.max_age >= 86400 * 30
    response.close()
    assert client.get(f"/members/{member.id}/photo/{'0' * 32}.jpg").status_code == 404
    assert client.get(f"/members/{member.id}/photo/..%2Fsecret_key").status_code == 404
    acme = client_for("acme")
    assert acme.get(f"/members/{member.id}/photo/{name}").status_code == 404


def test_upload_over_the_request_limit_answers_on_the_edit_page(
        app_config: dict[str, Any], create_member: Callable[..., Member]) -> None:
    """With CSRF on (as in production) the body is refused while the token is read, before the
    view runs; the member still gets the edit page with the limit, not a bare error page."""
    import re

    from maillon import create_app
    from tests.conftest import PASSWORD, InstanceClient

    app_config["WTF_CSRF_ENABLED"] = True
    app_config["MAX_CONTENT_LENGTH"] = 3000
    app = create_app(app_config)
    client = InstanceClient(app, app.response_class, use_cookies=True,
                            base_url="http://acme.localhost")
    member = create_member("acme", locale="en")

    def token(path: str) -> str:
        page = client.get(path).get_data(as_text=True)
        found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert found is not None
        return found.group(1)

    assert client.post("/login", data={"email": member.email, "password": PASSWORD,
                                       "csrf_token": token("/login")}).status_code == 302
    csrf = token("/profile/edit")
    response = client.post("/profile/photo", content_type="multipart/form-data", data={
        "csrf_token": csrf, "photo": (BytesIO(b"x" * 10_000), "big.png")})
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "The photo is too large (at most 5.0 MB)." in page
    assert 'name="headline"' in page  # the edit page, with the member's form
    # Elsewhere an oversized body still gets the ordinary themed error page.
    response = client.post("/profile/edit", data={"csrf_token": csrf, "summary": "x" * 10_000})
    assert response.status_code == 413
    assert "Too large" in response.get_data(as_text=True)
    app.extensions["maillon.engine"].dispose()
