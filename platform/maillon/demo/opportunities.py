"""Opportunities in the demo: on each instance one posted for its busiest organisation by one
of its admins (acme: a job, academia: a call for papers, reseau: a partnership), relayed by
three of its members to some of their contacts with a note, one interested answer (the
poster reads the vouch), one "not now", and a request for a referral waiting for an
ambassador; plus a personal purchase need.

Draws come from their own seeded generator (``<seed>:<slug>:opportunities``), after every
other demo step. Idempotent: an instance with any opportunity gets none.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from maillon.db import utcnow
from maillon.demo.hubs import _ordinary_members
from maillon.members.models import Member
from maillon.members.services import get_member
from maillon.moderation.sanctions import is_limited
from maillon.network.services import connection_ids
from maillon.opportunities import services
from maillon.opportunities.models import Opportunity
from maillon.opportunities.suggestions import eligible_contacts
from maillon.organisations.lifecycle import CONFIRMED
from maillon.organisations.models import Affiliation, OrganisationAdmin
from maillon.tenancy.models import Instance

PLANS = {
    "acme": {"kind": "job", "title": "Senior account manager, Lyon office",
             "text": "We are growing our Lyon team: an account manager to look after our "
             "key customers in the region, with our sales and support teams. Hybrid work, "
             "two days a week at the office.",
             "location": "Lyon",
             "notes": ["I think of you at once for this one.",
                       "Our team is great, and this role fits what you told me you want.",
                       "Worth a look: they are hiring now."],
             "interested": "Very interested: I can talk this week.",
             "purchase": ("Second-hand standing desks for our association",
                          "Our volunteer association looks for ten standing desks in good "
                          "condition, delivered in Lyon before spring.")},
    "academia": {"kind": "call", "title": "Appel à communications : journée d’étude "
                 "interdisciplinaire",
                 "text": "Notre laboratoire organise une journée d’étude au printemps. Nous "
                 "cherchons des communications de vingt minutes, toutes disciplines, sur les "
                 "méthodes partagées entre équipes.",
                 "location": "Lyon",
                 "notes": ["Ton travail sur le sujet serait parfait pour cette journée.",
                           "Je pense que cela t’intéressera.",
                           "Un appel qui correspond à tes recherches."],
                 "interested": "Avec plaisir : j’envoie un résumé la semaine prochaine.",
                 "purchase": ("Achat groupé de licences de logiciel d’analyse",
                              "Nous cherchons d’autres équipes pour un achat groupé de "
                              "licences d’un logiciel d’analyse statistique.")},
    "reseau": {"kind": "partnership", "title": "Partenariat : ateliers d’aide au numérique",
               "text": "Notre association cherche des structures partenaires pour animer des "
               "ateliers d’aide au numérique dans les quartiers, un samedi par mois.",
               "location": "",
               "notes": ["Ton association ferait un très bon partenaire.",
                         "Je pense à toi pour ce projet.",
                         "Cela pourrait t’intéresser."],
               "interested": "Oui, parlons-en !",
               "purchase": ("Besoin : une vingtaine d’ordinateurs reconditionnés",
                            "Pour nos ateliers, nous cherchons une vingtaine d’ordinateurs "
                            "portables reconditionnés, livrés avant l’été.")},
}


def _busiest_organisation(session: Session, instance: Instance) -> tuple[int, Member] | None:
    """(organisation id, an active admin of it) for the organisation with the most confirmed
    current members that has one."""
    counts = session.execute(select(Affiliation.organisation_id, func.count(Affiliation.id))
                             .where(Affiliation.instance_id == instance.id,
                                    Affiliation.status == CONFIRMED,
                                    Affiliation.current.is_(True))
                             .group_by(Affiliation.organisation_id)
                             .order_by(func.count(Affiliation.id).desc(),
                                       Affiliation.organisation_id)).all()
    for org_id, _n in counts:
        admin = session.scalar(select(Member).join(
            OrganisationAdmin, OrganisationAdmin.member_id == Member.id).where(
            OrganisationAdmin.instance_id == instance.id,
            OrganisationAdmin.organisation_id == org_id, Member.status == "active",
            Member.role == "member").order_by(Member.id).limit(1))
        if admin is not None and not is_limited(session, instance, admin):
            return org_id, admin
    return None


def load_opportunities(session: Session, instance: Instance, *, seed: int = 7) -> int:
    """The instance's demo opportunities with relays and answers; returns how many."""
    if session.scalar(select(exists().where(Opportunity.instance_id == instance.id))):
        return 0
    found = _busiest_organisation(session, instance)
    if found is None:
        return 0
    org_id, poster = found
    rng = random.Random(f"{seed}:{instance.slug}:opportunities")
    plan = PLANS.get(instance.slug, PLANS["reseau"])
    placeholder = Opportunity(id=0, poster_id=poster.id, organisation_id=org_id, skills=[],
                              title="", location="")
    ambassador_ids = sorted(services.ambassador_ids(session, instance, placeholder)
                            - {poster.id})
    by_id = {m.id: m for m in session.scalars(select(Member).where(
        Member.instance_id == instance.id, Member.id.in_(ambassador_ids)))}
    relayers = [by_id[i] for i in ambassador_ids if i in by_id and by_id[i].role == "member"
                and not is_limited(session, instance, by_id[i])
                and len(connection_ids(session, instance, i)) >= 2][:12]
    if len(relayers) < 3:
        return 0
    relayers = rng.sample(relayers, 3)
    contacts = {a.id: eligible_contacts(session, instance, a, placeholder,
                                        set(ambassador_ids) | {poster.id})
                for a in relayers}
    # The skills the relayers' contacts list most: the suggestions then have matches.
    people = {m.id: m for m in session.scalars(select(Member).where(
        Member.instance_id == instance.id,
        Member.id.in_(sorted({c for cs in contacts.values() for c in cs}))))}
    skills = Counter(s for m in people.values() for s in (m.skills or []))
    opportunity = services.post_opportunity(session, instance, poster, {
        "kind": plan["kind"], "title": plan["title"], "text": plan["text"],
        "location": plan["location"], "skills": [s for s, _n in skills.most_common(3)],
        "closes_on": (utcnow() + timedelta(days=30)).date().isoformat(),
        "organisation_id": org_id})
    relays = []
    reached: set[int] = set()
    for ambassador, note in zip(relayers, plan["notes"], strict=True):
        choices = [c for c in contacts[ambassador.id] if c not in reached]
        for contact_id in rng.sample(choices, min(2, len(choices))):
            relay, _new = services.relay_opportunity(session, instance, ambassador,
                                                     opportunity.id,
                                                     {"member_id": contact_id, "note": note})
            relays.append(relay)
            reached.add(contact_id)
    if relays:
        first = relays[0]
        contact = get_member(session, instance, first.contact_id)
        services.answer_relay(session, instance, contact, first.id,
                              {"interested": True, "message": plan["interested"]})
    if len(relays) > 1:
        last = relays[-1]
        contact = get_member(session, instance, last.contact_id)
        services.answer_relay(session, instance, contact, last.id, {"interested": False})
    # Someone who knows an ambassador and got nothing asks for a referral (left waiting).
    ordinary = {m.id for m in _ordinary_members(session, instance)}
    for ambassador in relayers:
        askers = sorted((set(connection_ids(session, instance, ambassador.id)) & ordinary)
                        - reached - set(ambassador_ids) - {poster.id})
        if askers:
            asker = get_member(session, instance, rng.choice(askers))
            if asker.status == "active" and not is_limited(session, instance, asker):
                services.ask_for_referral(session, instance, asker, opportunity.id, {
                    "member_id": ambassador.id, "note": plan["notes"][2]})
                break
    # A personal purchase need, relayed by its poster alone.
    title, text = plan["purchase"]
    buyer = relayers[0]
    services.post_opportunity(session, instance, buyer, {
        "kind": "purchase", "title": title, "text": text, "location": plan["location"]})
    return 2
