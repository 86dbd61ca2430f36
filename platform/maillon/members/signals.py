"""Events other domains react to (search indexing, the graph), sent inside the transaction."""

from blinker import Namespace

_signals = Namespace()

# Sent with the session as sender and ``member=``, before the commit, whenever a member's
# searchable data or visibility changes: receivers may add outbox jobs to the same transaction.
member_changed = _signals.signal("member-changed")
