"""Hubs: topic communities, their threads and posts, joining and following (docs/api.md)."""

from __future__ import annotations

from typing import Annotated

from flask import g, request
from pydantic import BaseModel, Field

from maillon.api.errors import validate_query
from maillon.api.idempotency import Reply
from maillon.api.registry import operation
from maillon.db import db
from maillon.finder.responses import retry_after
from maillon.finder.services import SearchUnavailable
from maillon.hubs import search, services, threads
from maillon.hubs.lifecycle import MEMBERSHIP, POST
from maillon.hubs.models import HUB_ROLES, HUB_VISIBILITIES
from maillon.hubs.serialisation import hub_dict, membership_value, post_dict, thread_dict
from maillon.hubs.validation import HubFields, PostFields, RemovalReason, ThreadFields
from maillon.members.models import Member
from maillon.validation import Body, Choice

TAG = "hubs"


class Person(BaseModel):
    id: int
    name: str


class MembershipOut(BaseModel):
    status: Annotated[str, Choice(MEMBERSHIP.states)] = Field(
        description="pending: asked to join a hub by request; active: a member.")
    role: Annotated[str, Choice(HUB_ROLES)]


class HubOut(BaseModel):
    id: int
    name: str
    description: str
    visibility: Annotated[str, Choice(HUB_VISIBILITIES)]
    member_count: int
    thread_count: int
    created_at: str
    last_activity_at: str
    membership: MembershipOut | None = Field(description="The caller's, or null.")


class HubList(BaseModel):
    total: int
    results: list[HubOut]


class ThreadOut(BaseModel):
    id: int
    hub_id: int
    title: str
    author: Person | None
    reply_count: int
    created_at: str
    last_post_at: str


class ThreadList(BaseModel):
    total: int
    results: list[ThreadOut]


class PostOut(BaseModel):
    id: int
    thread_id: int
    author: Person | None
    opening: bool = Field(description="The thread's opening post.")
    status: Annotated[str, Choice(POST.states)]
    text: str = Field(description="Empty once deleted or removed.")
    mentions: list[int] = Field(description="Ids of the members the post mentions.")
    created_at: str
    edited_at: str | None


class PostList(BaseModel):
    total: int
    results: list[PostOut]


class ThreadDetail(ThreadOut):
    following: bool
    posts: PostList = Field(description="One page of the thread's posts.")


class NewThread(BaseModel):
    thread: ThreadOut
    post: PostOut


class FollowOut(BaseModel):
    following: bool


class Paging(BaseModel):
    page: int = Field(1, ge=1, le=10_000)
    per_page: int = Field(20, ge=1, le=100)


class HubListArgs(Paging):
    mine: bool = False


class HubIn(HubFields):
    pass


class ThreadIn(ThreadFields):
    pass


class PostIn(PostFields):
    pass


class RemoveIn(RemovalReason):
    pass


class DecisionIn(Body):
    approve: bool = Field(description="true: the member joins (and is told); false: refused.")


@operation("GET", "/hubs", summary="The instance's hubs", tag=TAG,
           description="Most recently active first, with the caller's membership. Query: "
           "mine (only the caller's hubs), page, per_page.",
           responses={200: ("A page of hubs", HubList), 422: "validation_failed"})
def list_hubs(member: Member) -> Reply:
    args = validate_query(HubListArgs)
    total, rows = services.list_hubs(db.session, g.instance, member, page=args.page,
                                     per_page=args.per_page, mine=args.mine)
    return {"total": total, "results": [hub_dict(r.hub, r.membership) for r in rows]}, 200


@operation("POST", "/hubs", summary="Create a hub", tag=TAG, body=HubIn, idempotent=True,
           description="Any member; the creator is its first moderator. At most "
           f"{services.CREATION_LIMIT} hubs per member in 30 days (staff: no limit).",
           responses={201: ("The new hub", HubOut),
                      200: ("The caller's hub of this name, created just before", HubOut),
                      409: "hub_name_taken", 422: "validation_failed",
                      429: "hub_limit_reached"})
def create_hub(member: Member, body: HubIn) -> Reply:
    hub, created = services.create_hub(db.session, g.instance, member, body.model_dump())
    access = services.access_hub(db.session, g.instance, member, hub.id)
    return hub_dict(hub, access.membership), 201 if created else 200


@operation("GET", "/hubs/<int:hub_id>", summary="A hub", tag=TAG,
           description="Every hub of the instance is described to its members; threads of a "
           "hub by request only to its members.",
           responses={200: ("The hub", HubOut), 404: "not_found"})
