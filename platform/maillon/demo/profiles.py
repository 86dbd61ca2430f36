"""Generating demo profiles from a community's catalogue: pure, deterministic for a given RNG."""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from itertools import accumulate
from typing import Any, TypeVar

from maillon.demo.catalogue import Community, Org, Persona, Track
from maillon.demo.names import Person, email_local_part, pick_person
from maillon.members.models import (
    CONTACTS_VISIBLE_CHOICES,
    DIRECT_CHOICES,
    PURPOSES,
    RELAYING_CHOICES,
)


@dataclass
class ExperienceSpec:
    title: str
    organisation: str
    location: str
    start_date: date
    end_date: date | None
    description: str


@dataclass
class EducationSpec:
    school: str
    degree: str
    field: str
    start_year: int
    end_year: int


@dataclass
class MemberSpec:
    """One demo member's row values, with their experiences and education."""

    values: dict[str, Any]
    experiences: list[ExperienceSpec] = field(default_factory=list)
    education: list[EducationSpec] = field(default_factory=list)

    @property
    def email(self) -> str:
        return str(self.values["email"])


# Cumulative weights, computed once: random.choices with plain weights re-sums them every call.
RELAYING_CUM = tuple(accumulate((75, 15, 10)))
DIRECT_CUM = tuple(accumulate((25, 60, 15)))
CONTACTS_VISIBLE_CUM = tuple(accumulate((1, 5, 2, 2)))
local_part = lru_cache(maxsize=20_000)(email_local_part)
T = TypeVar("T")


def randint(rng: random.Random, low: int, high: int) -> int:
    """rng.randint without its argument checks: the generator calls it about 40 times a member."""
    return low + int(rng.random() * (high - low + 1))


def choice(rng: random.Random, population: Sequence[T]) -> T:
    return population[int(rng.random() * len(population))]


def sample(rng: random.Random, population: Sequence[T], k: int) -> list[T]:
    """k distinct items (a partial shuffle), like rng.sample but cheaper for small k."""
    items = list(population)
    for i in range(k):
        j = i + int(rng.random() * (len(items) - i))
        items[i], items[j] = items[j], items[i]
    return items[:k]


def pick(rng: random.Random, population: Sequence[T], cum_weights: Sequence[int]) -> T:
    """A weighted choice, several times faster than random.choices for a single item."""
    return population[bisect(cum_weights, rng.random() * cum_weights[-1])]


def months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def short_name(org: Org) -> str:
    """``LISC – Laboratoire …`` is known by its acronym in a headline."""
    return org.name.split(" – ")[0]


