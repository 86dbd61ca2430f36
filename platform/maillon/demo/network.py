"""A believable network for a demo community: clusters, a few hubs, skewed private trust.

People mostly know colleagues of their own organisation (a lab, an office, a department), then
people of their own field, then people of their city, then a few others met by chance. Two or
three well-known members (the "hubs") know half the community; most people know 5 to 40. Trust
ratings lean to 3–4 ("we worked together") rather than 1 or 5. Personas are kept off the hubs so
that, logging in as one of them, the 1st, 2nd and 3rd degrees are all populated and someone is
three links away.

Rows are inserted with Core (Connection rows already ``connected`` plus their changelog rows), so
the graph service sees them like any accepted invitation. Deterministic for a seed; a second
run adds nothing.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, exists, insert, select
from sqlalchemy.orm import Session

from maillon.db import utcnow
from maillon.demo.catalogue import Community, community_for
from maillon.members.models import Member
from maillon.network.models import Connection, ConnectionChange
from maillon.tenancy.models import Instance

TRUST_WEIGHTS = (5, 12, 36, 32, 15)  # ratings 1..5: most people are "3" or "4"
COLLEAGUE_TRUST_WEIGHTS = (2, 8, 30, 38, 22)  # the same organisation: a little warmer
HUB_DEGREE = (150, 185)
PERSONA_DEGREE = (9, 14)
MAX_DEGREE = 40
PENDING_PER_PERSONA = 2


@dataclass
class _Person:
    id: int
    email: str
    organisation: str
    location: str
    track: int
    persona: bool


def _track_of(community: Community) -> dict[str, int]:
    """Job title → track index (titles are unique enough to tell a member's field)."""
    titles: dict[str, int] = {}
    for index, track in enumerate(community.tracks):
        for pair in track.ladder:
            for title in pair:
                titles.setdefault(title, index)
    return titles


def _people(session: Session, instance: Instance, community: Community) -> list[_Person]:
    personas = {p.email for p in community.personas}
    titles = _track_of(community)
    rows = session.execute(select(
        Member.id, Member.email, Member.organisation, Member.location, Member.position).where(
        Member.instance_id == instance.id, Member.status == "active").order_by(Member.id))
    return [_Person(id_, email, org, loc, titles.get(position, -1), email in personas)
            for id_, email, org, loc, position in rows]


def has_network(session: Session, instance: Instance) -> bool:
    return bool(session.scalar(select(exists().where(Connection.instance_id == instance.id))))


def plan_network(people: list[_Person], rng: random.Random) -> set[tuple[int, int]]:
    """The pairs to connect (as ordered ids): pure, for a given RNG."""
    n = len(people)
    if n < 2:
        return set()
    by_org: dict[str, list[int]] = defaultdict(list)
    by_track: dict[int, list[int]] = defaultdict(list)
    by_city: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(people):
        by_org[p.organisation].append(i)
        by_track[p.track].append(i)
        by_city[p.location].append(i)
    everyone = list(range(n))

    ordinary = [i for i, p in enumerate(people) if not p.persona]
    hub_count = 3 if n >= 200 else (2 if n >= 20 else 0)
    hubs = set(rng.sample(ordinary, min(hub_count, len(ordinary))))
    target = [0] * n
    for i, p in enumerate(people):
        if p.persona:
            target[i] = rng.randint(*PERSONA_DEGREE)
        elif i not in hubs:
            # Log-normal around 12: most between 5 and 40, a few quiet members.
            target[i] = max(3, min(MAX_DEGREE, round(rng.lognormvariate(math.log(12), 0.55))))
    degree = [0] * n
    edges: set[tuple[int, int]] = set()

    def link(i: int, j: int) -> bool:
        pair = (i, j) if i < j else (j, i)
        if i == j or pair in edges:
            return False
        edges.add(pair)
        degree[i] += 1
        degree[j] += 1
        return True

    order = [i for i in everyone if i not in hubs]
    rng.shuffle(order)
    for i in order:
        p = people[i]
        pools = ((0.55, by_org[p.organisation]), (0.75, by_track[p.track]),
                 (0.88, by_city[p.location]), (1.0, everyone))
        tries = 0
        while degree[i] < target[i] and tries < 40 * target[i]:
            tries += 1
            roll = rng.random()
            pool = next(members for bound, members in pools if roll < bound)
            j = pool[int(rng.random() * len(pool))]
            # Fill others a little past their target, never a hub in this phase.
            if j in hubs or degree[j] >= target[j] + 2:
                continue
            link(i, j)
    # Hubs know people everywhere, except the personas (so that a persona's third degree is
    # not swallowed by a hub's second).
    reachable = [i for i in ordinary if i not in hubs]
    for h in sorted(hubs):
        want = min(rng.randint(*HUB_DEGREE), len(reachable) * 2 // 3)
        for j in rng.sample(reachable, len(reachable)):
            if degree[h] >= want:
                break
            link(h, j)
    ids = [p.id for p in people]
    return {(ids[i], ids[j]) for i, j in edges}


def _trust(rng: random.Random, colleagues: bool) -> int:
    weights = COLLEAGUE_TRUST_WEIGHTS if colleagues else TRUST_WEIGHTS
    return rng.choices((1, 2, 3, 4, 5), weights)[0]


def load_network(session: Session, instance: Instance, *, seed: int = 7,
                 now: datetime | None = None) -> int:
    """Connect the instance's demo members; returns how many connections were made."""
    if has_network(session, instance):
        return 0
    community = community_for(instance.slug, instance.setting("registration.email_domains"))
    people = _people(session, instance, community)
    rng = random.Random(f"{seed}:{instance.slug}:network")
    pairs = sorted(plan_network(people, rng))
    now = now or utcnow()
    org = {p.id: p.organisation for p in people}
    connections, changes = [], []
    for a, b in pairs:
        requester, addressee = (a, b) if rng.random() < 0.5 else (b, a)
        colleagues = org[a] == org[b]
        trust_r = _trust(rng, colleagues)
        # The two sides mostly agree, give or take one.
        trust_a = max(1, min(5, trust_r + rng.choice((-1, 0, 0, 0, 1))))
        asked = now - timedelta(days=rng.randint(2, 720), seconds=rng.randint(0, 86_399))
        answered = asked + timedelta(hours=rng.randint(1, 120))
        rated = rng.random() < 0.8
        connections.append({
            "instance_id": instance.id, "low_id": a, "high_id": b, "requester_id": requester,
            "addressee_id": addressee, "status": "connected", "message": "",
            "trust_requester": trust_r, "trust_addressee": trust_a,
            "rated_requester": rated, "rated_addressee": rated or rng.random() < 0.5,
            "created_at": asked, "responded_at": answered, "connected_at": answered})
        changes.append((answered, {
            "instance_id": instance.id, "kind": "add", "a": requester, "b": addressee,
            "trust_ab": trust_r, "trust_ba": trust_a, "created_at": answered}))
    if connections:
        session.execute(insert(Connection), connections)
        # The changelog in the order the connections were made, as if they had been accepted.
        changes.sort(key=lambda item: item[0])
        session.execute(insert(ConnectionChange), [row for _, row in changes])
    _pending_invitations(session, instance, people, set(pairs), rng, now,
                         "fr" if instance.setting("locale") == "fr" else "en")
    session.commit()
    return len(connections)


INVITATION_MESSAGES = {
    "fr": ("Bonjour, nous nous sommes croisés lors d'une rencontre professionnelle l'an "
           "dernier. Au plaisir de garder le contact !",
           "Une collègue commune m'a parlé de votre travail : j'aimerais beaucoup échanger "
           "avec vous.", ""),
    "en": ("Hello, we met at a professional meetup last year. Glad to keep in touch!",
           "A colleague we share told me about your work: I would be glad to talk.", ""),
}


def _pending_invitations(session: Session, instance: Instance, people: list[_Person],
                         pairs: set[tuple[int, int]], rng: random.Random,
                         now: datetime, language: str = "en") -> None:
    """A couple of invitations waiting for each persona (some with a personal message), each
    with its in-app notification, so the pages have something to show."""
    from maillon.notifications.models import Notification

    personas = [p for p in people if p.persona]
    others = [p for p in people if not p.persona]
    rows = []
    for persona in personas:
        for other in rng.sample(others, min(len(others), PENDING_PER_PERSONA * 4)):
            pair = (min(persona.id, other.id), max(persona.id, other.id))
            if pair in pairs:
                continue
            pairs.add(pair)
            rows.append({
                "instance_id": instance.id, "low_id": pair[0], "high_id": pair[1],
                "requester_id": other.id, "addressee_id": persona.id, "status": "pending",
                "message": rng.choice(INVITATION_MESSAGES[language]),
                "trust_requester": 3, "trust_addressee": 3,
                "rated_requester": False, "rated_addressee": False,
                "created_at": now - timedelta(days=rng.randint(0, 6), hours=rng.randint(0, 23)),
                "responded_at": None, "connected_at": None})
            if sum(r["addressee_id"] == persona.id for r in rows) >= PENDING_PER_PERSONA:
                break
    if rows:
        session.execute(insert(Connection), rows)
        # The in-app notice each invitation would have raised (no e-mail: this is history).
        made = session.execute(select(Connection.id, Connection.requester_id,
                                      Connection.addressee_id, Connection.created_at).where(
            Connection.instance_id == instance.id, Connection.status == "pending")).all()
        session.execute(insert(Notification), [{
            "instance_id": instance.id, "member_id": addressee, "kind": "connection_requested",
            "actor_id": requester, "subject_type": "connections", "subject_id": cid,
            "data": {}, "created_at": created, "read_at": None}
            for cid, requester, addressee, created in made])


RECOMMENDATIONS = {
    "fr": (
        ("same_team", "J'ai travaillé avec {name} pendant deux ans : rigueur, curiosité et un "
                      "vrai sens du collectif. Sur {skill}, c'est la personne que j'appelle en "
                      "premier."),
        ("managed_directly", "J'ai encadré {name}, qui a très vite pris son autonomie. Son "
                             "travail en {skill} a fait avancer toute l'équipe."),
        ("client", "{name} nous a accompagnés avec beaucoup de disponibilité et de clarté. Je "
                   "recommande sans hésiter, en particulier pour {skill}."),
        ("studied_together", "Nous avons étudié ensemble : {name} expliquait déjà mieux que "
                             "les enseignants. Excellent en {skill}."),
    ),
    "en": (
        ("same_team", "I worked with {name} for two years: thorough, curious and a real team "
                      "player. For {skill}, {name} is the first person I call."),
        ("managed_directly", "I managed {name}, who quickly became autonomous. Their work on "
                             "{skill} moved the whole team forward."),
        ("client", "{name} supported us with great availability and clarity. I recommend "
                   "them without hesitation, especially for {skill}."),
        ("reported_to", "{name} was the best manager I had: clear goals, honest feedback, and "
                        "a lot of trust. Strong in {skill} too."),
    ),
}
ENDORSE_SHARE = 0.35  # share of connection sides that endorse the other
RECOMMENDATIONS_PER_INSTANCE = 30


def load_endorsements(session: Session, instance: Instance, *, seed: int = 7,
                      now: datetime | None = None) -> tuple[int, int]:
    """Skill endorsements between connections, and approved recommendations written in each
    author's language (French or English); returns (endorsements, recommendations).

    Core inserts, no notifications: these are history, not news. Skipped when the instance
    already has some.
    """
    from maillon.network.endorsement_models import Endorsement, skill_key
    from maillon.network.recommendation_models import Recommendation

    if session.scalar(select(exists().where(Endorsement.instance_id == instance.id))):
        return 0, 0
    now = now or utcnow()
    rng = random.Random(f"{seed}:{instance.slug}:endorsements")
    people = {row.id: row for row in session.execute(select(
        Member.id, Member.name, Member.skills, Member.locale, Member.organisation).where(
        Member.instance_id == instance.id, Member.status == "active"))}
    pairs = session.execute(select(
        Connection.requester_id, Connection.addressee_id, Connection.trust_requester,
        Connection.connected_at).where(Connection.instance_id == instance.id,
                                       Connection.status == "connected")
        .order_by(Connection.id)).all()
    endorsements: list[dict[str, object]] = []
    for a, b, _trust, since in pairs:
        for endorser, member in ((a, b), (b, a)):
            skills = people[member].skills if member in people else None
            if not skills or endorser not in people or rng.random() >= ENDORSE_SHARE:
                continue
            for skill in rng.sample(skills, min(len(skills), rng.randint(1, 2))):
                endorsements.append({
                    "instance_id": instance.id, "member_id": member, "endorser_id": endorser,
                    "skill_key": skill_key(skill),
                    "created_at": (since or now) + timedelta(days=rng.randint(1, 60))})
    for row in endorsements:  # never in the future
        row["created_at"] = min(cast(datetime, row["created_at"]), now)
    if endorsements:
        session.execute(insert(Endorsement), endorsements)

    default_language = "fr" if instance.setting("locale") == "fr" else "en"
    warm = [(a, b, since) for a, b, trust, since in pairs
            if trust >= 4 and a in people and b in people and people[b].skills]
    recommendations = []
    for author, recipient, since in rng.sample(warm, min(len(warm),
                                                        RECOMMENDATIONS_PER_INSTANCE)):
        language = people[author].locale or default_language
        kind, text = rng.choice(RECOMMENDATIONS["fr" if language == "fr" else "en"])
        written = min(now, (since or now) + timedelta(days=rng.randint(5, 200)))
        recommendations.append({
            "instance_id": instance.id, "author_id": author, "recipient_id": recipient,
            "relationship": kind, "relationship_detail": "",
            "text": text.format(name=people[recipient].name.split()[0],
                                skill=rng.choice(people[recipient].skills)),
            "status": "approved", "created_at": written, "updated_at": written,
            "approved_at": min(now, written + timedelta(days=rng.randint(0, 5)))})
    if recommendations:
        # Core insert by column name ("relationship"; the mapped attribute is relationship_kind).
        session.execute(insert(cast(Table, Recommendation.__table__)), recommendations)
    session.commit()
    return len(endorsements), len(recommendations)
