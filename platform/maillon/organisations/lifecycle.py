"""The lifecycle of a member's affiliation to an organisation (see ``maillon.lifecycle``).

One row per (organisation, member): claiming again after a decline or an end reuses the row,
so those states lead back to ``pending`` (or straight to ``confirmed`` by e-mail domain).
"""

from __future__ import annotations

from maillon.lifecycle import Lifecycle

AFFILIATION = Lifecycle.of(
    "affiliation",
    initial={"pending", "confirmed"},
    allowed={
        # Claimed by the member: confirmed or declined by an organisation admin, or taken back.
        "pending": {"confirmed", "declined", "ended"},
        # On the profile and the organisation's page: ended by the member or an admin.
        "confirmed": {"ended"},
        "declined": {"pending", "confirmed"},
        "ended": {"pending", "confirmed"},
    },
)

AFFILIATION_STATUSES = AFFILIATION.states
PENDING = AFFILIATION.state("pending")
CONFIRMED = AFFILIATION.state("confirmed")
DECLINED = AFFILIATION.state("declined")
ENDED = AFFILIATION.state("ended")
#: A claim in force: claiming again replays it (and may change its role or dates).
LIVE_STATUSES = (PENDING, CONFIRMED)
