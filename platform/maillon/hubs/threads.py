"""Threads and posts in a hub: starting a thread, replying, editing and deleting one's own
post, moderators removing posts (audited), following a thread, and @mentions.

Followers: the author and every replier follow a thread automatically (as on Discourse); one
who unfollows stays unfollowed, replying again or not. A reply tells the followers
(``thread_reply``), a mention tells the mentioned member (``hub_mention``, instead of the reply
notice), and only members who can read the hub are ever told or linked.

A double submit: the page's form (and an API client) send a one-time ``client_key``; the same
author's same key finds the first post (a unique constraint backs the lookup).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload
from werkzeug.exceptions import NotFound

from maillon.db import begin_write, flush_or_find, utcnow
from maillon.errors import Forbidden, ValidationFailed
from maillon.hubs import signals
from maillon.hubs.lifecycle import ACTIVE, DELETED, POST, PUBLISHED, REMOVED, THREAD
from maillon.hubs.models import Hub, HubMembership, Post, Thread, ThreadFollow
from maillon.hubs.notifications import tell_mentioned, tell_replied
from maillon.hubs.services import (
    HubAccess,
    access_hub,
    ensure_member,
    is_staff,
    moderated,
    readable,
)
from maillon.hubs.text import excerpt, handle_of, initials, mentioned_handles
from maillon.hubs.validation import MAX_CLIENT_KEY, PostFields, RemovalReason, ThreadFields
from maillon.members.models import Member
from maillon.moderation.services import record_audit
from maillon.network.services import connection_ids
from maillon.pagination import MAX_ID, MAX_PAGE, MAX_PER_PAGE
from maillon.tenancy.models import Instance
from maillon.validation import check

#: Members whose names are compared with a post's handles, at most (those whose name starts
#: with a handle's first letter, among the people one plausibly mentions).
MAX_CANDIDATES = 5000
#: Followers told of one reply, at most (a thread followed by more is a broadcast: the
#: earliest followers are told, the others see it in the thread).
MAX_TOLD = 500


def _page(page: int, per_page: int) -> tuple[int, int]:
    return max(1, min(page, MAX_PAGE)), max(1, min(per_page, MAX_PER_PAGE))


def _client_key(key: str | None) -> str | None:
    key = (key or "").strip()
    if not key:
        return None
    if len(key) > MAX_CLIENT_KEY or not key.isprintable():
        raise ValidationFailed({"client_key": _("At most %(n)d characters.",
                                                n=MAX_CLIENT_KEY)})
    return key


def _find_by_key(session: Session, instance: Instance, author_id: int, key: str
                 ) -> Post | None:
    return session.scalar(select(Post).where(
        Post.instance_id == instance.id, Post.author_id == author_id, Post.client_key == key))


# ---------------------------------------------------------------------- reading


def list_threads(session: Session, instance: Instance, member: Member, hub_id: int, *,
                 page: int = 1, per_page: int = 20) -> tuple[int, list[Thread]]:
    """A hub's threads, latest activity first (readers of the hub)."""
    access = readable(access_hub(session, instance, member, hub_id))
    page, per_page = _page(page, per_page)
    where = (Thread.instance_id == instance.id, Thread.hub_id == access.hub.id,
             Thread.status == PUBLISHED)
    total = int(session.scalar(select(func.count(Thread.id)).where(*where)) or 0)
    rows = list(session.scalars(select(Thread).where(*where).options(
        joinedload(Thread.author)).order_by(Thread.last_post_at.desc(), Thread.id.desc())
        .offset((page - 1) * per_page).limit(per_page)))
    return total, rows


@dataclass(frozen=True)
class ThreadAccess:
    thread: Thread
    access: HubAccess


def access_thread(session: Session, instance: Instance, member: Member | None,
                  thread_id: int) -> ThreadAccess:
    """A published thread of a hub the member may read; 404 otherwise (a thread of a hub by
    request is not even named to those outside it)."""
    if not 0 < thread_id <= MAX_ID:
        raise NotFound()
    thread = session.scalar(select(Thread).where(
        Thread.instance_id == instance.id, Thread.id == thread_id,
        Thread.status == PUBLISHED))
    if thread is None:
        raise NotFound()
    access = access_hub(session, instance, member, thread.hub_id)
    if not access.can_read:
        raise NotFound()
    return ThreadAccess(thread, access)


