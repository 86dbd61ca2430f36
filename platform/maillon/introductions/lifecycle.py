"""The lifecycles of an introduction request and of each relay's turn (hop).

The tables are the only place that says which status may follow which: the relay services ask
them before acting and change a status only through ``apply`` (see ``maillon.lifecycle``).
"""

from __future__ import annotations

from maillon.lifecycle import Lifecycle

INTRODUCTION = Lifecycle.of("introduction", initial={"in_progress", "delivered", "held"}, allowed={
    # Travelling: handed to the next relay (stays in progress), delivered to the target, or
    # stopped by the relay holding it, by its deadline or by the requester.
    "in_progress": {"in_progress", "delivered", "declined", "advised", "expired", "withdrawn",
                    "blocked"},
    # Waiting for the target's answer. A target on another server may never answer: their
    # Offer has a deadline like a relay's turn (decision 56); when the chain continues over
    # there, someone on that side may stop it (decision 61).
    "delivered": {"accepted", "rejected", "withdrawn", "blocked", "expired", "declined"},
    # Stopped on the way: the requester may try another chain (a new attempt) or call it off.
    "declined": {"in_progress", "delivered", "withdrawn"},
    "expired": {"in_progress", "delivered", "withdrawn"},
    "accepted": set(),
    "rejected": set(),
    "advised": set(),
    "withdrawn": set(),
    # A moderator's block (``review.block_introduction``), with a reason the requester reads.
    "blocked": set(),
    # A new member's first request, held until staff approve it (it then travels as any
    # other), block it, or the requester calls it off (``review``).
    "held": {"in_progress", "delivered", "blocked", "withdrawn"},
})

HOP = Lifecycle.of("introduction hop", initial={"holding"}, allowed={
    "holding": {"forwarded", "rerouted", "declined", "advised", "expired", "released"},
    "forwarded": set(),
    "rerouted": set(),
    "declined": set(),
    "advised": set(),
    "expired": set(),
    # A moderator blocked the request while this relay held it: their turn ends, no blame.
    "released": set(),
})

STATUSES = INTRODUCTION.states
# The states the pages and the API name (checked against the table).
IN_PROGRESS = INTRODUCTION.state("in_progress")  # a relay holds it
DELIVERED = INTRODUCTION.state("delivered")  # waiting for the target's answer
ACCEPTED = INTRODUCTION.state("accepted")
REJECTED = INTRODUCTION.state("rejected")
WITHDRAWN = INTRODUCTION.state("withdrawn")
DECLINED = INTRODUCTION.state("declined")  # a relay said no
ADVISED = INTRODUCTION.state("advised")  # a relay ended it with advice
EXPIRED = INTRODUCTION.state("expired")  # a relay let its deadline pass
HELD = INTRODUCTION.state("held")  # waiting for a moderator's approval
BLOCKED = INTRODUCTION.state("blocked")  # a moderator stopped it
HOLDING = HOP.state("holding")
DECLINED_HOP = HOP.state("declined")
ADVISED_HOP = HOP.state("advised")
EXPIRED_HOP = HOP.state("expired")
RELEASED_HOP = HOP.state("released")
#: Someone other than the requester still has to act: counted against the requester's quota.
OPEN_STATUSES = (IN_PROGRESS, DELIVERED, HELD)
#: Stopped on the way, so the requester may send it along another chain.
RETRYABLE_STATUSES = tuple(s for s in STATUSES if s not in OPEN_STATUSES
                           and INTRODUCTION.allows(s, "in_progress"))
HOP_STATUSES = HOP.states
#: A relay passed the request on (to the planned next person, or to another one).
PASSED_HOP_STATUSES = (HOP.state("forwarded"), HOP.state("rerouted"))
#: A relay's turn is over, whatever they did (every final state of a turn but a moderator's
#: block, which is nothing the relay did: it counts neither for nor against relaying).
ACTED_HOP_STATUSES = tuple(s for s in HOP_STATUSES if HOP.final(s) and s != RELEASED_HOP)
#: The request stopped at this relay (declined, advice, deadline).
STOPPED_HOP_STATUSES = tuple(s for s in ACTED_HOP_STATUSES if s not in PASSED_HOP_STATUSES)
#: Stopped on the way: the requester sees that it stopped, not where.
STOPPED_STATUSES = RETRYABLE_STATUSES
#: Answered: by the target, by a relay's advice, or stopped on the way (the requester's home).
ANSWERED_STATUSES = (ACCEPTED, REJECTED, ADVISED, *STOPPED_STATUSES)

#: An introduction a person on another server asks a member for (decision 56a): waiting for
#: the member's answer, then accepted or declined (an Accept or a Reject goes back), or
#: withdrawn by the requester's side first (their Undo of the Offer).
#: When the chain continues here (decision 62) the request first travels between our members
#: (``relaying``: a relay here holds it, passed from one to the next) before it waits for the
#: person it is for; it may stop on the way (``stopped``: a relay declined, let their turn
#: expire, or no chain remains; also a request no chain here could carry, kept as one row).
INCOMING = Lifecycle.of("incoming introduction", initial={"waiting", "relaying", "stopped"},
                        allowed={
    "relaying": {"relaying", "waiting", "stopped", "withdrawn"},
    # ``stopped`` from here only when the person it is for deletes their account.
    "waiting": {"accepted", "declined", "withdrawn", "stopped"},
    "accepted": set(),
    "declined": set(),
    "withdrawn": set(),
    "stopped": set(),
})
INCOMING_WAITING = INCOMING.state("waiting")
INCOMING_ACCEPTED = INCOMING.state("accepted")
INCOMING_DECLINED = INCOMING.state("declined")
INCOMING_WITHDRAWN = INCOMING.state("withdrawn")
INCOMING_RELAYING = INCOMING.state("relaying")
INCOMING_STOPPED = INCOMING.state("stopped")
#: Someone here still has to act on it (the flood guard counts these).
INCOMING_OPEN = (INCOMING_WAITING, INCOMING_RELAYING)

#: One relay's turn on this side of a request from another server (decision 62): they pass it
#: on, decline, let it expire, or the sender's Undo ends it while they hold it.
INCOMING_TURN = Lifecycle.of("incoming introduction turn", initial={"waiting"}, allowed={
    "waiting": {"forwarded", "declined", "expired", "withdrawn"},
    "forwarded": set(),
    "declined": set(),
    "expired": set(),
    "withdrawn": set(),
})
TURN_WAITING = INCOMING_TURN.state("waiting")
TURN_FORWARDED = INCOMING_TURN.state("forwarded")
TURN_DECLINED = INCOMING_TURN.state("declined")
TURN_EXPIRED = INCOMING_TURN.state("expired")
TURN_WITHDRAWN = INCOMING_TURN.state("withdrawn")
