"""Moderation in the demo: a warning with its open appeal and a limit, for staff to look at.

Imposed through the moderation services (audited, the members told), by the instance's demo
admin, on two ordinary members who are not personas (whose pages the tours and tests walk).
Idempotent: an instance that has any sanction gets nothing more.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from maillon.db import utcnow
from maillon.demo.catalogue import community_for
from maillon.members.models import Member
from maillon.moderation.models import Sanction
from maillon.moderation.sanctions import appeal_sanction, impose_sanction
from maillon.tenancy.models import Instance

TEXTS = {
    "fr": {"warn": "Plusieurs membres signalent des messages de prospection commerciale "
                   "envoyés sans contexte. Merci de présenter votre demande.",
           "appeal": "Je ne faisais que répondre à des personnes qui m’avaient écrit "
                     "d’abord ; je peux montrer les échanges.",
           "limit": "Des dizaines de demandes de connexion envoyées en une heure à des "
                    "personnes inconnues."},
    "en": {"warn": "Several members report sales pitches sent without any context. Please "
                   "say who you are and why you write.",
           "appeal": "I was only answering people who had written to me first; I can show "
                     "the messages.",
           "limit": "Dozens of connection requests sent within an hour to people you do not "
                    "know."},
}


def load_moderation(session: Session, instance: Instance, *, seed: int = 7) -> int:
    """A warning (appealed) and a two-week limit; returns how many sanctions were made."""
    if session.scalar(select(exists().where(Sanction.instance_id == instance.id))):
        return 0
    community = community_for(instance.slug, instance.setting("registration.email_domains"))
    personas = {p.email for p in community.personas}
    admin = session.scalar(select(Member).where(
        Member.instance_id == instance.id, Member.role == "admin", Member.status == "active",
        Member.email.in_(personas)).order_by(Member.id).limit(1))
    candidates = [m for m in session.scalars(select(Member).where(
        Member.instance_id == instance.id, Member.role == "member",
        Member.status == "active").order_by(Member.id)) if m.email not in personas]
    if admin is None or len(candidates) < 2:
        return 0
    warned, limited = random.Random(f"{seed}:{instance.slug}:moderation").sample(candidates, 2)
    texts = TEXTS["fr" if instance.setting("locale") == "fr" else "en"]
    warning = impose_sanction(session, instance, admin, warned.id, "warn",
                              reason=texts["warn"])
    appeal_sanction(session, instance, warned, warning.id, texts["appeal"])
    impose_sanction(session, instance, admin, limited.id, "limit", reason=texts["limit"],
                    until=utcnow() + timedelta(days=14))
    return 2
