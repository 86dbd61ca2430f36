"""Hub events, sent inside the transaction with the session as sender.

``thread_changed``: thread= (a thread was started, replied to, edited, deleted or removed); the
search indexing listens to it.
``hub_renamed``: hub= (its threads' documents carry its name: indexed again).
"""

from blinker import Namespace

_signals = Namespace()

thread_changed = _signals.signal("thread-changed")
hub_renamed = _signals.signal("hub-renamed")