def get_hub(member: Member, hub_id: int) -> Reply:
    access = services.access_hub(db.session, g.instance, member, hub_id)
    return hub_dict(access.hub, access.membership), 200


@operation("PUT", "/hubs/<int:hub_id>", summary="Change a hub (its moderators)", tag=TAG,
           body=HubIn,
           description="Name, description and visibility, all given; a hub made open lets in "
           "the members waiting for approval (each is told). Hub moderators and staff.",
           responses={200: ("The hub", HubOut), 403: "forbidden", 404: "not_found",
                      409: "hub_name_taken", 422: "validation_failed"})
def update_hub(member: Member, hub_id: int, body: HubIn) -> Reply:
    hub = services.update_hub(db.session, g.instance, member, hub_id, body.model_dump())
    access = services.access_hub(db.session, g.instance, member, hub.id)
    return hub_dict(hub, access.membership), 200


@operation("POST", "/hubs/<int:hub_id>/join", summary="Join a hub, or ask to", tag=TAG,
           idempotent=True,
           description="An open hub is joined at once; for a hub by request the membership is "
           "pending and its moderators are told. Joining again answers 200.",
           responses={201: ("The membership", MembershipOut), 200: ("Already a member or "
                                                                     "asked", MembershipOut),
                      404: "not_found"})
def join_hub(member: Member, hub_id: int) -> Reply:
    row, created = services.join_hub(db.session, g.instance, member, hub_id)
    return membership_value(row), 201 if created else 200


@operation("POST", "/hubs/<int:hub_id>/leave", summary="Leave a hub or withdraw a request",
           tag=TAG, responses={204: "Left (or was not a member)", 404: "not_found",
                               409: "last_moderator"})
def leave_hub(member: Member, hub_id: int) -> Reply:
    services.leave_hub(db.session, g.instance, member, hub_id)
    return None, 204


@operation("POST", "/hubs/<int:hub_id>/requests/<int:member_id>",
           summary="Approve or refuse a request to join (hub moderators)", tag=TAG,
           body=DecisionIn,
           responses={200: ("The membership, or null when refused", MembershipOut),
                      403: "forbidden", 404: "not_found", 409: "already_member"})
def decide_request(member: Member, hub_id: int, member_id: int, body: DecisionIn) -> Reply:
    row = services.decide_request(db.session, g.instance, member, hub_id, member_id,
                                  approve=body.approve)
    return membership_value(row), 200


@operation("GET", "/hubs/<int:hub_id>/threads", summary="A hub's threads", tag=TAG,
           description="Latest activity first. Query: page, per_page.",
           responses={200: ("A page of threads", ThreadList),
                      403: "hub_members_only (a hub by request the caller has not joined)",
                      404: "not_found", 422: "validation_failed"})
def list_threads(member: Member, hub_id: int) -> Reply:
    args = validate_query(Paging)
    total, rows = threads.list_threads(db.session, g.instance, member, hub_id,
                                       page=args.page, per_page=args.per_page)
    return {"total": total, "results": [thread_dict(t) for t in rows]}, 200


@operation("POST", "/hubs/<int:hub_id>/threads", summary="Start a thread", tag=TAG,
           body=ThreadIn, idempotent=True,
           description="Posting in an open hub joins it. @mentions (@first.last) of members "
           "who can read the hub notify them.",
           responses={201: ("The thread and its opening post", NewThread),
                      403: "hub_members_only", 404: "not_found", 422: "validation_failed"})
def start_thread(member: Member, hub_id: int, body: ThreadIn) -> Reply:
    thread, post, _created = threads.start_thread(db.session, g.instance, member, hub_id,
                                                  body.model_dump())
    return {"thread": thread_dict(thread), "post": post_dict(post)}, 201


@operation("GET", "/threads/<int:thread_id>", summary="A thread and a page of its posts",
           tag=TAG, description="Posts in order; deleted and removed ones keep their place "
           "without their text. Query: page, per_page.",
           responses={200: ("The thread", ThreadDetail),
                      404: "not_found (also a thread of a hub the caller may not read)",
                      422: "validation_failed"})
def get_thread(member: Member, thread_id: int) -> Reply:
    args = validate_query(Paging)
    seen, total, posts = threads.list_posts(db.session, g.instance, member, thread_id,
                                            page=args.page, per_page=args.per_page)
    following = threads.is_following(db.session, g.instance, member, thread_id)
    return {**thread_dict(seen.thread), "following": following,
            "posts": {"total": total, "results": [post_dict(p) for p in posts]}}, 200


