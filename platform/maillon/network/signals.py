"""Network events, sent inside the transaction with the session as sender.

``actor=`` is the member who acted; ``recipient=`` the member the event is addressed to (the one
a notification would go to).
"""

from blinker import Namespace

_signals = Namespace()

# connection=, actor= (the member who acted)
connection_requested = _signals.signal("connection-requested")
connection_accepted = _signals.signal("connection-accepted")
# connection= (a RemoteConnection), recipient= (the member whose request was accepted),
# person= (the RemoteActor who accepted it, on another server)
remote_connection_accepted = _signals.signal("remote-connection-accepted")

# endorsement=, actor= (the endorser), recipient= (the endorsed member)
skill_endorsed = _signals.signal("skill-endorsed")
# recommendation=, actor= (the author), recipient= (the recommended member); also on an edit
recommendation_written = _signals.signal("recommendation-written")
# request= (a RecommendationRequest), actor= (who asks), recipient= (who is asked)
recommendation_requested = _signals.signal("recommendation-requested")
# recommendation=, actor= (the recommended member), recipient= (the author)
recommendation_approved = _signals.signal("recommendation-approved")
