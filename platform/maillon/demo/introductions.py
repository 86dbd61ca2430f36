"""Demo introductions: requests in every state, made through the services so that their events,
hops and notifications exist as if members had clicked.

The personas get something to do: one of them holds a request to relay, another has one
waiting for their answer, and they have sent requests of their own (one accepted, one stopped
on the way). Times are then spread over the past weeks, so the timeline and the statistics
look lived in. Deterministic for a seed; a second run adds nothing.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from maillon.db import utcnow
from maillon.demo.catalogue import community_for
from maillon.errors import ServiceError
from maillon.introductions import services
from maillon.introductions.lifecycle import HELD
from maillon.introductions.models import Introduction, IntroductionEvent, IntroductionHop
from maillon.members.models import Member, default_contact_policy
from maillon.network.graph import graph_for
from maillon.tenancy.models import Instance

log = logging.getLogger(__name__)

TEXTS: dict[str, dict[str, Any]] = {
    "fr": {
        "message": (
            "Bonjour, j'ai lu votre profil avec attention. Je cherche {seek} et je pense que "
            "votre expérience m'aiderait beaucoup. En retour, je peux offrir {offer} "
            "Auriez-vous vingt minutes pour en parler ?"),
        "note": ("Je connais bien {name}, c'est sérieux.", "Personne de confiance, je relaie.",
                 "On a travaillé ensemble l'an dernier."),
        "vouch": ("Je recommande vivement {name} : rigueur et bonne humeur.",
                  "{name} a toujours tenu ses engagements avec moi."),
        "accept": "Avec plaisir, écrivez-moi pour fixer un créneau.",
        "reject": "Merci pour votre message, mais je n'ai pas le temps en ce moment.",
        "decline": "Je ne connais pas assez la personne suivante pour relayer.",
        "advice": ("Plutôt que de passer par moi, venez au séminaire du jeudi : elle y est "
                   "toujours et on pourra vous présenter de vive voix."),
        "thanks": "Merci à toutes et à tous d'avoir relayé cette demande, ravie de la rencontre !",
    },
    "en": {
        "message": (
            "Hello, I read your profile carefully. I am looking for {seek} and I believe your "
            "experience would help a lot. In return I can offer {offer} "
            "Would you have twenty minutes for a call?"),
        "note": ("I know {name} well, this is serious.", "Someone I trust, passing it on.",
                 "We worked together last year."),
        "vouch": ("I warmly recommend {name}: thorough and easy to work with.",
                  "{name} always kept their word with me."),
        "accept": "Happy to help, write to me and we'll find a slot.",
        "reject": "Thanks for your message, but I don't have the time right now.",
        "decline": "I don't know the next person well enough to relay this.",
        "advice": ("Rather than going through me, come to the Thursday demo: she is always "
                   "there and we can introduce you in person."),
        "thanks": "Thank you all for passing this on, glad we met!",
    },
}


# How each demo community's requests end (how many of each, besides those still open): in
# Academia colleagues vouch and relayed requests mostly get through; at Acme people more often
# write to their direct contacts, and busy targets turn relayed requests down; in Réseau
# volunteers' requests stop on the way or lapse more often.
OUTCOMES: dict[str, dict[str, int]] = {
    "academia": {"accepted": 4, "accepted_long": 3, "rejected": 1, "declined": 1, "advised": 2,
                 "expired": 0, "withdrawn": 1, "accepted_direct": 1, "rejected_direct": 1},
    "acme": {"accepted": 2, "accepted_long": 1, "rejected": 3, "declined": 1, "advised": 1,
             "expired": 1, "withdrawn": 1, "accepted_direct": 4, "rejected_direct": 1},
    "reseau": {"accepted": 2, "accepted_long": 1, "rejected": 1, "declined": 3, "advised": 1,
               "expired": 2, "withdrawn": 2, "accepted_direct": 2, "rejected_direct": 2},
}


def outcomes_for(slug: str, rng: random.Random) -> dict[str, int]:
    """The closed requests a community gets: its own mix, or a seeded one for any other."""
    if slug in OUTCOMES:
        return OUTCOMES[slug]
    return {label: rng.randint(0, 3) for label in OUTCOMES["academia"]}


def has_introductions(session: Session, instance: Instance) -> bool:
    return bool(session.scalar(select(exists().where(Introduction.instance_id == instance.id))))


class _Maker:
    """Finds pairs of members at the right distance and walks their request to a state."""

    def __init__(self, session: Session, instance: Instance, rng: random.Random) -> None:
        self.session, self.instance, self.rng = session, instance, rng
        self.texts = TEXTS["fr" if instance.setting("locale") == "fr" else "en"]
        self.graph = graph_for(session, instance)
        self.members = {m.id: m for m in session.scalars(select(Member).where(
            Member.instance_id == instance.id, Member.status == "active"))}
        # People who take introductions for every purpose we use: fewer refusals to sort out.
        self.ids = sorted(self.members)
        self.busy: set[int] = set()  # already requester or target in the demo

    def member(self, member_id: int) -> Member:
        return self.members[member_id]

    def at_distance(self, source: int, distance: int) -> list[int]:
        found = self.graph.degree_of(source, self.ids)
        return [m for m, d in found.items() if d == distance and m not in self.busy]

    def message(self, requester: Member, target: Member) -> str:
        seek = (requester.seeks or "").split(".")[0].strip().lower() or "conseil"
        offer = (requester.offers or "").strip() or "mon aide."
        return self.texts["message"].format(seek=seek, offer=offer)[:1900]

    def purpose(self, target: Member) -> str:
        accepted = {**default_contact_policy(), **(target.contact_policy or {})}["purposes"]
        return self.rng.choice(sorted(accepted)) if accepted else "advice"

    def request(self, requester_id: int, target_id: int, *, min_hops: int = 2,
                first: int | None = None) -> Introduction | None:
        """A request along a chain of at least ``min_hops`` links (through ``first`` if
        given); None when the services refuse or no such chain exists."""
        requester, target = self.member(requester_id), self.member(target_id)
        try:
            chains = services.find_chains(self.session, self.instance, requester, target_id)
            index = next((i for i, p in enumerate(chains.paths) if p.hops >= min_hops and (
                first is None or (p.members and p.members[0] is not None
                                  and p.members[0].id == first))), None)
            if index is None:
                return None
            intro = services.request_introduction(
                self.session, self.instance, requester, target_id,
                message=self.message(requester, target), purpose=self.purpose(target),
                path_index=index)
        except ServiceError:
            self.session.rollback()
            return None
        self.busy.update((requester_id, target_id))
        return intro

    def forward(self, intro: Introduction, times: int | None = None) -> bool:
        """Pass the request on ``times`` times (until delivered when None)."""
        done = 0
        while intro.status == "in_progress" and (times is None or done < times):
            holder = self.member(intro.holder_id)  # type: ignore[arg-type]
            name = self.member(intro.requester_id).name
            try:
                intro = services.forward_introduction(
                    self.session, self.instance, holder, intro.id,
                    note=self.rng.choice(self.texts["note"]).format(name=name),
                    vouch=self.rng.choice(self.texts["vouch"]).format(name=name)
                    if self.rng.random() < 0.5 else "")
            except ServiceError:
                self.session.rollback()
                return False
            done += 1
        return True

    def pair(self, *, requester: int | None = None, target: int | None = None,
             distance: int = 2, tries: int = 60) -> tuple[int, int] | None:
        """A random requester and a target ``distance`` links away (either may be fixed)."""
        for _ in range(tries):
            source = requester if requester is not None else self.rng.choice(self.ids)
            if target is not None:
                if source == target or source in self.busy:
                    if requester is not None:
                        return None
                    continue
                if self.graph.degree_of(target, [source]).get(source) == distance:
                    return source, target
                if requester is not None:
                    return None
                continue
            if source in self.busy and requester is None:
                continue
            options = self.at_distance(source, distance)
            if options:
                return source, self.rng.choice(options)
        return None


def _personas(session: Session, instance: Instance) -> list[Member]:
    """The instance's personas, members before staff, in catalogue order."""
    community = community_for(instance.slug, instance.setting("registration.email_domains"))
    emails = [p.email for p in community.personas if p.role == "member"]
    emails += [p.email for p in community.personas if p.role != "member"]
    by_email = {m.email: m for m in session.scalars(select(Member).where(
        Member.instance_id == instance.id, Member.email.in_(emails)))}
    return [by_email[e] for e in emails if e in by_email]


