"""The lifecycles of a sanction and of an appeal (see ``maillon.lifecycle``)."""

from __future__ import annotations

from maillon.lifecycle import Lifecycle

SANCTION = Lifecycle.of("sanction", initial={"active"}, allowed={
    # In force: lifted by staff or by an accepted appeal, or past its end date.
    "active": {"lifted", "expired"},
    "lifted": set(),
    "expired": set(),
})

APPEAL = Lifecycle.of("appeal", initial={"open"}, allowed={
    # Waiting for staff: accepted (the sanction is lifted) or rejected (it stays).
    "open": {"accepted", "rejected"},
    "accepted": set(),
    "rejected": set(),
})

REPORT = Lifecycle.of("report", initial={"open"}, allowed={
    # Waiting for staff: action was taken on its subject, or none (dismissed). One decision
    # closes every open report of the subject.
    "open": {"actioned", "dismissed"},
    "actioned": set(),
    "dismissed": set(),
})

# The states the services, pages and API name (checked against the tables).
IN_FORCE = SANCTION.state("active")
LIFTED = SANCTION.state("lifted")
EXPIRED = SANCTION.state("expired")
APPEAL_OPEN = APPEAL.state("open")
APPEAL_ACCEPTED = APPEAL.state("accepted")
APPEAL_REJECTED = APPEAL.state("rejected")
REPORT_OPEN = REPORT.state("open")
REPORT_ACTIONED = REPORT.state("actioned")