def list_posts(session: Session, instance: Instance, member: Member, thread_id: int, *,
               page: int = 1, per_page: int = 20) -> tuple[ThreadAccess, int, list[Post]]:
    """A thread's posts in order, deleted ones as placeholders (their text is gone)."""
    seen = access_thread(session, instance, member, thread_id)
    page, per_page = _page(page, per_page)
    where = (Post.instance_id == instance.id, Post.thread_id == seen.thread.id)
    total = int(session.scalar(select(func.count(Post.id)).where(*where)) or 0)
    rows = list(session.scalars(select(Post).where(*where).options(joinedload(Post.author))
                                .order_by(Post.id).offset((page - 1) * per_page)
                                .limit(per_page)))
    return seen, total, rows


def access_post(session: Session, instance: Instance, member: Member | None, post_id: int
                ) -> tuple[Post, ThreadAccess]:
    """A post of a thread the member may read (published or not); 404 otherwise."""
    if not 0 < post_id <= MAX_ID:
        raise NotFound()
    post = session.scalar(select(Post).where(Post.instance_id == instance.id,
                                             Post.id == post_id))
    if post is None:
        raise NotFound()
    return post, access_thread(session, instance, member, post.thread_id)


def is_following(session: Session, instance: Instance, member: Member, thread_id: int
                 ) -> bool:
    return bool(session.scalar(select(ThreadFollow.following).where(
        ThreadFollow.instance_id == instance.id, ThreadFollow.thread_id == thread_id,
        ThreadFollow.member_id == member.id)))


def post_page(session: Session, instance: Instance, post: Post, per_page: int) -> int:
    """The page of its thread a post is on."""
    before = int(session.scalar(select(func.count(Post.id)).where(
        Post.instance_id == instance.id, Post.thread_id == post.thread_id,
        Post.id < post.id)) or 0)
    return before // max(1, per_page) + 1


# ---------------------------------------------------------------------- mentions


def _readers_among(session: Session, instance: Instance, hub: Hub, members: list[Member]
                   ) -> list[Member]:
    """Those of ``members`` who may read the hub (a mention tells and links no one else)."""
    if hub.visibility == "open":
        return members
    joined = set(session.scalars(select(HubMembership.member_id).where(
        HubMembership.instance_id == instance.id, HubMembership.hub_id == hub.id,
        HubMembership.status == ACTIVE,
        HubMembership.member_id.in_([m.id for m in members]))))
    return [m for m in members if m.id in joined or is_staff(m)]


def resolve_mentions(session: Session, instance: Instance, hub: Hub, author: Member,
                     thread_id: int | None, text: str) -> list[Member]:
    """The members a text mentions who may read the hub.

    A handle is looked up among the people one plausibly mentions: the hub's members, the
    thread's participants and the author's connections (decision 41a). A handle that two of
    them share names nobody: a mention must never reach the wrong person."""
    handles = mentioned_handles(text)
    if not handles:
        return []
    near = [Member.id.in_(select(HubMembership.member_id).where(
        HubMembership.instance_id == instance.id, HubMembership.hub_id == hub.id,
        HubMembership.status == ACTIVE))]
    if thread_id is not None:
        near.append(Member.id.in_(select(Post.author_id).where(
            Post.instance_id == instance.id, Post.thread_id == thread_id)))
    contacts = connection_ids(session, instance, author.id)
    if contacts:
        near.append(Member.id.in_(contacts))
    candidates = session.scalars(select(Member).where(
        Member.instance_id == instance.id, Member.status == "active", Member.id != author.id,
        or_(*near), or_(*(Member.name.like(f"{letter}%")
                          for letter in sorted(initials(handles)))))
        .order_by(Member.id).limit(MAX_CANDIDATES))
    by_handle: dict[str, list[Member]] = {}
    for member in candidates:
        handle = handle_of(member.name)
        if handle in handles:
            by_handle.setdefault(handle, []).append(member)
    found = [ms[0] for h in handles if len(ms := by_handle.get(h, [])) == 1]
    return _readers_among(session, instance, hub, found)


def _mention_rows(members: list[Member]) -> list[dict[str, object]]:
    return [{"id": m.id, "handle": handle_of(m.name)} for m in members]


# ---------------------------------------------------------------------- writing


def _follow(session: Session, instance: Instance, thread_id: int, member_id: int) -> None:
    """Follow automatically, unless the member chose to stop following."""
    exists = session.scalar(select(ThreadFollow.id).where(
        ThreadFollow.instance_id == instance.id, ThreadFollow.thread_id == thread_id,
        ThreadFollow.member_id == member_id))
    if exists is None:
        session.add(ThreadFollow(instance_id=instance.id, thread_id=thread_id,
                                 member_id=member_id, following=True, created_at=utcnow()))