@operation("POST", "/threads/<int:thread_id>/posts", summary="Reply in a thread", tag=TAG,
           body=PostIn, idempotent=True,
           description="Followers are told; @mentions of members who can read the hub notify "
           "them. The replier follows the thread unless they chose to stop.",
           responses={201: ("The reply", PostOut), 403: "hub_members_only",
                      404: "not_found", 422: "validation_failed"})
def reply(member: Member, thread_id: int, body: PostIn) -> Reply:
    post, _created = threads.reply(db.session, g.instance, member, thread_id,
                                   body.model_dump())
    return post_dict(post), 201


@operation("PUT", "/threads/<int:thread_id>/follow", summary="Follow a thread", tag=TAG,
           responses={200: ("Following", FollowOut), 404: "not_found"})
def follow(member: Member, thread_id: int) -> Reply:
    following = threads.follow_thread(db.session, g.instance, member, thread_id,
                                      following=True)
    return {"following": following}, 200


@operation("DELETE", "/threads/<int:thread_id>/follow", summary="Stop following a thread",
           tag=TAG, responses={200: ("Not following", FollowOut), 404: "not_found"})
def unfollow(member: Member, thread_id: int) -> Reply:
    following = threads.follow_thread(db.session, g.instance, member, thread_id,
                                      following=False)
    return {"following": following}, 200


@operation("PATCH", "/posts/<int:post_id>", summary="Edit one's own post", tag=TAG,
           body=PostIn, description="Members it newly mentions are told.",
           responses={200: ("The post", PostOut), 403: "forbidden (not the author)",
                      404: "not_found", 422: "validation_failed"})
def edit_post(member: Member, post_id: int, body: PostIn) -> Reply:
    post = threads.edit_post(db.session, g.instance, member, post_id, body.model_dump())
    return post_dict(post), 200


@operation("DELETE", "/posts/<int:post_id>", summary="Delete one's own post", tag=TAG,
           description="Its text is erased; deleting an opening post deletes the thread.",
           responses={200: ("The post, now deleted", PostOut),
                      403: "forbidden (not the author)", 404: "not_found"})
def delete_post(member: Member, post_id: int) -> Reply:
    post = threads.delete_post(db.session, g.instance, member, post_id)
    return post_dict(post), 200


@operation("POST", "/posts/<int:post_id>/remove", summary="Remove a post (hub moderators)",
           tag=TAG, body=RemoveIn,
           description="Audited (post_removed) with the reason; an opening post takes its "
           "thread with it. Removing again answers the same.",
           responses={200: ("The post, now removed", PostOut), 403: "forbidden",
                      404: "not_found", 422: "validation_failed"})
def remove_post(member: Member, post_id: int, body: RemoveIn) -> Reply:
    post = threads.remove_post(db.session, g.instance, member, post_id, body.reason,
                               ip=request.remote_addr or "")
    return post_dict(post), 200


class ThreadSearchArgs(Paging):
    q: str = Field("", max_length=500)
    hub: str | None = Field(None, max_length=80)


class ThreadHitOut(ThreadOut):
    hub: str
    excerpt: str = Field(description="The start of the opening post.")
    score: float


class ThreadSearchAnswer(BaseModel):
    total: int
    results: list[ThreadHitOut]
    hubs: list[tuple[str, int]] = Field(description="[hub name, matching threads] pairs.")
    suggestion: str | None = None


@operation("GET", "/search/threads", summary="Search the threads of hubs", tag=TAG,
           description="Query parameters: q (the query language of /search), hub (a hub's "
           "name: only its threads), page, per_page. Only threads of hubs the caller may read: "
           "a thread of a hub by request they have not joined never counts.",
           responses={200: ("Matching threads, best first", ThreadSearchAnswer),
                      422: "validation_failed, invalid_query, query_too_long",
                      503: "search_unavailable: the thread index is being rebuilt; retry "
                           "after the Retry-After header's seconds"})
def search_threads(member: Member) -> Reply:
    args = validate_query(ThreadSearchArgs)
    try:
        found = search.search_threads(db.session, g.instance, member, text=args.q,
                                      hub=args.hub, page=args.page, per_page=args.per_page)
    except SearchUnavailable as exc:
        retry_after(exc.retry_after)
        raise
    return {"total": found.total,
            "results": [{**thread_dict(h.thread), "hub": h.thread.hub.name,
                         "excerpt": h.excerpt, "score": h.score} for h in found.hits],
            "hubs": [[name, count] for name, count in found.hubs],
            "suggestion": found.suggestion}, 200