def load_introductions(session: Session, instance: Instance, *, seed: int = 7) -> int:
    """Introductions in every state for a demo instance; returns how many were made."""
    if has_introductions(session, instance):
        return 0
    rng = random.Random(f"{seed}:{instance.slug}:introductions")
    maker = _Maker(session, instance, rng)
    personas = _personas(session, instance)
    made: list[tuple[Introduction, str]] = []
    relay_persona: Member | None = None
    answer_persona: Member | None = None

    def attempt(build: Callable[[], Introduction | None], label: str, tries: int = 12) -> None:
        for _ in range(tries):
            intro = build()
            if intro is not None:
                made.append((intro, label))
                return
        log.info("demo %s: could not make a %s introduction", instance.slug, label)

    def generic(distance: int, then: Callable[[Introduction], bool],
                requester: int | None = None) -> Callable[[], Introduction | None]:
        def build() -> Introduction | None:
            found = maker.pair(requester=requester, distance=distance)
            if found is None:
                return None
            intro = maker.request(*found, min_hops=distance)
            if intro is None:
                return None
            return intro if then(intro) else None
        return build

    texts = maker.texts

    def held_for_review() -> Introduction | None:
        """One request waiting for a moderator, as a new member's first one would under the
        review policy (switched on for this request only: the demo's policy stays the
        file's)."""
        saved = dict(instance.overrides or {})
        instance.overrides = {**saved, "introductions.review_first_requests": 20}
        try:
            intro = generic(3, lambda i: True)()
        finally:
            instance.overrides = saved
            session.commit()
        return intro if intro is not None and intro.status == HELD else None

    def relay_for(persona: Member) -> Introduction | None:
        """A contact of the persona asks for another of the persona's contacts, through them."""
        relay_persona = persona
        contacts = [c for c in maker.graph.neighbours(relay_persona.id)
                    if c in maker.members and c not in maker.busy]
        rng.shuffle(contacts)
        # Pairs whose only common contact is the persona: any two-link chain goes through them.
        pairs = [(source, target) for source in contacts[:20] for target in contacts
                 if target != source and maker.graph.trust_between(source, target) is None
                 and maker.graph.shared_connections(source, target) == [relay_persona.id]]
        for source, target in pairs[:10]:
            intro = maker.request(source, target, min_hops=2, first=relay_persona.id)
            if intro is not None:
                return intro
        return None

    def delivered_to(persona: Member) -> Introduction | None:
        for distance in (3, 2):
            found = maker.pair(target=persona.id, distance=distance)
            if found is not None:
                intro = maker.request(*found, min_hops=distance)
                if intro is not None and maker.forward(intro):
                    return intro
        return None

    def _target(intro: Introduction) -> int:
        assert intro.target_id is not None  # the demo asks members only
        return intro.target_id

    def accept(intro: Introduction) -> bool:
        if not maker.forward(intro):
            return False
        services.accept_introduction(session, instance, maker.member(_target(intro)),
                                     intro.id, message=texts["accept"])
        services.thank_chain(session, instance, maker.member(_target(intro)), intro.id,
                             message=texts["thanks"])
        return True

    def reject(intro: Introduction) -> bool:
        if not maker.forward(intro):
            return False
        services.reject_introduction(session, instance, maker.member(_target(intro)),
                                     intro.id, message=texts["reject"])
        return True

    def decline(intro: Introduction) -> bool:
        services.decline_introduction(session, instance, maker.member(intro.holder_id or 0),
                                      intro.id, reason=texts["decline"])
        return True

    def advise(intro: Introduction) -> bool:
        services.advise_introduction(session, instance, maker.member(intro.holder_id or 0),
                                     intro.id, advice=texts["advice"])
        return True

    def withdraw(intro: Introduction) -> bool:
        services.withdraw_introduction(session, instance, maker.member(intro.requester_id),
                                       intro.id)
        return True

    def expire(intro: Introduction) -> bool:
        # Its hop ran out of time: put the deadline in the past, then let the periodic task
        # expire it like any other.
        past = utcnow() - timedelta(minutes=1)
        intro.hop_deadline = past
        hop = session.scalar(select(IntroductionHop).where(
            IntroductionHop.introduction_id == intro.id,
            IntroductionHop.position == intro.current_hop))
        if hop is not None:
            hop.deadline = past
        session.commit()
        services.expire_overdue(session)
        return True

    # Someone holding a request to relay, and someone else with one to answer: the first
    # personas (not staff) for whom the network and their policies allow it.
    # Targets choose what they accept: pick the one to answer first, then the relay.
    for persona in personas:
        intro = delivered_to(persona)
        if intro is not None:
            made.append((intro, "delivered_to_persona"))
            answer_persona = persona
            break
    for persona in personas:
        if persona is not answer_persona:
            intro = relay_for(persona)
            if intro is not None:
                made.append((intro, "relay_for_persona"))
                relay_persona = persona
                break
    if relay_persona is None or answer_persona is None:
        log.info("demo %s: no persona to relay or answer a request", instance.slug)
    # Requests of their own: one accepted, one stopped on the way (they may retry).
    if relay_persona is not None:
        attempt(generic(3, accept, relay_persona.id), "accepted_by_persona_request", tries=3)
    if answer_persona is not None:
        attempt(generic(3, decline, answer_persona.id), "declined_persona_request", tries=3)
    attempt(generic(3, lambda i: True), "in_progress_hop1")
    attempt(generic(3, lambda i: maker.forward(i, 1)), "in_progress_hop2")
    attempt(generic(3, maker.forward), "delivered")
    attempt(held_for_review, "held", tries=3)
    # Closed requests in the community's own proportions (OUTCOMES), so that each instance's
    # statistics tell its own story; direct ones too, to compare with relayed requests.
    builders: dict[str, tuple[int, Callable[[Introduction], bool]]] = {
        "accepted": (2, accept), "accepted_long": (3, accept), "rejected": (2, reject),
        "declined": (2, decline), "advised": (3, advise), "expired": (2, expire),
        "withdrawn": (2, withdraw), "accepted_direct": (1, accept),
        "rejected_direct": (1, reject)}
    for label, count in outcomes_for(instance.slug, rng).items():
        distance, then = builders[label]
        for _ in range(count):
            attempt(generic(distance, then), label)
    _spread_in_time(session, instance, [intro for intro, _ in made], rng, utcnow())
    return len(made)