def start_thread(session: Session, instance: Instance, author: Member, hub_id: int,
                 data: dict[str, object], *, client_key: str | None = None
                 ) -> tuple[Thread, Post, bool]:
    """A new thread with its opening post: (thread, post, whether it is new)."""
    fields = check(ThreadFields, data)
    key = _client_key(client_key)
    begin_write(session)
    access = readable(access_hub(session, instance, author, hub_id))
    if key is not None and (first := _find_by_key(session, instance, author.id, key)):
        return first.thread, first, False
    ensure_member(session, instance, access)
    now = utcnow()
    thread = Thread(instance_id=instance.id, hub_id=access.hub.id, author_id=author.id,
                    title=fields.title, created_at=now, updated_at=now, last_post_at=now,
                    reply_count=0)
    THREAD.apply(thread, PUBLISHED)
    session.add(thread)
    session.flush()
    mentioned = resolve_mentions(session, instance, access.hub, author, None, fields.text)
    post = Post(instance_id=instance.id, thread_id=thread.id, author_id=author.id,
                opening=True, text=fields.text, mentions=_mention_rows(mentioned),
                client_key=key, created_at=now)
    POST.apply(post, PUBLISHED)
    session.add(post)
    if key is not None and (first := flush_or_find(
            session, lambda: _find_by_key(session, instance, author.id, key))):
        return first.thread, first, False
    session.flush()
    access.hub.thread_count += 1
    access.hub.last_activity_at = now
    _follow(session, instance, thread.id, author.id)
    for member in mentioned:
        tell_mentioned(session, instance, member, author, post, thread.title,
                       excerpt(fields.text))
    signals.thread_changed.send(session, thread=thread)
    session.commit()
    return thread, post, True


def reply(session: Session, instance: Instance, author: Member, thread_id: int,
          data: dict[str, object], *, client_key: str | None = None) -> tuple[Post, bool]:
    """A reply in a thread: (the post, whether it is new). Followers are told."""
    fields = check(PostFields, data)
    key = _client_key(client_key)
    begin_write(session)
    seen = access_thread(session, instance, author, thread_id)
    if key is not None and (first := _find_by_key(session, instance, author.id, key)):
        return first, False
    thread, access = seen.thread, seen.access
    ensure_member(session, instance, access)
    now = utcnow()
    mentioned = resolve_mentions(session, instance, access.hub, author, thread.id, fields.text)
    post = Post(instance_id=instance.id, thread_id=thread.id, author_id=author.id,
                opening=False, text=fields.text, mentions=_mention_rows(mentioned),
                client_key=key, created_at=now)
    POST.apply(post, PUBLISHED)
    session.add(post)
    if key is not None and (first := flush_or_find(
            session, lambda: _find_by_key(session, instance, author.id, key))):
        return first, False
    session.flush()
    thread.reply_count += 1
    thread.last_post_at = now
    access.hub.last_activity_at = now
    _follow(session, instance, thread.id, author.id)
    told = {author.id}
    for member in mentioned:
        told.add(member.id)
        tell_mentioned(session, instance, member, author, post, thread.title,
                       excerpt(fields.text))
    followers = session.scalars(select(Member).join(
        ThreadFollow, ThreadFollow.member_id == Member.id).where(
        ThreadFollow.instance_id == instance.id, ThreadFollow.thread_id == thread.id,
        ThreadFollow.following.is_(True), Member.status == "active")
        .order_by(ThreadFollow.id).limit(MAX_TOLD))
    readers = _readers_among(session, instance, access.hub,
                             [m for m in followers if m.id not in told])
    for member in readers:
        tell_replied(session, instance, member, author, post, thread.title,
                     excerpt(fields.text))
    signals.thread_changed.send(session, thread=thread)
    session.commit()
    return post, True


def access_own_post(session: Session, instance: Instance, member: Member, post_id: int
                   ) -> tuple[Post, ThreadAccess]:
    post, seen = access_post(session, instance, member, post_id)
    if post.author_id != member.id:
        raise Forbidden("forbidden", _("Only its author may change this post."))
    if post.status != PUBLISHED:
        raise NotFound()
    return post, seen


def edit_post(session: Session, instance: Instance, member: Member, post_id: int,
              data: dict[str, object]) -> Post:
    """Change one's own post; members it newly mentions are told (not the others again)."""
    fields = check(PostFields, data)
    begin_write(session)
    post, seen = access_own_post(session, instance, member, post_id)
    if fields.text == post.text:
        return post
    before = {int(m["id"]) for m in post.mentions or []}
    mentioned = resolve_mentions(session, instance, seen.access.hub, member, seen.thread.id,
                                 fields.text)
    post.text, post.mentions, post.edited_at = fields.text, _mention_rows(mentioned), utcnow()
    seen.thread.updated_at = utcnow()
    for target in mentioned:
        if target.id not in before:
            tell_mentioned(session, instance, target, member, post, seen.thread.title,
                           excerpt(fields.text))
    if post.opening:
        signals.thread_changed.send(session, thread=seen.thread)
    session.commit()
    return post


