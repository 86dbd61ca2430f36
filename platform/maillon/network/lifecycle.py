"""The lifecycle of a connection between two members (see ``maillon.lifecycle``).

One row per pair: a new request after a decline, a withdrawal or a removal reuses the row, so
those states lead back to ``pending``.
"""

from __future__ import annotations

from maillon.lifecycle import Lifecycle

CONNECTION = Lifecycle.of("connection", initial={"pending"}, allowed={
    # Accepted or declined by the invited member, or withdrawn by the one who asked.
    "pending": {"connected", "declined", "withdrawn"},
    # Removed by either side.
    "connected": {"removed"},
    "declined": {"pending"},
    "withdrawn": {"pending"},
    "removed": {"pending"},
})

CONNECTION_STATUSES = CONNECTION.states
# The states the pages and the API name (checked against the table).
PENDING = CONNECTION.state("pending")
CONNECTED = CONNECTION.state("connected")
DECLINED = CONNECTION.state("declined")
WITHDRAWN = CONNECTION.state("withdrawn")
REMOVED = CONNECTION.state("removed")
#: A request on its way or a connection: a new request between the pair would repeat it.
LIVE_STATUSES = (PENDING, CONNECTED)
