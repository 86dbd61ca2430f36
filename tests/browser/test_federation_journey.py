"""People on other servers, in Chromium at 1280 and 390 px, with axe: the "People on other
servers" section of My network (a request from them, one sent, a connection, each marked
"from <server>"), the lookup page with its error, and the contacts page's remote section."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from maillon.db import db
from maillon.federation import membership, policy
from maillon.federation.models import RemoteActor, RemoteConnection
from maillon.members.models import Member
from maillon.tenancy.models import Instance
from tests.browser.a11y import problems
from tests.browser.conftest import _log_in

pytestmark = pytest.mark.browser
WIDTHS = (1280, 390)


def _world(app: Any, create_member: Any, locale: str) -> Member:
    admin = create_member("reseau", role="admin", name="Admin Reseau")
    member = create_member("reseau", name="Ada Lovelace", locale=locale)
    with app.app_context():
        instance = db.session.scalar(select(Instance).where(Instance.slug == "reseau"))
        assert instance is not None
        policy.change_policy(db.session, instance, db.session.get(Member, admin.id),
                             {"mode": "blocklist"})
        membership.change_member_federation(db.session, instance,
                                            db.session.get(Member, member.id),
                                            {"enabled": True})
        for n, status in enumerate(("requested", "pending", "connected")):
            uri = f"https://social.example/users/person{n}"
            actor = RemoteActor(instance_id=instance.id, uri=uri, inbox=f"{uri}/inbox",
                                handle=f"person{n}@social.example",
                                name=f"Remote Person With A Rather Long Name {n}",
                                summary="Builds bridges between communities", url=uri)
            db.session.add(actor)
            db.session.flush()
            db.session.add(RemoteConnection(instance_id=instance.id, member_id=member.id,
                                            remote_actor_id=actor.id, status=status,
                                            follow_id=f"{uri}/follows/1",
                                            our_follow_id=f"{uri}/ours"))
        db.session.commit()
    return member


def _check(page: Any, url: str, status: int = 200) -> list[str]:
    response = page.goto(url)
    assert response is not None and response.status == status, (url, response and
                                                                 response.status)
    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        found += [f"{url} @{width}px: {p}" for p in problems(page)]
        # Nothing sticks out sideways at either width.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width, (url, width)
    return found


@pytest.mark.parametrize(("locale", "marker", "sent"), [
    ("en", "from social.example", "Requests sent to other servers"),
    ("fr", "de social.example", "Demandes envoyées à d’autres serveurs"),
])
def test_people_on_other_servers_pass_axe_at_both_widths(app, create_member, live_server,
                                                         browser, axe, locale, marker, sent):
    member = _world(app, create_member, locale)
    base = f"http://reseau.localhost:{live_server}"
    page = _log_in(browser, base, member.email, bypass_csp=True)
    found = _check(page, f"{base}/network")
    section = page.locator("#remote")
    assert section.locator(".remote-marker").first.inner_text() == marker
    assert section.locator(f"text={sent}").is_visible()
    assert section.locator("input#remote-address").is_visible()
    found += _check(page, f"{base}/network/remote")
    found += _check(page, f"{base}/network/remote?address=not+an+address", status=422)
    assert page.locator("[role=alert]").is_visible()
    found += _check(page, f"{base}/members/{member.id}/contacts")
    assert page.locator("#remote-contacts .remote-marker").count() == 1  # connected only
    page.context.close()
    assert found == []
