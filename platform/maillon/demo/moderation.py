"""Moderation in the demo: a warning with its open appeal and a limit, and reports, for staff
to look at.

Made through the moderation services (audited, the members told), by the instance's demo
admin, on ordinary members who are not personas (whose pages the tours and tests walk). The
warning is the outcome of two members' reports (actioned: the reporters are told); one more
report was dismissed, and a few are open in the queue. Idempotent: an instance that has any
sanction gets no more sanctions, one that has any report no more reports.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from maillon.db import utcnow
from maillon.demo.catalogue import community_for
from maillon.members.models import Member
from maillon.moderation import reports
from maillon.moderation.models import Report, Sanction
from maillon.moderation.sanctions import appeal_sanction, impose_sanction
from maillon.tenancy.models import Instance

TEXTS = {
    "fr": {"warn": "Plusieurs membres signalent des messages de prospection commerciale "
                   "envoyés sans contexte. Merci de présenter votre demande.",
           "appeal": "Je ne faisais que répondre à des personnes qui m’avaient écrit "
                     "d’abord ; je peux montrer les échanges.",
           "limit": "Des dizaines de demandes de connexion envoyées en une heure à des "
                    "personnes inconnues.",
           "spam": "Il m’a envoyé trois messages publicitaires cette semaine.",
           "fake": "Ce profil reprend le nom et la photo d’une collègue.",
           "rude": "Réponses agressives à plusieurs membres.",
           "dismissed": "Le profil est authentique : nous avons vérifié auprès du membre."},
    "en": {"warn": "Several members report sales pitches sent without any context. Please "
                   "say who you are and why you write.",
           "appeal": "I was only answering people who had written to me first; I can show "
                     "the messages.",
           "limit": "Dozens of connection requests sent within an hour to people you do not "
                    "know.",
           "spam": "Sent me three advertising messages this week.",
           "fake": "This profile uses the name and photo of a colleague of mine.",
           "rude": "Aggressive answers to several members.",
           "dismissed": "The profile is genuine: we checked with the member."},
}


def _staff_and_members(session: Session, instance: Instance) -> tuple[Member | None,
                                                                     list[Member]]:
    community = community_for(instance.slug, instance.setting("registration.email_domains"))
    personas = {p.email for p in community.personas}
    admin = session.scalar(select(Member).where(
        Member.instance_id == instance.id, Member.role == "admin", Member.status == "active",
        Member.email.in_(personas)).order_by(Member.id).limit(1))
    candidates = [m for m in session.scalars(select(Member).where(
        Member.instance_id == instance.id, Member.role == "member",
        Member.status == "active").order_by(Member.id)) if m.email not in personas]
    return admin, candidates


def _texts(instance: Instance) -> dict[str, str]:
    return TEXTS["fr" if instance.setting("locale") == "fr" else "en"]


def load_moderation(session: Session, instance: Instance, *, seed: int = 7) -> int:
    """A warning (the outcome of two reports, appealed) and a two-week limit, then the
    reports of ``load_reports``; returns how many sanctions were made."""
    made = _load_sanctions(session, instance, seed=seed)
    load_reports(session, instance, seed=seed)
    return made


def _load_sanctions(session: Session, instance: Instance, *, seed: int) -> int:
    if session.scalar(select(exists().where(Sanction.instance_id == instance.id))):
        return 0
    admin, candidates = _staff_and_members(session, instance)
    if admin is None or len(candidates) < 4:
        return 0
    rng = random.Random(f"{seed}:{instance.slug}:moderation")
    warned, limited = rng.sample(candidates, 2)
    texts = _texts(instance)
    reporters = [m for m in candidates if m.id not in (warned.id, limited.id)][-2:]
    first = None
    for reporter, reason in zip(reporters, ("spam", "harassment"), strict=True):
        report, _new = reports.file_report(session, instance, reporter, "member", warned.id,
                                           reason=reason, details=texts["spam"])
        first = first or report
    assert first is not None
    reports.decide_report(session, instance, admin, first.id, reports.Decision(
        dismiss=False, reason=texts["warn"], sanction="warn"))
    warning = session.scalar(select(Sanction).where(
        Sanction.instance_id == instance.id, Sanction.member_id == warned.id,
        Sanction.kind == "warn"))
    assert warning is not None
    appeal_sanction(session, instance, warned, warning.id, texts["appeal"])
    impose_sanction(session, instance, admin, limited.id, "limit", reason=texts["limit"],
                    until=utcnow() + timedelta(days=14))
    return 2


def load_reports(session: Session, instance: Instance, *, seed: int = 7) -> int:
    """Open reports in the queue (two on one member, one on another) and a dismissed one;
    returns how many reports were filed. Only where no report is open or dismissed yet."""
    if session.scalar(select(exists().where(Report.instance_id == instance.id,
                                            Report.status != reports.ACTIONED))):
        return 0
    admin, candidates = _staff_and_members(session, instance)
    if admin is None or len(candidates) < 8:
        return 0
    rng = random.Random(f"{seed}:{instance.slug}:reports")
    spammer, fake, genuine, *reporters = rng.sample(candidates, 8)
    texts = _texts(instance)
    filed = [(reporters[0], spammer, "spam", texts["spam"]),
             (reporters[1], spammer, "harassment", texts["rude"]),
             (reporters[2], fake, "impersonation", texts["fake"]),
             (reporters[3], genuine, "impersonation", texts["fake"])]
    made = [reports.file_report(session, instance, reporter, "member", subject.id,
                                reason=reason, details=details)[0]
            for reporter, subject, reason, details in filed]
    reports.decide_report(session, instance, admin, made[-1].id, reports.Decision(
        dismiss=True, reason=texts["dismissed"]))
    return len(made)
