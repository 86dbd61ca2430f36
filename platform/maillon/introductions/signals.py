"""Introduction events, sent inside the transaction with the session as sender.

Every signal carries ``introduction=``, ``actor=`` (the member who acted, None for the system)
and ``recipients=`` (the members to tell); the notifications domain turns them into messages.
The recipients of ``introduction_declined`` and ``introduction_expired`` are told without who.
"""

from blinker import Namespace

_signals = Namespace()

introduction_requested = _signals.signal("introduction-requested")  # to the first holder
introduction_forwarded = _signals.signal("introduction-forwarded")  # to the new holder
introduction_delivered = _signals.signal("introduction-delivered")  # to the target
introduction_declined = _signals.signal("introduction-declined")  # to the requester
introduction_expired = _signals.signal("introduction-expired")  # to the requester
introduction_advised = _signals.signal("introduction-advised")  # requester and the chain
introduction_accepted = _signals.signal("introduction-accepted")  # requester and the chain
introduction_rejected = _signals.signal("introduction-rejected")  # requester and the chain
introduction_thanked = _signals.signal("introduction-thanked")  # the chain
introduction_withdrawn = _signals.signal("introduction-withdrawn")  # whoever held it
# A moderator's block (``review``): the requester is told why (reason=), whoever held it that
# nothing more is asked of them.
introduction_blocked = _signals.signal("introduction-blocked")  # the requester, reason=
introduction_released = _signals.signal("introduction-released")  # whoever held it
# message=, actor= (the sender), recipients=[recipient]
direct_message_sent = _signals.signal("direct-message-sent")
