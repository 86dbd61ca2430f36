"""What members are told about moderation: a sanction (why, until when, how to appeal), its
end, and the decision on their appeal. Required kinds: in-app and by e-mail, in the member's
language, whatever their preferences (``NotificationKind.required``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from maillon.members.models import Member
from maillon.moderation.lifecycle import APPEAL_ACCEPTED, REPORT_ACTIONED
from maillon.moderation.models import Appeal, Report, Sanction
from maillon.notifications.models import Notification
from maillon.notifications.services import Link, NotificationKind, notify, register_kind
from maillon.tenancy.models import Instance


def _my_sanctions(n: Notification) -> Link:
    return "moderation.my_sanctions", {}


def _sanctioned(actor: str, data: Mapping[str, Any]) -> str:
    kind = data.get("kind")
    if kind == "warn":
        return _("The moderators warned you: %(reason)s", reason=data.get("reason", ""))
    if kind == "limit":
        return _("The moderators limited your account: %(reason)s", reason=data.get("reason", ""))
    return _("The moderators suspended your account: %(reason)s", reason=data.get("reason", ""))


def _lifted(actor: str, data: Mapping[str, Any]) -> str:
    return _("A sanction on your account was lifted")


def _decided(actor: str, data: Mapping[str, Any]) -> str:
    if data.get("accepted"):
        return _("Your appeal was accepted: the sanction is lifted")
    return _("Your appeal was rejected: the sanction stays")


def _my_reports(n: Notification) -> Link:
    return "moderation.my_reports", {}


def _report_decided(actor: str, data: Mapping[str, Any]) -> str:
    if data.get("outcome") == "action_taken":
        return _("The moderators reviewed your report about %(name)s and took action. Thank "
                 "you.", name=data.get("name", ""))
    return _("The moderators reviewed your report about %(name)s and took no action.",
             name=data.get("name", ""))


register_kind(NotificationKind("report_decided", _l("The outcome of my reports"),
                               _report_decided, _my_reports,
                               email_template="moderation/email/report_decided", required=True))

for _name, _label, _sentence in (
        ("sanction_imposed", _l("A moderation sanction on my account"), _sanctioned),
        ("sanction_lifted", _l("A sanction on my account lifted"), _lifted),
        ("appeal_decided", _l("The decision on my appeal"), _decided)):
    register_kind(NotificationKind(_name, _label, _sentence, _my_sanctions,
                                   email_template=f"moderation/email/{_name}", required=True))


def _data(sanction: Sanction) -> dict[str, Any]:
    return {"kind": sanction.kind, "reason": sanction.reason,
            "until": sanction.until.isoformat() if sanction.until else None,
            "sanction_id": sanction.id}


def tell_sanctioned(session: Session, instance: Instance, member: Member,
                    sanction: Sanction) -> None:
    notify(session, instance, member, "sanction_imposed", subject=sanction,
           data=_data(sanction))


def tell_lifted(session: Session, instance: Instance, member: Member,
                sanction: Sanction) -> None:
    notify(session, instance, member, "sanction_lifted", subject=sanction, data=_data(sanction))


def tell_appeal_decided(session: Session, instance: Instance, member: Member,
                        appeal: Appeal) -> None:
    notify(session, instance, member, "appeal_decided", subject=appeal.sanction,
           data={**_data(appeal.sanction), "accepted": appeal.status == APPEAL_ACCEPTED,
                 "response": appeal.response})


def tell_report_decided(session: Session, instance: Instance, reporter: Member,
                        report: Report) -> None:
    """The reporter learns whether action was taken, never which (nor the moderator's
    reason): what another member was given is not theirs to know."""
    notify(session, instance, reporter, "report_decided", subject=report,
           data={"outcome": "action_taken" if report.status == REPORT_ACTIONED else "no_action",
                 "name": report.subject_name, "subject_type": report.subject_type,
                 "report_id": report.id})