def _spread_in_time(session: Session, instance: Instance, intros: list[Introduction],
                    rng: random.Random, now: datetime) -> None:
    """Move each request's history into the past weeks, steps hours apart; open requests end
    recently, so their hop deadline is still ahead."""
    days = timedelta(days=int(instance.setting("introductions.hop_deadline_days")))
    for intro in intros:
        session.refresh(intro)
        events = list(session.scalars(select(IntroductionEvent).where(
            IntroductionEvent.introduction_id == intro.id).order_by(IntroductionEvent.id)))
        if not events:
            continue
        gaps = [timedelta(hours=rng.randint(2, 40), minutes=rng.randint(0, 59))
                for _ in events[1:]]
        end = now - (timedelta(hours=rng.randint(1, 20)) if intro.is_open
                     else timedelta(days=rng.randint(1, 35)))
        moment = end - sum(gaps, timedelta())
        for event, gap in zip(events, [timedelta(), *gaps], strict=True):
            moment += gap
            event.created_at = moment
            if event.kind == "delivered":
                intro.delivered_at = moment
        intro.created_at = events[0].created_at
        if intro.closed_at is not None:
            intro.closed_at = events[-1].created_at
        handed = {(e.attempt, (e.position or 0) + 1): e.created_at for e in events
                  if e.kind in ("requested", "retried", "forwarded", "rerouted")}
        acted = {(e.attempt, e.position): e.created_at for e in events
                 if e.kind in ("forwarded", "rerouted", "declined", "advised", "expired")}
        for hop in session.scalars(select(IntroductionHop).where(
                IntroductionHop.introduction_id == intro.id)):
            hop.created_at = handed.get((hop.attempt, hop.position), hop.created_at)
            hop.acted_at = acted.get((hop.attempt, hop.position), hop.acted_at)
            hop.deadline = hop.created_at + days
            if hop.status == "holding" and intro.status == "in_progress":
                intro.hop_deadline = hop.deadline
    session.commit()
