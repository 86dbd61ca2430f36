"""What opportunities tell members: a relay (to the contact), an interested answer with the
vouch (to the poster), a request for a referral (to the ambassador), a referral made (to the
asker), a new opportunity of their organisation (to its ambassadors)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from maillon.members.models import Member
from maillon.notifications.models import Notification
from maillon.notifications.services import Link, NotificationKind, notify, register_kind
from maillon.tenancy.models import Instance


def _opportunity(n: Notification) -> Link:
    return "opportunities.detail", {
        "opportunity_id": int((n.data or {}).get("opportunity_id", 0))}


def _relayed(actor: str, data: Mapping[str, Any]) -> str:
    return _("%(actor)s thinks this opportunity is for you: %(title)s", actor=actor,
             title=data.get("title", ""))


def _interested(actor: str, data: Mapping[str, Any]) -> str:
    return _("%(actor)s is interested in %(title)s, vouched for by %(names)s", actor=actor,
             title=data.get("title", ""), names=data.get("vouchers", ""))


def _referral_asked(actor: str, data: Mapping[str, Any]) -> str:
    return _("%(actor)s asks you for a referral: %(title)s", actor=actor,
             title=data.get("title", ""))


def _referred(actor: str, data: Mapping[str, Any]) -> str:
    return _("%(actor)s referred you: %(title)s", actor=actor, title=data.get("title", ""))


def _posted(actor: str, data: Mapping[str, Any]) -> str:
    return _("%(actor)s posted an opportunity for %(organisation)s: %(title)s", actor=actor,
             organisation=data.get("organisation", ""), title=data.get("title", ""))


register_kind(NotificationKind(
    "opportunity_relayed", _l("Opportunities my connections pass to me"), _relayed,
    _opportunity, default_email=True, email_template="opportunities/email/opportunity_relayed"))
register_kind(NotificationKind(
    "opportunity_interested", _l("Interested answers to my opportunities"), _interested,
    _opportunity, default_email=True,
    email_template="opportunities/email/opportunity_interested"))
register_kind(NotificationKind(
    "referral_requested", _l("Requests for a referral"), _referral_asked, _opportunity,
    default_email=True, email_template="opportunities/email/referral_requested"))
register_kind(NotificationKind(
    "referral_made", _l("Referrals made for me"), _referred, _opportunity,
    email_template="opportunities/email/referral_made"))
register_kind(NotificationKind(
    "opportunity_posted", _l("Opportunities of my organisations to relay"), _posted,
    _opportunity, email_template="opportunities/email/opportunity_posted"))


def _data(opportunity: Any, **more: Any) -> dict[str, Any]:
    return {"opportunity_id": opportunity.id, "title": opportunity.title, **more}


def tell_relayed(session: Session, instance: Instance, contact: Member, ambassador: Member,
                 opportunity: Any, note: str) -> None:
    notify(session, instance, contact, "opportunity_relayed", actor=ambassador,
           subject=opportunity, data=_data(opportunity, note=note))


def tell_interested(session: Session, instance: Instance, poster: Member, contact: Member,
                    opportunity: Any, vouchers: list[str]) -> None:
    notify(session, instance, poster, "opportunity_interested", actor=contact,
           subject=opportunity, data=_data(opportunity, vouchers=", ".join(vouchers)))


def tell_referral_requested(session: Session, instance: Instance, ambassador: Member,
                            asker: Member, opportunity: Any) -> None:
    notify(session, instance, ambassador, "referral_requested", actor=asker,
           subject=opportunity, data=_data(opportunity))


def tell_referred(session: Session, instance: Instance, asker: Member, ambassador: Member,
                  opportunity: Any) -> None:
    notify(session, instance, asker, "referral_made", actor=ambassador, subject=opportunity,
           data=_data(opportunity))


def tell_posted(session: Session, instance: Instance, ambassador: Member, poster: Member,
                opportunity: Any, organisation: str) -> None:
    notify(session, instance, ambassador, "opportunity_posted", actor=poster,
           subject=opportunity, data=_data(opportunity, organisation=organisation))
