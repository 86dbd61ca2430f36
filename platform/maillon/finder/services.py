"""Searching the members of an instance, as a given member may see them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.errors import ServiceError
from maillon.finder.indexing import excluded_ids, index_for, is_searchable
from maillon.members.models import Member
from maillon.network.visibility import DEGREE_BOOSTS, badges_for, degree_circles
from maillon.ops.metrics import observe
from maillon.tenancy.models import Instance
from search import IndexUnavailable, QueryError, SearchQuery

MAX_PER_PAGE = 100
# Seconds a client should wait before asking again when search is unavailable: about how
# often the workers check the indexes and start a rebuild.
RETRY_AFTER_SECONDS = 30


class SearchUnavailable(ServiceError):
    """The instance's index is missing or unreadable; the workers are rebuilding it."""

    status = 503

    def __init__(self) -> None:
        super().__init__("search_unavailable", _(
            "Search is unavailable for a moment while its index is rebuilt. "
            "Please try again in a minute."))
        self.retry_after = RETRY_AFTER_SECONDS

# The search package writes its notices and errors in English (it imports nothing of maillon,
# so not gettext either); each one it can produce is recognised here and translated.
_MESSAGES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"Ignored a closing parenthesis without an opening one\.$"),
     lambda m: _("Ignored a closing parenthesis without an opening one.")),
    (re.compile(r"Closed a quotation mark left open\.$"),
     lambda m: _("Closed a quotation mark left open.")),
    (re.compile(r"Closed a parenthesis left open\.$"),
     lambda m: _("Closed a parenthesis left open.")),
    (re.compile(r"Unknown field “(?P<name>.*)” searched as text; "),
     lambda m: _("Unknown field “%(name)s” searched as text; known fields are company:, "
                 "skill:, location:, name:, title:.", name=m["name"])),
    (re.compile(r"Ignored “(?P<name>.*)” without a value\.$"),
     lambda m: _("Ignored “%(name)s” without a value.", name=m["name"])),
    (re.compile(r"No profile matched every word; showing partial matches\.$"),
     lambda m: _("No profile matched every word; showing partial matches.")),
    (re.compile(r"This search was simplified: some typo or prefix matches were left out\.$"),
     lambda m: _("This search was simplified: some typo or prefix matches were left out.")),
    (re.compile(r"This search nests too many parentheses"),
     lambda m: _("This search nests too many parentheses; please simplify it.")),
    (re.compile(r"This search has too many words \(more than (?P<n>\d+)\)"),
     lambda m: _("This search has too many words (more than %(n)s); please shorten it.",
                 n=m["n"])),
    (re.compile(r"A prefix search needs at least (?P<n>\d+) letters"),
     lambda m: _("A prefix search needs at least %(n)s letters before “*”.", n=m["n"])),
    (re.compile(r"This search is too long \((?P<length>\d+) characters, at most (?P<n>\d+)\)"),
     lambda m: _("This search is too long (%(length)s characters, at most %(n)s).",
                 length=m["length"], n=m["n"])),
]


def localise(message: str) -> str:
    """The member's-language version of a notice or error of the search package."""
    for pattern, translate in _MESSAGES:
        found = pattern.match(message)
        if found:
            return translate(found)
    return message


@dataclass
class MemberHit:
    member: Member
    score: float
    degree: int | None = None
    shared: int = 0


@dataclass
class MemberSearch:
    total: int
    hits: list[MemberHit]
    facets: dict[str, list[tuple[Any, int]]] = field(default_factory=dict)
    suggestion: str | None = None
    notices: tuple[str, ...] = ()


