"""An organisation with a recruiter (its admin), two ambassadors and their contacts, made
through the services, with the search index built."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from maillon.db import db
from maillon.members.models import Member
from maillon.notifications.models import Notification
from maillon.opportunities import services
from maillon.opportunities.models import Relay
from tests.organisations.world import OrgWorld

JOB = {"kind": "job", "title": "Data engineer for our robotics line",
       "text": "Build the data pipelines of our robot fleet, in Python.",
       "skills": ["Python", "Data engineering"], "location": "Lyon"}


class OppWorld(OrgWorld):
    def notes(self, member_id: int, kind: str) -> list[Notification]:
        with self.app.app_context():
            return list(db.session.scalars(select(Notification).where(
                Notification.member_id == member_id, Notification.kind == kind)))

    def get_detached(self, member_id: int) -> Member:
        with self.app.app_context():
            member = self.get(member_id)
            db.session.expunge(member)
            return member

    def relays(self, opportunity_id: int) -> list[tuple[int, int, str | None]]:
        with self.app.app_context():
            return [(r.ambassador_id, r.contact_id, r.answer) for r in db.session.scalars(
                select(Relay).where(Relay.opportunity_id == opportunity_id).order_by(Relay.id))]

    def post(self, poster: int, **fields: Any) -> int:
        return int(self.call(services.post_opportunity, poster, {**JOB, **fields}).id)

    def relay(self, ambassador: int, opportunity_id: int, contact: int, note: str = "") -> int:
        relay, _ = self.call(services.relay_opportunity, ambassador, opportunity_id,
                             {"member_id": contact, "note": note})
        return int(relay.id)

    def suggested(self, ambassador: int, opportunity_id: int) -> list[int]:
        return [s.member.id for s in self.call(services.suggest_contacts, ambassador,
                                               opportunity_id)]


@dataclass
class Cast:
    recruiter: int  # admin of Acme Robotics
    org: int
    amb1: int  # Bea Ambassador, confirmed current member
    amb2: int  # Abel Ambassador, confirmed current member
    python: int  # Paula Python, contact of amb1 and amb2
    cook: int  # Carl Cook, contact of amb1 (does not fit)
    hidden: int  # Hana Hidden, a Python developer out of the directory, contact of amb1
    python2: int  # Piet Python, contact of amb2
    asker: int  # Asa Asker, connected to amb1 only
    stranger: int  # connected to nobody


def make_cast(world: OppWorld, run_jobs: Callable[[], int]) -> Cast:
    # The poster and the ambassadors fit the job too: they must never be suggested.
    recruiter = world.verified("Rita Recruiter", "rita@robotics.example",
                               headline="Python data lead", skills=["Python"])
    org = world.organisation(recruiter, "Acme Robotics")
    amb1 = world.member("Bea Ambassador")
    amb2 = world.member("Abel Ambassador", headline="Python engineer", skills=["Python"])
    for amb in (amb1, amb2):
        world.join(amb, org, role="Engineer", confirm_by=recruiter)
    python = world.member("Paula Python", headline="Data engineer", skills=["Python", "SQL"],
                          location="Lyon")
    cook = world.member("Carl Cook", headline="Chef", skills=["Cooking"], location="Nantes")
    hidden = world.member("Hana Hidden", headline="Python developer", skills=["Python"])
    python2 = world.member("Piet Python", headline="Python data engineer", skills=["Python"])
    asker = world.member("Asa Asker", headline="Data engineer", skills=["Python"])
    stranger = world.member("Stan Stranger", headline="Python data engineer")
    for a, b in ((amb1, python), (amb1, cook), (amb1, hidden), (amb2, python),
                 (amb2, python2), (asker, amb1), (recruiter, amb1), (amb1, amb2)):
        world.connect(a, b)
    run_jobs()
    # Hana leaves the directory after her profile was indexed (her indexing job not run yet):
    # from now on no suggestion may match her.
    world.update(hidden,
                 visibility={"in_directory": False, "contacts_visible_to": "connections"})
    return Cast(recruiter, org, amb1, amb2, python, cook, hidden, python2, asker, stranger)
