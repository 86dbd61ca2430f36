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
from maillon.members import photo_store, photos
from maillon.members.models import Member
from maillon.tenancy.models import Instance

Login = Callable[..., FlaskClient]


def _image(fmt: str, size: tuple[int, int] = (800, 500), *, mode: str = "RGB") -> bytes:
    colours: dict[str, int | tuple[int, ...]] = {"RGB": (200, 30, 30),
                                                 "RGBA": (200, 30, 30, 128), "L": 128}
    colour = colours[mode]
    image = Image.new(mode, size, colour)
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
    photo = photos.prepare_photo(raw.getvalue())
    name = photo_store.set_photo(db.session, instance, member, photo, tmp_path)
    with Image.open(photo_store.photo_dir(tmp_path, instance) / name) as stored:
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


def test_other_image_formats_are_refused(ctx: Any) -> None:
    for fmt in ("GIF", "BMP"):
        with pytest.raises(ValidationFailed) as info:
            photos.prepare_photo(_image(fmt))
        assert "photo" in info.value.fields


def test_oversize_upload_is_refused(ctx: Any) -> None:
    data = _image("PNG")
    assert photos.read_upload(BytesIO(data), len(data)) == data
    with pytest.raises(ValidationFailed) as info:
        photos.read_upload(BytesIO(data), len(data) - 1)
    assert "too large" in info.value.fields["photo"]


def test_oversize_upload_page_shows_an_error(app: Any, create_member: Callable[..., Member],
                                             login: Login) -> None:
    app.config["MAX_PHOTO_BYTES"] = 1000
    member = create_member("reseau", locale="en")
    response = login(member).post("/profile/photo", content_type="multipart/form-data", data={
        "photo": (BytesIO(_image("PNG", (900, 900)) + b"\0" * 5000), "big.png")})
    assert response.status_code == 422
    assert "too large" in response.get_data(as_text=True)


def test_decompression_bomb_is_refused(ctx: Any) -> None:
    bomb = _image("PNG", (8000, 6000), mode="RGB")  # 48 megapixels, a small file
    assert len(bomb) < 5 * 1024 * 1024
    with pytest.raises(ValidationFailed) as info:
        photos.prepare_photo(bomb)
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


# --- bounded decoding, outside any transaction ----------------------------------------------

def _refused_without_decoding(data: bytes, monkeypatch: pytest.MonkeyPatch) -> str:
    """The error for ``data``, asserting no pixel was decoded to find it."""
    from PIL import ImageFile

    def no_decoding(self: Any) -> Any:
        raise AssertionError("pixels decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    with pytest.raises(ValidationFailed) as info:
        photos.prepare_photo(data)
    return info.value.fields["photo"]


def test_a_long_side_is_refused_from_the_header(ctx: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The attack of the issue: 16383 x 2400 (under the old pixel cap) cost 1.5 s and 300 MB."""
    strip = _image("PNG", (16383, 2400), mode="L")
    assert "at most 10000 pixels a side" in _refused_without_decoding(strip, monkeypatch)


def test_a_stripe_is_not_a_profile_photo(ctx: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    stripe = _image("WEBP", (4100, 1000))  # 4.1 megapixels, but 4.1 to 1
    assert "too narrow or too wide" in _refused_without_decoding(stripe, monkeypatch)


def test_png_and_webp_are_capped_lower_than_jpeg(ctx: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    big_png = _image("PNG", (4000, 3200), mode="L")  # 12.8 megapixels, decoded in full
    assert "too many pixels" in _refused_without_decoding(big_png, monkeypatch)


def test_large_jpeg_is_decoded_at_reduced_scale(ctx: Any) -> None:
    """A 24-megapixel camera JPEG is accepted, and never decoded at full size (draft)."""
    data = _image("JPEG", (6000, 4000))
    decoded = photos._decode(data)
    assert decoded.size[0] <= 6000 // 4 and min(decoded.size) >= photos.PHOTO_SIZE
    with Image.open(BytesIO(photos.prepare_photo(data).jpeg)) as stored:
        assert stored.size == (400, 400)


def test_decoding_runs_outside_any_transaction(
        app: Any, create_member: Callable[..., Member], login: Login,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """While the upload is decoded the request holds no transaction (so, on SQLite, not the
    write lock: another process can write meanwhile)."""
    import sqlite3

    member = create_member("reseau")
    client = login(member)
    real = photos.prepare_photo
    seen: list[str] = []

    def spy(data: bytes) -> photos.PreparedPhoto:
        seen.append(f"in transaction: {db.registry().in_transaction()}")
        url = app.config["DATABASE_URL"]
        if url.startswith("sqlite:///"):
            other = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0,
                                    isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")  # fails at once if the lock were held
                other.execute("ROLLBACK")
                seen.append("write lock free")
            finally:
                other.close()
        return real(data)

    monkeypatch.setattr(photos, "prepare_photo", spy)
    response = client.post("/profile/photo", content_type="multipart/form-data",
                           data={"photo": (BytesIO(_image("PNG")), "me.png")})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert seen[0] == "in transaction: False"
    if app.config["DATABASE_URL"].startswith("sqlite"):
        assert seen[1:] == ["write lock free"]
    assert _photo_file(app, member).exists()


def test_photo_cache_headers_and_revalidation(
        app: Any, create_member: Callable[..., Member], login: Login) -> None:
    member = create_member("reseau")
    client = login(member)
    client.post("/profile/photo", content_type="multipart/form-data",
                data={"photo": (BytesIO(_image("PNG")), "a.png")})
    path = _photo_file(app, member)
    url = f"/members/{member.id}/photo/{path.name}"
    response = client.get(url)
    assert response.status_code == 200
    etag = response.headers["ETag"]
    assert etag == f'"{path.stem}"'
    assert response.cache_control.private
    assert not response.cache_control.public and not response.cache_control.immutable
    assert response.cache_control.max_age == 86400
    assert "Cookie" in response.vary
    response.close()
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    again.close()
    # Revalidation goes through the access check: once the member is suspended, another
    # viewer's cached copy is not confirmed any more.
    viewer = login(create_member("reseau"))
    other = viewer.get(url, headers={"If-None-Match": etag})
    assert other.status_code == 304
    other.close()
    with app.app_context():
        loaded = db.session.get(Member, member.id)
        assert loaded is not None
        loaded.status = "suspended"
        db.session.commit()
    assert viewer.get(url, headers={"If-None-Match": etag}).status_code == 404