@observe("search")
def search_members(session: Session, instance: Instance, viewer: Member | None, *,
                   text: str = "", organisation: str | None = None,
                   location: str | None = None, skill: str | None = None,
                   open_to_opportunities: bool | None = None, page: int = 1,
                   per_page: int = 20, language: str | None = None,
                   degree: int | None = None,
                   within_ids: frozenset[int] | None = None) -> MemberSearch:
    """Members of this instance matching a query; hidden, suspended or foreign ones never.

    ``degree`` keeps members within that many links of the viewer; closer members rank a
    little higher (1st ×1.3, 2nd ×1.15, 3rd ×1.05) and each hit carries its degree badge.
    ``within_ids`` keeps only these members (what another server may search).
    Raises SearchUnavailable (503) while the instance's index is missing or unreadable.
    """
    if len(text) > 500:
        raise ServiceError("query_too_long", _("This query is too long."), status=422,
                           fields={"q": "at most 500 characters"})
    if degree is not None and degree not in (1, 2, 3):
        raise ServiceError("validation_failed", _("Choose a degree from 1 to 3."), status=422,
                           fields={"degree": "1, 2 or 3"})
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    index = index_for(session, instance)
    try:
        index.refresh()
    except IndexUnavailable:
        raise SearchUnavailable() from None
    allowed: frozenset[str] | None = None
    boosts: dict[str, float] | None = None
    circles: list[set[int]] = []
    if viewer is not None:
        circles = degree_circles(session, instance, viewer.id, 3)
        if degree is not None:
            # A circle too large to list is not filtered: nearly everyone is within it.
            within = _within(circles, degree)
            allowed = frozenset(str(i) for i in within) if within is not None else None
        boosts = {str(mid): DEGREE_BOOSTS[level]
                  for level, circle in enumerate(circles, 1) for mid in circle}
    elif degree is not None:
        allowed = frozenset()
    if within_ids is not None:  # only these members (another server's search: who opted in)
        only = frozenset(str(i) for i in within_ids)
        allowed = only if allowed is None else allowed & only
    base = SearchQuery(
        text=text.strip(), organisation=organisation or None, location=location or None,
        skill=skill or None, open_to_opportunities=open_to_opportunities,
        allowed_ids=allowed, boosts=boosts or None, page=page, per_page=per_page,
        language=language,
        # Each circle's matches are counted by the one query (the degree facet).
        group_ids={str(level): frozenset(str(i) for i in circle)
                   for level, circle in enumerate(circles, 1)} or None,
        # Hidden, suspended or removed members the index has not dropped yet count for
        # nothing: not a match, a word, a suggestion nor a facet count.
        excluded_ids=excluded_ids(session, instance) or None)
    try:
        result = index.search(base)
    except QueryError as exc:
        message = localise(exc.message)
        raise ServiceError("invalid_query", message, status=422, fields={"q": message}) from None
    except IndexUnavailable:
        raise SearchUnavailable() from None
    facets = dict(result.facets)
    if viewer is not None and any(result.group_counts.values()):
        # Counted without the degree filter: each count is what choosing it shows.
        facets["degree"] = _degree_facet(circles, result.group_counts)
    ids = [int(h.id) for h in result.hits]
    members = {m.id: m for m in session.scalars(select(Member).where(
        Member.instance_id == instance.id, Member.id.in_(ids)))} if ids else {}
    badges = badges_for(session, instance, viewer, list(members))
    hits = [MemberHit(member=members[int(h.id)], score=h.score,
                      degree=badges[int(h.id)].degree if int(h.id) in badges else None,
                      shared=badges[int(h.id)].shared if int(h.id) in badges else 0)
            for h in result.hits if int(h.id) in members and is_searchable(members[int(h.id)])]
    return MemberSearch(total=result.total, hits=hits, facets=facets,
                        suggestion=result.suggestion,
                        notices=tuple(localise(n) for n in result.notices))


def _within(circles: list[set[int]], degree: int) -> set[int] | None:
    """Members within ``degree`` links, or None when that circle was too large to list."""
    return set().union(*circles[:degree]) if len(circles) >= degree else None


def _degree_facet(circles: list[set[int]], group_counts: dict[str, int]
                  ) -> list[tuple[Any, int]]:
    """How many matches lie within 1, 2 and 3 links (for the circles small enough to list),
    from the matches the query counted in each circle (circles are disjoint).  The counts
    ignore the degree filter in force, so "within 2 links (n)" is what choosing it shows."""
    counts: list[tuple[Any, int]] = []
    within = 0
    for level in range(1, min(len(circles), 3) + 1):
        within += group_counts.get(str(level), 0)
        counts.append((level, within))
    return counts
