"""Searching the members of an instance, as a given member may see them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.errors import ServiceError
from maillon.finder.indexing import get_index, is_searchable
from maillon.members.models import Member
from maillon.tenancy.models import Instance
from search import QueryError, SearchQuery

MAX_PER_PAGE = 100


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


def search_members(session: Session, instance: Instance, viewer: Member | None, *,
                   text: str = "", organisation: str | None = None,
                   location: str | None = None, skill: str | None = None,
                   open_to_opportunities: bool | None = None, page: int = 1,
                   per_page: int = 20, language: str | None = None) -> MemberSearch:
    """Members of this instance matching a query; hidden, suspended or foreign ones never."""
    if len(text) > 500:
        raise ServiceError("query_too_long", _("This query is too long."), status=422,
                           fields={"q": "at most 500 characters"})
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, page)
    index = get_index(instance.slug)
    index.refresh()
    try:
        result = index.search(SearchQuery(
            text=text.strip(), organisation=organisation or None, location=location or None,
            skill=skill or None, open_to_opportunities=open_to_opportunities, page=page,
            per_page=per_page, language=language))
    except QueryError as exc:
        raise ServiceError("invalid_query", exc.message, status=422,
                           fields={"q": exc.message}) from None
    ids = [int(h.id) for h in result.hits]
    members = {m.id: m for m in session.scalars(select(Member).where(
        Member.instance_id == instance.id, Member.id.in_(ids)))} if ids else {}
    hits = [MemberHit(member=members[int(h.id)], score=h.score) for h in result.hits
            if int(h.id) in members and is_searchable(members[int(h.id)])]
    return MemberSearch(total=result.total, hits=hits, facets=result.facets,
                        suggestion=result.suggestion, notices=result.notices)
