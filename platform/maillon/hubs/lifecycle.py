"""The lifecycles of hub memberships, threads and posts (see ``maillon.lifecycle``).

Leaving a hub, or a request refused, deletes the membership row: a later request starts anew.
"""

from __future__ import annotations

from maillon.lifecycle import Lifecycle

MEMBERSHIP = Lifecycle.of("hub membership", initial={"pending", "active"}, allowed={
    # A request to join a hub "by request", approved by a hub moderator.
    "pending": {"active"},
    "active": set(),
})
PENDING = MEMBERSHIP.state("pending")
ACTIVE = MEMBERSHIP.state("active")

#: A thread disappears with its opening post: deleted by its author, removed by a moderator.
THREAD = Lifecycle.of("thread", initial={"published"}, allowed={
    "published": {"deleted", "removed"},
    "deleted": set(),
    "removed": set(),
})
#: A post's text is erased when it leaves "published"; the thread keeps a placeholder.
POST = Lifecycle.of("post", initial={"published"}, allowed={
    "published": {"deleted", "removed"},
    "deleted": set(),
    "removed": set(),
})
PUBLISHED = POST.state("published")
DELETED = POST.state("deleted")
REMOVED = POST.state("removed")
