"""GET /search: members of the instance matching a query, with facets and suggestions."""

from __future__ import annotations

from typing import Any

from flask import g
from pydantic import BaseModel, Field

from maillon.api.errors import validate_query
from maillon.api.idempotency import Reply
from maillon.api.registry import operation
from maillon.api.schemas import Profile
from maillon.db import db
from maillon.federation import discovery
from maillon.finder.responses import retry_after
from maillon.finder.services import SearchUnavailable, search_members
from maillon.members.models import Member
from maillon.members.serialisation import profile_dicts


class SearchArgs(BaseModel):
    q: str = Field("", max_length=500)
    company: str | None = Field(None, max_length=120)
    location: str | None = Field(None, max_length=120)
    skill: str | None = Field(None, max_length=60)
    degree: int | None = Field(None, ge=1, le=3)
    open: bool | None = None
    page: int = Field(1, ge=1, le=10_000)
    per_page: int = Field(20, ge=1, le=100)


class SearchHit(Profile):
    degree: int | None = Field(description="1, 2, 3 links from the caller, or null beyond.")
    shared_connections: int = Field(description="Connections the caller shares with them.")
    score: float


class SearchAnswer(BaseModel):
    total: int
    results: list[SearchHit]
    facets: dict[str, list[tuple[Any, int]]]
    suggestion: str | None = None


@operation("GET", "/search", summary="Search the instance's members", tag="search",
           description="Query parameters: q (free text: words, \"phrases\", prefix*, "
           "company:/skill:/location:/name: fields), company, location, skill, degree (1-3: "
           "members within that many links of the caller; closer members rank higher), "
           "open (true: open to opportunities), page, per_page (max 100). Members hidden "
           "from the directory, suspended or of another instance never appear.",
           responses={200: ("Matching members, best first", SearchAnswer),
                      422: "validation_failed, invalid_query, query_too_long",
                      503: "search_unavailable: the index is being rebuilt; retry after the "
                           "Retry-After header's seconds"})
def search(member: Member) -> Reply:
    args = validate_query(SearchArgs)
    try:
        outcome = search_members(db.session, g.instance, member, text=args.q,
                                 organisation=args.company, location=args.location,
                                 skill=args.skill, open_to_opportunities=args.open,
                                 page=args.page, per_page=args.per_page, degree=args.degree,
                                 language=member.locale or g.instance.setting("locale"))
    except SearchUnavailable as exc:  # the JSON error body; the header says when to retry
        retry_after(exc.retry_after)
        raise
    profiles = profile_dicts(db.session, [hit.member for hit in outcome.hits], member)
    results = [{**profile, "degree": hit.degree, "shared_connections": hit.shared,
                "score": hit.score} for profile, hit in zip(profiles, outcome.hits, strict=True)]
    facets = {name: [[value, count] for value, count in values]
              for name, values in outcome.facets.items()}
    return {"total": outcome.total, "results": results, "facets": facets,
            "suggestion": outcome.suggestion}, 200


class OtherCommunitiesArgs(BaseModel):
    q: str = Field(min_length=1, max_length=200)


class OtherCommunityHit(BaseModel):
    id: str = Field(description="Their actor URL: the address to look them up and connect.")
    handle: str = Field(description="user@host.")
    name: str
    headline: str
    location: str
    community: str = Field(description="The name of the community they belong to.")


class OtherCommunitiesAnswer(BaseModel):
    results: list[OtherCommunityHit]


@operation("GET", "/search/other-communities",
           summary="Search the deployment's other communities", tag="search",
           description="Query parameter: q. Each other community of this deployment that this "
           "one federates with is asked once (in process, signed by this instance): it answers "
           "with at most 10 of its members who chose to be reachable and searchable from other "
           "servers, if its own policy lets this community discover them. Empty when this "
           "community federates with nobody.",
           responses={200: ("What the other communities found", OtherCommunitiesAnswer),
                      422: "validation_failed"})
def search_other_communities(member: Member) -> Reply:
    args = validate_query(OtherCommunitiesArgs)
    hits = discovery.search_sisters(db.session, g.instance, args.q)
    return {"results": [{"id": h.uri, "handle": h.handle, "name": h.name,
                         "headline": h.headline, "location": h.location,
                         "community": h.community} for h in hits]}, 200
