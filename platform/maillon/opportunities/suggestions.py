"""Which of an ambassador's contacts an opportunity fits: one query on the instance's member
index, restricted to the contacts one may suggest (decision 50).

Who may be suggested: the ambassador's active connections listed in the directory (a member
who took their profile out of the directory is never matched against a text, here or in
search), minus the poster, the opportunity's other ambassadors (they have it already) and
anyone who already received it. The words of the title, the skills and the place are
searched as alternatives (OR), ranked by the index's BM25 score like any search.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func as sqlfunc
from sqlalchemy import select, true
from sqlalchemy.orm import Session

from maillon.finder.indexing import index_for, is_searchable
from maillon.finder.services import SearchUnavailable
from maillon.members.models import Member
from maillon.network.services import connection_ids
from maillon.opportunities.models import Opportunity, Relay
from maillon.tenancy.models import Instance
from search import IndexUnavailable, QueryError, SearchQuery
from search.analysis import content_words

#: The query's words, at most (the search parser allows 24).
MAX_WORDS = 24
#: Contacts considered, at most (the first ones by id beyond it).
MAX_CONTACTS = 5000
DEFAULT_LIMIT = 20


@dataclass(frozen=True)
class Suggestion:
    member: Member
    score: float


def query_words(opportunity: Opportunity) -> list[str]:
    """The distinct content words of the skills, title and place, skills first."""
    seen: list[str] = []
    text = " ".join([*opportunity.skills, opportunity.title, opportunity.location or ""])
    for word in content_words(text):
        # Words the query parser reads as syntax are left out.
        word = word.strip("\"'()*:|-")
        if len(word) < 2 or word in ("or", "and", "not") or word in seen:
            continue
        seen.append(word)
    return seen[:MAX_WORDS]


def eligible_contacts(session: Session, instance: Instance, ambassador: Member,
                      opportunity: Opportunity, exclude: set[int]) -> list[int]:
    """The ambassador's connections one may suggest for ``opportunity`` (see the module)."""
    contacts = set(connection_ids(session, instance, ambassador.id)) - exclude - {
        ambassador.id, opportunity.poster_id}
    if not contacts:
        return []
    received = set(session.scalars(select(Relay.contact_id).where(
        Relay.instance_id == instance.id, Relay.opportunity_id == opportunity.id)))
    candidates = sorted(contacts - received)[:MAX_CONTACTS]
    if not candidates:
        return []
    in_directory = sqlfunc.coalesce(Member.visibility["in_directory"].as_boolean(), true())
    return sorted(session.scalars(select(Member.id).where(
        Member.instance_id == instance.id, Member.id.in_(candidates),
        Member.status == "active", in_directory.is_(true()))))


def rank_contacts(session: Session, instance: Instance, opportunity: Opportunity,
                  candidates: list[int], limit: int = DEFAULT_LIMIT) -> list[Suggestion]:
    """``candidates`` the opportunity's words match, best first (one index query)."""
    words = query_words(opportunity)
    if not candidates or not words:
        return []
    index = index_for(session, instance)
    try:
        result = index.search(SearchQuery(
            text=" OR ".join(words), allowed_ids=frozenset(str(i) for i in candidates),
            page=1, per_page=limit, facets=False))
    except IndexUnavailable:
        raise SearchUnavailable() from None
    except QueryError:
        return []
    ids = [int(h.id) for h in result.hits]
    if not ids:
        return []
    members = {m.id: m for m in session.scalars(select(Member).where(
        Member.instance_id == instance.id, Member.id.in_(ids)))}
    return [Suggestion(members[int(h.id)], h.score) for h in result.hits
            if int(h.id) in members and is_searchable(members[int(h.id)])]
