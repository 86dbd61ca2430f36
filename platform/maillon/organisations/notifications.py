"""What members are told about organisations: its admins, that someone claims to belong to it;
the member, that the admins confirmed or declined the claim (a claim confirmed by e-mail domain
needs no answer, nobody decided it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from maillon.members.models import Member
from maillon.notifications.models import Notification
from maillon.notifications.services import Link, NotificationKind, notify, register_kind
from maillon.organisations.lifecycle import CONFIRMED
from maillon.organisations.models import Affiliation, Organisation
from maillon.tenancy.models import Instance


def _claims_page(n: Notification) -> Link:
    return "organisations.claims", {"org_id": n.data.get("organisation_id", 0)}


def _organisation_page(n: Notification) -> Link:
    return "organisations.show", {"org_id": n.data.get("organisation_id", 0)}


def _claimed(actor: str, data: Mapping[str, Any]) -> str:
    return _(
        "%(actor)s says they belong to %(organisation)s",
        actor=actor,
        organisation=data.get("organisation", ""),
    )


def _decided(actor: str, data: Mapping[str, Any]) -> str:
    if data.get("confirmed"):
        return _(
            "%(organisation)s confirmed your affiliation", organisation=data.get("organisation", "")
        )
    return _(
        "%(organisation)s declined your affiliation", organisation=data.get("organisation", "")
    )


register_kind(
    NotificationKind(
        "affiliation_claimed",
        _l("Claims to organisations I run"),
        _claimed,
        _claims_page,
        default_email=True,
        email_template="organisations/email/affiliation_claimed",
    )
)
register_kind(
    NotificationKind(
        "affiliation_decided",
        _l("Answers to my organisation claims"),
        _decided,
        _organisation_page,
        email_template="organisations/email/affiliation_decided",
    )
)


def tell_admins(
    session: Session, instance: Instance, org: Organisation, claimant: Member, admins: list[Member]
) -> None:
    """A claim waits: each admin of the organisation is told (at most 20 of them)."""
    data = {"organisation_id": org.id, "organisation": org.name}
    for admin in admins:
        notify(
            session,
            instance,
            admin,
            "affiliation_claimed",
            actor=claimant,
            subject=("organisation", org.id),
            data=data,
        )


def tell_member(session: Session, instance: Instance, row: Affiliation, actor: Member) -> None:
    """An admin decided the member's claim."""
    org = row.organisation
    notify(
        session,
        instance,
        row.member,
        "affiliation_decided",
        actor=actor,
        subject=("organisation", org.id),
        data={
            "organisation_id": org.id,
            "organisation": org.name,
            "confirmed": row.status == CONFIRMED,
        },
    )
