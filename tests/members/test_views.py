"""Profile pages: viewing, editing, sub-pages, escaping, tenancy and language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from maillon.db import db
from maillon.members.models import Education, Experience, Member

Login = Callable[..., FlaskClient]


def _reload(app: Any, member: Member) -> Member:
    with app.app_context():
        loaded = db.session.get(Member, member.id)
        assert loaded is not None
        loaded.experiences, loaded.education  # noqa: B018 - load before the session closes
        db.session.expunge(loaded)
        return loaded


def test_profile_page_shows_the_profile(create_member: Callable[..., Member],
                                        login: Login) -> None:
    ada = create_member("reseau", name="Ada Lovelace", headline="Analyst", position="Engineer",
                        organisation="Engines", location="London", skills=["Maths", "Poetry"],
                        summary="First line\nsecond line\n\nAnother paragraph",
                        offers="Advice on engines", seeks="Funding",
                        open_to_opportunities=True)
    viewer = create_member("reseau")
    html = login(viewer).get(f"/members/{ada.id}").get_data(as_text=True)
    assert "<h1 id=\"profile-name\">Ada Lovelace</h1>" in html
    assert "Engineer" in html and "Engines" in html and "London" in html
    assert '<span class="skill-name">Maths</span>' in html
    assert "<p>First line<br>second line</p>" in html
    assert "<p>Another paragraph</p>" in html
    assert "Advice on engines" in html and "Funding" in html
    assert "avatar-initials" in html and ">AL<" in html
    assert "/profile/edit" not in html.split("<main", 1)[1]


def test_own_profile_links_to_editing(create_member: Callable[..., Member],
                                      login: Login) -> None:
    ada = create_member("reseau")
    html = login(ada).get(f"/members/{ada.id}").get_data(as_text=True)
    assert 'href="/profile/edit"' in html


def test_user_text_is_escaped(create_member: Callable[..., Member], login: Login) -> None:
    evil = create_member("reseau", name="<script>alert(1)</script>",
                         summary="<script>alert(2)</script>\n<b>bold</b>",
                         skills=["<img src=x onerror=alert(3)>"])
    viewer = create_member("reseau")
    client = login(viewer)
    for path in (f"/members/{evil.id}", "/members"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html
        assert "<img src=x" not in html
    html = client.get(f"/members/{evil.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_profile_of_another_instance_is_not_found(create_member: Callable[..., Member],
                                                  login: Login) -> None:
    foreign = create_member("acme")
    viewer = create_member("reseau")
    client = login(viewer)
    assert client.get(f"/members/{foreign.id}").status_code == 404


def test_hidden_or_suspended_members_are_not_found_for_others(
        create_member: Callable[..., Member], login: Login) -> None:
    suspended = create_member("reseau", status="suspended")
    unverified = create_member("reseau", status="unverified")
    viewer = create_member("reseau")
    client = login(viewer)
    assert client.get(f"/members/{suspended.id}").status_code == 404
    assert client.get(f"/members/{unverified.id}").status_code == 404


def test_profile_needs_login(create_member: Callable[..., Member],
                             client_for: Callable[[str], FlaskClient]) -> None:
    ada = create_member("reseau")
    response = client_for("reseau").get(f"/members/{ada.id}")
    assert response.status_code in (302, 401)


def test_directory_lists_visible_members_only(create_member: Callable[..., Member],
                                              login: Login) -> None:
    create_member("reseau", name="Visible Person")
    create_member("reseau", name="Hidden Person",
                  visibility={"in_directory": False, "contacts_visible_to": "nobody"})
    create_member("acme", name="Foreign Person")
    viewer = create_member("reseau", name="Viewer")
    html = login(viewer).get("/members").get_data(as_text=True)
    assert "Visible Person" in html
    assert "Hidden Person" not in html and "Foreign Person" not in html


def _profile_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Grace Hopper", "headline": "Rear admiral", "position": "Scientist",
        "organisation": "Navy", "location": "Arlington", "skills": "COBOL, cobol, compilers",
        "summary": "Hello", "offers": "Mentoring", "seeks": "Bugs",
        "open_to_opportunities": "y", "direct": "anyone", "introductions": "y",
        "purposes": ["research", "advice"], "max_hops": "3", "relaying": "busy",
        "contacts_visible_to": "members", "locale": "en",
    }
    data.update(overrides)
    return data


def test_edit_profile_form_saves_everything(app: Any, create_member: Callable[..., Member],
                                            login: Login) -> None:
    grace = create_member("reseau")
    client = login(grace)
    assert client.get("/profile/edit").status_code == 200
    response = client.post("/profile/edit", data=_profile_form())
    assert response.status_code == 302, response.get_data(as_text=True)
    saved = _reload(app, grace)
    assert saved.name == "Grace Hopper"
    assert saved.skills == ["COBOL", "compilers"]
    assert saved.open_to_opportunities is True
    assert saved.contact_policy == {"direct": "anyone", "introductions": True,
                                    "purposes": ["research", "advice"], "max_hops": 3}
    assert saved.relaying == "busy"
    assert saved.visibility == {"in_directory": False, "contacts_visible_to": "members"}
    assert saved.locale == "en"


def test_edit_profile_shows_field_errors_and_saves_nothing(
        app: Any, create_member: Callable[..., Member], login: Login) -> None:
    grace = create_member("reseau", name="Grace")
    client = login(grace)
    response = client.post("/profile/edit", data=_profile_form(
        name="New name", skills=", ".join(f"s{i}" for i in range(60))))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="field-error"' in html and "50" in html
    assert _reload(app, grace).name == "Grace"
    response = client.post("/profile/edit", data=_profile_form(relaying="never", name=""))
    assert response.status_code == 422
    assert _reload(app, grace).name == "Grace"


def test_experience_and_education_sub_pages(app: Any, create_member: Callable[..., Member],
                                            login: Login) -> None:
    ada = create_member("reseau")
    client = login(ada)
    assert client.get("/profile/experiences/new").status_code == 200
    response = client.post("/profile/experiences/new", data={
        "title": "Analyst", "organisation": "Engines", "start_date": "2020-03-01",
        "end_date": "2019-01-01"})
    assert response.status_code == 422
    assert "La fin précède le début." in response.get_data(as_text=True)
    response = client.post("/profile/experiences/new", data={
        "title": "Analyst", "organisation": "Engines", "start_date": "2020-03-01"})
    assert response.status_code == 302
    response = client.post("/profile/education/new", data={
        "school": "Home schooling", "degree": "Maths", "start_year": "1830",
        "end_year": ""})
    assert response.status_code == 422  # before 1900
    response = client.post("/profile/education/new", data={
        "school": "Sorbonne", "degree": "Maths", "start_year": "2001", "end_year": "2005"})
    assert response.status_code == 302
    saved = _reload(app, ada)
    [experience], [education] = saved.experiences, saved.education
    html = client.get(f"/members/{ada.id}").get_data(as_text=True)
    assert "Analyst" in html and "Sorbonne" in html and "2001 – 2005" in html
    assert "mars 2020" in html  # reseau speaks French: dates follow the page's language
    response = client.post(f"/profile/experiences/{experience.id}/edit", data={
        "title": "Lead analyst", "start_date": "2020-03-01"})
    assert response.status_code == 302
    assert _reload(app, ada).experiences[0].title == "Lead analyst"
    assert client.post(f"/profile/experiences/{experience.id}/delete").status_code == 302
    assert client.post(f"/profile/education/{education.id}/delete").status_code == 302
    saved = _reload(app, ada)
    assert saved.experiences == [] and saved.education == []


def test_editing_another_members_experience_is_not_found(
        app: Any, create_member: Callable[..., Member], login: Login) -> None:
    owner = create_member("reseau")
    foreign_owner = create_member("acme")
    with app.app_context():
        from maillon.members import experiences

        for who in (owner, foreign_owner):
            member = db.session.get(Member, who.id)
            assert member is not None
            experiences.add_experience(db.session, member, {"title": "Job",
                                                            "start_date": "2020-01-01"})
            experiences.add_education(db.session, member, {"school": "School"})
        experiences = list(db.session.scalars(select(Experience.id)))
        educations = list(db.session.scalars(select(Education.id)))
    intruder = create_member("reseau")
    client = login(intruder)
    for item in experiences:
        assert client.get(f"/profile/experiences/{item}/edit").status_code == 404
        assert client.post(f"/profile/experiences/{item}/edit", data={
            "title": "Hacked", "start_date": "2020-01-01"}).status_code == 404
        assert client.post(f"/profile/experiences/{item}/delete").status_code == 404
    for item in educations:
        assert client.post(f"/profile/education/{item}/edit",
                           data={"school": "Hacked"}).status_code == 404
        assert client.post(f"/profile/education/{item}/delete").status_code == 404
    assert _reload(app, owner).experiences[0].title == "Job"


def test_page_renders_in_the_members_language(create_member: Callable[..., Member],
                                              login: Login) -> None:
    french = create_member("acme", locale="fr")
    english = create_member("acme", locale="en")
    html = login(french, "acme").get(f"/members/{english.id}").get_data(as_text=True)
    assert 'lang="fr"' in html
    html = login(english, "acme").get(f"/members/{french.id}").get_data(as_text=True)
    assert 'lang="en"' in html



def test_numbers_beyond_the_database_never_500(create_member, login) -> None:
    member = create_member("acme", locale="en")
    client = login(member, "acme")
    huge = "9" * 25
    assert client.get(f"/members/{huge}").status_code == 404
    for path in ("/members", "/notifications", "/network", "/search?q=x", "/introductions",
                 f"/members/{member.id}/contacts"):
        sep = "&" if "?" in path else "?"
        assert client.get(f"{path}{sep}page={huge}").status_code == 200, path


def test_staff_find_the_way_to_moderate_a_profile(login, create_member):
    member = create_member("reseau", name="Paul Profil", locale="en")
    link = f'href="/moderation/members/{member.id}"'
    moderator = create_member("reseau", role="moderator", locale="en")
    assert link in login(moderator, "reseau").get(f"/members/{member.id}").get_data(as_text=True)
    visitor = create_member("reseau", locale="en")
    assert link not in login(visitor, "reseau").get(f"/members/{member.id}").get_data(
        as_text=True)
