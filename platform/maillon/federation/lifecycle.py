"""The lifecycle of an activity received in an inbox (see ``maillon.lifecycle``)."""

from __future__ import annotations

from maillon.lifecycle import Lifecycle

#: received: verified and waiting for the worker; processed: acted upon; ignored: a type we do
#: not handle, or nothing to do (Mastodon answers 202 and drops them too); failed: the handler
#: gave up (the job's error says why).
INBOX = Lifecycle.of(
    "inbox activity",
    initial={"received"},
    allowed={
        "received": {"processed", "ignored", "failed"},
        "processed": set(),
        "ignored": set(),
        "failed": set(),
    },
)
RECEIVED = INBOX.state("received")
PROCESSED = INBOX.state("processed")
IGNORED = INBOX.state("ignored")
FAILED = INBOX.state("failed")

#: queued: waiting for its next try (after a failure too); delivered: the inbox answered 2xx;
#: rejected: refused for good (a final 4xx, or our policies refuse the server); expired: its
#: tries are spent, or the server became unavailable.
DELIVERY = Lifecycle.of(
    "delivery",
    initial={"queued"},
    allowed={
        "queued": {"queued", "delivered", "rejected", "expired"},
        "delivered": set(),
        "rejected": set(),
        "expired": set(),
    },
)
QUEUED = DELIVERY.state("queued")
DELIVERED = DELIVERY.state("delivered")
REJECTED = DELIVERY.state("rejected")
EXPIRED = DELIVERY.state("expired")

#: A local member and a remote person (``connections.py``, ``outgoing.py``): requested (their
#: Follow waits for the member), pending (the member's Follow waits for them), connected
#: (accepted), declined (by the side asked), withdrawn (an Undo before an answer), removed
#: (by either side after). Asking again after an end, from either side, starts over.
REMOTE_CONNECTION = Lifecycle.of(
    "remote connection",
    initial={"requested", "pending"},
    allowed={
        "requested": {"connected", "declined", "withdrawn"},
        "pending": {"connected", "declined", "withdrawn"},
        "connected": {"removed"},
        "declined": {"requested", "pending"},
        "withdrawn": {"requested", "pending"},
        "removed": {"requested", "pending"},
    },
)
REQUESTED = REMOTE_CONNECTION.state("requested")
PENDING = REMOTE_CONNECTION.state("pending")
CONNECTED = REMOTE_CONNECTION.state("connected")
DECLINED = REMOTE_CONNECTION.state("declined")
WITHDRAWN = REMOTE_CONNECTION.state("withdrawn")
REMOVED = REMOTE_CONNECTION.state("removed")