class ProfileGenerator:
    """Makes members for one community; e-mail addresses are unique among what it made."""

    def __init__(self, community: Community, rng: random.Random, now: datetime,
                 taken_emails: set[str] | None = None) -> None:
        self.community = community
        self.rng = rng
        self.now = now
        self.today = now.date()
        self.used: set[str] = set(taken_emails or ())
        self._suffix: dict[str, int] = {}  # next number to try for an address already taken
        self._track_cum = tuple(accumulate(t.weight for t in community.tracks))
        self._locales = [code for code, _ in community.locales]
        self._locale_cum = tuple(accumulate(weight for _, weight in community.locales))

    def personas(self) -> list[MemberSpec]:
        return [self.persona(p) for p in self.community.personas]

    def persona(self, persona: Persona) -> MemberSpec:
        track = self.community.tracks[persona.track]
        person = Person(persona.first, persona.last, persona.female, "persona")
        org = track.organisations[persona.organisation % len(track.organisations)]
        self.used.add(persona.email)
        spec = self._profile(person, persona.email, track, persona.rung, org)
        spec.values["role"] = persona.role
        spec.values["summary"] = persona.summary or spec.values["summary"]
        # Staff and personas are reachable and listed, whatever the dice say.
        spec.values["visibility"]["in_directory"] = True
        spec.values["relaying"] = "open"
        return spec

    def member(self) -> MemberSpec:
        rng = self.rng
        person = pick_person(rng, self.community.french_share)
        track = pick(rng, self.community.tracks, self._track_cum)
        rung = min(int(rng.triangular(0, len(track.ladder), 1)), len(track.ladder) - 1)
        org = choice(rng, track.organisations)
        return self._profile(person, self._email(person, org), track, rung, org)

    def _email(self, person: Person, org: Org) -> str:
        domain = (self.community.email_domain or org.domain
                  or choice(self.rng, self.community.personal_domains))
        local = local_part(person.first, person.last)
        email, n = f"{local}@{domain}", self._suffix.get(f"{local}@{domain}", 1)
        while email in self.used:
            n += 1
            email = f"{local}{n}@{domain}"
        self._suffix[f"{local}@{domain}"] = n
        self.used.add(email)
        return email

    def _profile(self, person: Person, email: str, track: Track, rung: int,
                 org: Org) -> MemberSpec:
        rng, c = self.rng, self.community
        title = track.ladder[rung][1 if person.female else 0]
        city = org.city or choice(rng, c.cities)
        experiences = self._experiences(person, track, rung, org, city)
        years = max(1, self.today.year - experiences[-1].start_date.year)
        topic, topic2 = sample(rng, track.topics, 2) if len(track.topics) > 1 else track.topics * 2
        words = {"title": title, "field": track.field, "topic": topic,
                 "topic2": topic2, "years": years, "org": short_name(org), "city": city}
        skills = sample(rng, track.skills, min(len(track.skills), randint(rng, 3, 7)))
        values: dict[str, Any] = {
            "email": email,
            "name": person.name,
            "role": "member",
            "status": "active",
            "headline": c.headline.format(**words)[:200],
            "position": title,
            "organisation": org.name[:120],
            "location": city,
            "skills": skills,
            "summary": choice(rng, c.summaries).format(**words),
            "offers": " ".join(sample(rng, c.offers, randint(rng, 1, 2))),
            "seeks": " ".join(sample(rng, c.seeks, randint(rng, 1, 2))),
            "open_to_opportunities": rng.random() < (0.55 if rung <= 1 else 0.18),
            "relaying": pick(rng, RELAYING_CHOICES, RELAYING_CUM),
            "contact_policy": self._contact_policy(),
            "visibility": {
                "in_directory": rng.random() >= 0.04,
                "contacts_visible_to": pick(rng, CONTACTS_VISIBLE_CHOICES, CONTACTS_VISIBLE_CUM),
            },
            "locale": pick(rng, self._locales, self._locale_cum),
            "created_at": self.now - timedelta(days=randint(rng, 0, 730),
                                               seconds=randint(rng, 0, 86_399)),
        }
        values["updated_at"] = values["created_at"]
        values["email_verified_at"] = values["created_at"]
        return MemberSpec(values, experiences, self._education(experiences[-1].start_date))

    def _contact_policy(self) -> dict[str, Any]:
        rng = self.rng
        purposes = list(PURPOSES) if rng.random() < 0.6 else [
            p for p in PURPOSES if rng.random() < 0.6] or ["advice", "other"]
        return {"direct": pick(rng, DIRECT_CHOICES, DIRECT_CUM),
                "introductions": rng.random() < 0.9, "purposes": purposes,
                "max_hops": choice(rng, (2, 3, 4, 5, 6, 6, 6))}

    def _experiences(self, person: Person, track: Track, rung: int, org: Org,
                     city: str) -> list[ExperienceSpec]:
        """The current job, then up to three earlier ones going back in time, newest first."""
        rng, c = self.rng, self.community
        count = randint(rng, 1, min(4, 1 + rung + randint(rng, 0, 2)))
        start = months_before(self.today, randint(rng, 2, 70))
        jobs = [ExperienceSpec(track.ladder[rung][person.female], org.name, city, start, None,
                               choice(rng, c.descriptions).format(topic=choice(rng, track.topics)))]
        for i in range(1, count):
            end = months_before(jobs[-1].start_date, randint(rng, 0, 3))
            begin = months_before(end, randint(rng, 8, 60))
            past = choice(rng, track.organisations + c.past_orgs)
            step = max(0, rung - i - randint(rng, 0, 1))
            jobs.append(ExperienceSpec(
                track.ladder[step][person.female], past.name, past.city or choice(rng, c.cities),
                begin, end, choice(rng, c.descriptions).format(topic=choice(rng, track.topics))))
        return jobs

    def _education(self, career_start: date) -> list[EducationSpec]:
        rng = self.rng
        rows = []
        end = career_start.year - randint(rng, 0, 1)
        for _ in range(randint(rng, 1, 2)):
            school = choice(rng, self.community.schools)
            degree, subject = choice(rng, school.degrees)
            length = randint(rng, 2, 5)
            rows.append(EducationSpec(school.name, degree, subject, end - length, end))
            end -= length + randint(rng, 0, 1)
        return rows