def _take_down(post: Post, thread: Thread, hub: Hub, status: str) -> None:
    """Erase a post's text; an opening post takes its thread with it."""
    was_reply = not post.opening
    POST.apply(post, status)
    post.text, post.mentions = "", []
    if post.opening and thread.status == PUBLISHED:
        THREAD.apply(thread, DELETED if status == DELETED else REMOVED)
        hub.thread_count = max(0, hub.thread_count - 1)
    elif was_reply:
        thread.reply_count = max(0, thread.reply_count - 1)


def delete_post(session: Session, instance: Instance, member: Member, post_id: int) -> Post:
    """Delete one's own post (its text is erased at once). Deleting a thread's opening post
    deletes the thread."""
    begin_write(session)
    post, seen = access_own_post(session, instance, member, post_id)
    _take_down(post, seen.thread, seen.access.hub, DELETED)
    signals.thread_changed.send(session, thread=seen.thread)
    session.commit()
    return post


def remove_post(session: Session, instance: Instance, moderator: Member, post_id: int,
                reason: str, *, ip: str = "") -> Post:
    """A hub moderator (or staff) removes a post, with a reason kept in the audit log; an
    opening post takes its thread with it. Removing it again changes nothing."""
    why = check(RemovalReason, {"reason": reason}).reason
    begin_write(session)
    post, seen = access_post(session, instance, moderator, post_id)
    moderated(seen.access)
    if post.status != PUBLISHED:
        return post
    author = post.author
    _take_down(post, seen.thread, seen.access.hub, REMOVED)
    record_audit(session, instance, moderator, "post_removed", subject=author,
                 subject_type="post", subject_id=post.id,
                 subject_name=author.name if author is not None else "", reason=why, ip=ip,
                 hub_id=seen.access.hub.id, thread_id=seen.thread.id)
    signals.thread_changed.send(session, thread=seen.thread)
    session.commit()
    return post


def erase_reported_post(session: Session, instance: Instance, post: Post) -> bool:
    """Staff deleting a reported post with their report decision (audited by the decision).
    No commit; False when it was already gone."""
    if post.status != PUBLISHED:
        return False
    thread = session.scalar(select(Thread).where(Thread.instance_id == instance.id,
                                                 Thread.id == post.thread_id))
    hub = session.scalar(select(Hub).where(Hub.instance_id == instance.id,
                                           Hub.id == thread.hub_id)) if thread else None
    if thread is None or hub is None:
        return False
    _take_down(post, thread, hub, REMOVED)
    signals.thread_changed.send(session, thread=thread)
    return True


def follow_thread(session: Session, instance: Instance, member: Member, thread_id: int, *,
                  following: bool) -> bool:
    """Follow a thread (told of its replies) or stop; answers whether the member follows."""
    begin_write(session)
    seen = access_thread(session, instance, member, thread_id)
    row = session.scalar(select(ThreadFollow).where(
        ThreadFollow.instance_id == instance.id, ThreadFollow.thread_id == seen.thread.id,
        ThreadFollow.member_id == member.id))
    if row is None:
        row = ThreadFollow(instance_id=instance.id, thread_id=seen.thread.id,
                           member_id=member.id, following=following, created_at=utcnow())
        session.add(row)
        if flush_or_find(session, lambda: session.scalar(select(ThreadFollow).where(
                ThreadFollow.instance_id == instance.id,
                ThreadFollow.thread_id == thread_id,
                ThreadFollow.member_id == member.id))) is not None:
            return follow_thread(session, instance, member, thread_id, following=following)
    row.following = following
    session.commit()
    return following


def erase_hub_posts(session: Session, instance_id: int, member_id: int) -> None:
    """A deleted account's posts: each one deleted through the lifecycle (text erased, counts
    kept right; a thread they opened goes with its opening post). For rights/deletion.py:
    no commit, no notification."""
    posts = list(session.scalars(select(Post).options(
        joinedload(Post.thread).joinedload(Thread.hub)).where(
        Post.instance_id == instance_id, Post.author_id == member_id,
        Post.status == PUBLISHED).order_by(Post.id)))
    changed: dict[int, Thread] = {}
    for post in posts:
        if post.thread.status != PUBLISHED and not post.opening:
            POST.apply(post, DELETED)  # its thread is gone already: only the text matters
            post.text, post.mentions = "", []
            continue
        _take_down(post, post.thread, post.thread.hub, DELETED)
        changed[post.thread.id] = post.thread
    for thread in changed.values():  # the search index drops or refreshes them
        signals.thread_changed.send(session, thread=thread)
