"""Network events, sent inside the transaction with the session as sender."""

from blinker import Namespace

_signals = Namespace()

# connection=, actor= (the member who acted)
connection_requested = _signals.signal("connection-requested")
connection_accepted = _signals.signal("connection-accepted")
