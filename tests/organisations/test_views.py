"""Organisation pages in French (academia) and English (acme): create, claim, confirm, reach,
who among us, the profile section; refusals shown on the page, never a 500."""

from __future__ import annotations

import re

from maillon.db import utcnow
from tests.organisations.world import OrgWorld

CSRF = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"'
)


def _csrf(page: str) -> str:
    match = CSRF.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def test_create_claim_confirm_in_french(app, create_member, login) -> None:
    ana = create_member(
        "academia", name="Ana", email="ana@ibv.example.fr", email_verified_at=utcnow()
    )
    client = login(ana, "academia")
    form = client.get("/organisations/new")
    assert form.status_code == 200 and "Créer une organisation" in form.get_data(as_text=True)
    refused = client.post(
        "/organisations/new",
        data={
            "csrf_token": _csrf(form.get_data(as_text=True)),
            "name": "",
            "sector": "research",
            "website": "pas un site",
        },
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Ce champ est obligatoire." in page
    assert "Donnez l’adresse d’un site web" in page
    created = client.post(
        "/organisations/new",
        data={
            "csrf_token": _csrf(page),
            "name": "IBV – Institut de biologie du vivant",
            "sector": "research",
            "locations": "Montpellier",
            "email_domains": "ibv.example.fr",
            "website": "ibv.example.fr",
            "description": "Un institut.",
        },
    )
    assert created.status_code == 302
    show = client.get(created.headers["Location"])
    text = show.get_data(as_text=True)
    assert show.status_code == 200 and "Montpellier" in text and "Modifier la page" in text
    assert "Notre portée" in text  # its admin sees the reach

    eve = create_member("academia", name="Eve")
    other = login(eve, "academia")
    org_page = other.get(created.headers["Location"]).get_data(as_text=True)
    assert "J’appartiens à cette organisation" in org_page and "Notre portée" not in org_page
    org_id = int(created.headers["Location"].rsplit("/", 1)[1])
    claimed = other.post(
        f"/organisations/{org_id}/affiliation",
        data={"csrf_token": _csrf(org_page), "role": "Ingénieure", "current": "current"},
        follow_redirects=True,
    )
    assert "attend la confirmation" in claimed.get_data(as_text=True)
    claims = client.get(f"/organisations/{org_id}/claims").get_data(as_text=True)
    assert "Eve" in claims and "Ingénieure" in claims
    affiliation = re.search(r"/affiliations/(\d+)/confirm", claims)
    assert affiliation
    done = client.post(
        f"/affiliations/{affiliation.group(1)}/confirm",
        data={"csrf_token": _csrf(claims), "back": "claims"},
        follow_redirects=True,
    )
    assert "Confirmée." in done.get_data(as_text=True)
    profile = other.get(f"/members/{eve.id}").get_data(as_text=True)
    assert "IBV – Institut de biologie du vivant" in profile and "Ingénieure" in profile
    reach = other.get(f"/organisations/{org_id}/reach")
    assert reach.status_code == 200 and "Portée d’IBV" in reach.get_data(as_text=True)


def test_who_among_us_in_english(app, create_member, login) -> None:
    world = OrgWorld(app, create_member, "acme")
    boss = world.member("Boss", role="admin")
    paris = world.organisation(boss, "Acme Paris")
    lyon = world.organisation(boss, "Acme Lyon")
    me, colleague, target = world.members("Me", "Colleague", "Target")
    world.join(me, paris, confirm_by=boss)
    world.join(colleague, paris, confirm_by=boss)
    world.join(target, lyon, confirm_by=boss)
    world.update(colleague, visibility={"in_directory": True, "contacts_visible_to": "members"})
    world.connect(colleague, target, 4, 4)
    with app.app_context():
        from maillon.db import db

        member = world.get(me)
        db.session.expunge(member)
    client = login(member, "acme")
    page = client.get(f"/organisations/{lyon}").get_data(as_text=True)
    assert "Who among us can introduce us to Acme Lyon?" in page
    asked = client.get(f"/organisations/ask?org={paris}&target_organisation_id={lyon}")
    assert asked.status_code == 302
    answer = client.get(asked.headers["Location"])
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Colleague" in text and "1 link away" in text
    assert client.get(f"/organisations/{paris}/introducers").status_code == 404
    stranger = world.member("Stranger")
    with app.app_context():
        outsider = world.get(stranger)
        db.session.expunge(outsider)
    refused = login(outsider, "acme").get(f"/organisations/{paris}/reach")
    assert refused.status_code == 403


def test_listing_and_search(app, create_member, login) -> None:
    world = OrgWorld(app, create_member, "acme")
    boss = world.member("Boss", role="admin")
    world.organisation(boss, "Acme Paris", sector="technology")
    world.organisation(boss, "Contoso", sector="industry")
    with app.app_context():
        member = world.get(boss)
        from maillon.db import db

        db.session.expunge(member)
    client = login(member, "acme")
    page = client.get("/organisations?q=conto&sector=industry").get_data(as_text=True)
    assert "Contoso" in page and "Acme Paris" not in page
    assert client.get("/organisations?page=abc&sector=nonsense").status_code == 200
    assert client.get("/organisations/999999").status_code == 404


def test_who_among_us_from_a_profile(app, create_member, login) -> None:
    world = OrgWorld(app, create_member, "acme")
    boss = world.member("Boss", role="admin")
    paris = world.organisation(boss, "Acme Paris")
    me, colleague, target = world.members("Me", "Colleague", "Target")
    world.join(me, paris, confirm_by=boss)
    world.join(colleague, paris, confirm_by=boss)
    world.update(target, visibility={"in_directory": True, "contacts_visible_to": "members"})
    world.connect(colleague, target, 4, 4)
    with app.app_context():
        from maillon.db import db

        member = world.get(me)
        db.session.expunge(member)
    client = login(member, "acme")
    profile = client.get(f"/members/{target}").get_data(as_text=True)
    assert "Who among us can introduce us to Target?" in profile
    asked = client.get(f"/organisations/ask?org={paris}&target_id={target}")
    answer = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert "Colleague" in answer and "1 link away" in answer


def test_growth_is_a_chart_with_its_numbers(app, create_member, login) -> None:
    from datetime import date, timedelta

    from maillon.db import db
    from maillon.organisations.models import ReachSnapshot

    world = OrgWorld(app, create_member, "acme")
    boss = world.member("Boss", role="admin")
    paris = world.organisation(boss, "Acme Paris")
    world.join(boss, paris, confirm_by=boss)
    first = date.today() - timedelta(days=2)
    figures = [(3, 40, 400), (4, 52, 610), (5, 57, 700)]
    with app.app_context():
        instance_id = world.get(boss).instance_id
        for offset, (members, second, third) in enumerate(figures):
            db.session.add(ReachSnapshot(instance_id=instance_id, organisation_id=paris,
                                         day=first + timedelta(days=offset), members=members,
                                         second_degree=second, third_degree=third))
        db.session.commit()
        admin = world.get(boss)
        db.session.expunge(admin)
    page = login(admin, "acme").get(f"/organisations/{paris}/reach").get_data(as_text=True)
    chart = page[page.index('id="chart-growth"'):]
    lines = re.findall(r'<polyline class="line series-(\d)" points="([^"]+)"', chart)
    assert [int(i) for i, _points in lines] == [0, 1, 2]
    assert all(len(points.split()) == len(figures) for _i, points in lines)
    # the third level rises: its last point is higher on the chart (smaller y) than its first
    third = [float(p.split(",")[1]) for p in lines[2][1].split()]
    assert third[0] > third[1] > third[2]
    rows = re.findall(r'<tr><th scope="row">[^<]+</th><td class="num">(\d+)</td>'
                      r'<td class="num">(\d+)</td><td class="num">(\d+)</td></tr>', chart)
    assert [tuple(map(int, r)) for r in rows] == figures
