"""Everything about one member, as they may know it: one JSON document, also rendered as a
self-contained HTML archive.

Only what is the member's to know: their own ratings (never the rating others gave them),
the texts they wrote on introductions (never another relay's note, vouch or reason), the
messages they sent and received, their hub memberships and posts, the questions they asked
(with the answers they received) and their answers, their notifications, sanctions, the
reports they filed (as they see them) and the audit rows about them without the acting staff
member's name or address. Each list is capped at ``SECTION_LIMIT`` rows (newest first); a
capped list is named in ``limits.truncated``, so a member with a huge history gets a bounded
document that says what it left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, aliased

from maillon.db import begin_read, utcnow
from maillon.federation.models import RemoteActor
from maillon.hubs.models import Hub, HubMembership, Post, Thread
from maillon.introductions.lifecycle import ACCEPTED, REJECTED
from maillon.introductions.models import (
    DirectMessage,
    IncomingIntroduction,
    IncomingIntroductionTurn,
    Introduction,
    IntroductionEvent,
    IntroductionHop,
)
from maillon.members.models import Member
from maillon.members.serialisation import profile_dict
from maillon.moderation.models import Appeal, AuditEntry, Report, Sanction
from maillon.network.endorsement_models import Endorsement
from maillon.network.lifecycle import CONNECTED
from maillon.network.models import Connection
from maillon.network.recommendation_models import Recommendation
from maillon.notifications.models import Notification
from maillon.opportunities.models import Opportunity, ReferralRequest, Relay
from maillon.organisations.models import Affiliation, Organisation
from maillon.questions.models import Answer, Question
from maillon.tenancy.models import Instance

FORMAT_VERSION = 1
#: The most rows one list of the export holds (newest first).
SECTION_LIMIT = 5000
#: The free texts an introduction event may carry (what the member wrote, when they acted).
EVENT_TEXTS = ("note", "vouch", "reason", "advice", "message")


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _person(member_id: int | None, name: str | None) -> dict[str, Any] | None:
    return None if member_id is None else {"id": member_id, "name": name or ""}


class _Capped:
    """Runs each section's query with one row more than the cap, noting which overflowed."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.truncated: list[str] = []

    def rows(self, section: str, query: Select[*tuple[Any, ...]]) -> Sequence[Any]:
        rows = self.session.execute(query.limit(SECTION_LIMIT + 1)).all()
        if len(rows) > SECTION_LIMIT:
            self.truncated.append(section)
            return rows[:SECTION_LIMIT]
        return rows


def export_member_data(session: Session, instance: Instance, member: Member
                       ) -> dict[str, Any]:
    """The member's own data as one JSON-ready document (shape: docs/api.md, ``/me/export``)."""
    if member.instance_id != instance.id:
        raise LookupError("member of another instance")  # a bug in the caller
    begin_read(session)
    capped = _Capped(session)
    me = member.id
    scope = instance.id
    other = aliased(Member)

    account = {"id": me, "email": member.email, "role": member.role, "status": member.status,
               "created_at": _when(member.created_at),
               "email_verified_at": _when(member.email_verified_at),
               "last_login_at": _when(member.last_login_at), "locale": member.locale,
               "notification_preferences": dict(member.notification_prefs or {})}

    connections = [{
        "id": c.id, "status": c.status,
        "direction": "out" if c.requester_id == me else "in",
        "member": _person(o.id, o.name), "message": c.message,
        # The member's own rating only: the other side's rating of them stays private.
        "my_trust": c.trust_of(me) if c.status == CONNECTED else None,
        "created_at": _when(c.created_at), "connected_at": _when(c.connected_at),
    } for c, o in capped.rows("connections", select(Connection, other).join(
        other, other.id == (Connection.requester_id + Connection.addressee_id - me)).where(
        Connection.instance_id == scope,
        or_(Connection.requester_id == me, Connection.addressee_id == me))
        .order_by(Connection.id.desc()))]

    endorsements = {
        "given": [{"member": _person(o.id, o.name), "skill": e.skill_key,
                   "created_at": _when(e.created_at)}
                  for e, o in capped.rows("endorsements.given", select(Endorsement, other).join(
                      other, other.id == Endorsement.member_id).where(
                      Endorsement.instance_id == scope, Endorsement.endorser_id == me)
                      .order_by(Endorsement.id.desc()))],
        "received": [{"endorser": _person(o.id, o.name), "skill": e.skill_key,
                      "created_at": _when(e.created_at)}
                     for e, o in capped.rows("endorsements.received", select(
                         Endorsement, other).join(other, other.id == Endorsement.endorser_id)
                         .where(Endorsement.instance_id == scope, Endorsement.member_id == me)
                         .order_by(Endorsement.id.desc()))],
    }

    def recommendation(r: Recommendation, o: Member, key: str) -> dict[str, Any]:
        return {"id": r.id, key: _person(o.id, o.name), "relationship": r.relationship_kind,
                "relationship_detail": r.relationship_detail, "text": r.text,
                "status": r.status, "created_at": _when(r.created_at),
                "updated_at": _when(r.updated_at), "approved_at": _when(r.approved_at)}

    recommendations = {
        "written": [recommendation(r, o, "recipient") for r, o in capped.rows(
            "recommendations.written", select(Recommendation, other).join(
                other, other.id == Recommendation.recipient_id).where(
                Recommendation.instance_id == scope, Recommendation.author_id == me)
            .order_by(Recommendation.id.desc()))],
        "received": [recommendation(r, o, "author") for r, o in capped.rows(
            "recommendations.received", select(Recommendation, other).join(
                other, other.id == Recommendation.author_id).where(
                Recommendation.instance_id == scope, Recommendation.recipient_id == me)
            .order_by(Recommendation.id.desc()))],
    }

    messages = {
        "sent": [{"id": m.id, "to": _person(o.id, o.name), "text": m.text,
                  "created_at": _when(m.created_at)}
                 for m, o in capped.rows("messages.sent", select(DirectMessage, other).join(
                     other, other.id == DirectMessage.recipient_id).where(
                     DirectMessage.instance_id == scope, DirectMessage.sender_id == me)
                     .order_by(DirectMessage.id.desc()))],
        "received": [{"id": m.id, "from": _person(o.id, o.name), "text": m.text,
                      "created_at": _when(m.created_at)}
                     for m, o in capped.rows("messages.received", select(
                         DirectMessage, other).join(other, other.id == DirectMessage.sender_id)
                         .where(DirectMessage.instance_id == scope,
                                DirectMessage.recipient_id == me)
                         .order_by(DirectMessage.id.desc()))],
    }

    organisations = [{
        "organisation": {"id": o.id, "name": o.name}, "role": a.role, "current": a.current,
        "status": a.status, "confirmed_by": a.confirmed_by, "created_at": _when(a.created_at),
        "decided_at": _when(a.decided_at),
    } for a, o in capped.rows("organisations", select(Affiliation, Organisation).join(
        Organisation, Organisation.id == Affiliation.organisation_id).where(
        Affiliation.instance_id == scope, Affiliation.member_id == me)
        .order_by(Affiliation.id.desc()))]

    return {
        "format_version": FORMAT_VERSION,
        "generated_at": utcnow().isoformat(),
        "instance": {"slug": instance.slug, "name": instance.name},
        "account": account,
        "profile": profile_dict(member, member),
        "connections": connections,
        "organisations": organisations,
        "endorsements": endorsements,
        "recommendations": recommendations,
        "introductions": _introductions(session, capped, scope, member),
        "messages": messages,
        "hubs": _hubs(capped, scope, me),
        "questions": _questions(capped, scope, me),
        "opportunities": _opportunities(capped, scope, me),
        "federation": _federation(capped, scope, me),
        "notifications": _notifications(capped, scope, me),
        "sanctions": _sanctions(capped, scope, me),
        "reports": _reports(capped, scope, me),
        "audit": _audit(capped, scope, me),
        "limits": {"per_list": SECTION_LIMIT, "truncated": capped.truncated},
    }


def _federation(capped: _Capped, scope: int, me: int) -> dict[str, Any]:
    """What other servers see of the member, and their connections with people there."""
    from maillon.federation.models import FederatedMember, RemoteActor, RemoteConnection

    choice = capped.session.scalar(select(FederatedMember).where(
        FederatedMember.instance_id == scope, FederatedMember.member_id == me))
    return {
        "handle": choice.handle if choice else None,
        "enabled": bool(choice and choice.enabled),
        "discoverable": bool(choice and choice.discoverable),
        "indexable": bool(choice and choice.indexable),
        "remote_connections": [{
            "id": c.id, "status": c.status,
            "person": {"id": a.uri, "handle": a.handle, "name": a.name, "server": a.server},
            "requested_at": _when(c.requested_at), "ended_at": _when(c.ended_at),
        } for c, a in capped.rows("federation.remote_connections", select(
            RemoteConnection, RemoteActor).join(
            RemoteActor, RemoteActor.id == RemoteConnection.remote_actor_id).where(
            RemoteConnection.instance_id == scope, RemoteActor.instance_id == scope,
            RemoteConnection.member_id == me).order_by(RemoteConnection.id.desc()))],
    }


def _hubs(capped: _Capped, scope: int, me: int) -> dict[str, Any]:
    """The hubs the member belongs to (or asked to join) and the posts they wrote."""
    return {
        "memberships": [{"hub": {"id": h.id, "name": h.name}, "role": m.role,
                         "status": m.status, "created_at": _when(m.created_at)}
                        for m, h in capped.rows("hubs.memberships", select(
                            HubMembership, Hub).join(Hub, Hub.id == HubMembership.hub_id)
                            .where(HubMembership.instance_id == scope,
                                   HubMembership.member_id == me)
                            .order_by(HubMembership.id.desc()))],
        "posts": [{"id": p.id, "thread": {"id": t.id, "title": t.title}, "opening": p.opening,
                   "status": p.status, "text": p.text, "created_at": _when(p.created_at),
                   "edited_at": _when(p.edited_at)}
                  for p, t in capped.rows("hubs.posts", select(Post, Thread).join(
                      Thread, Thread.id == Post.thread_id).where(
                      Post.instance_id == scope, Post.author_id == me)
                      .order_by(Post.id.desc()))],
    }


def _questions(capped: _Capped, scope: int, me: int) -> dict[str, Any]:
    """The questions the member asked with the answers they received, and their answers."""
    asked = capped.rows("questions.asked", select(Question).where(
        Question.instance_id == scope, Question.asker_id == me).order_by(Question.id.desc()))
    ids = [q.id for (q,) in asked]
    received: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if ids:
        author = aliased(Member)
        for a, o in capped.rows("questions.received_answers", select(Answer, author).join(
                author, author.id == Answer.author_id).where(
                Answer.instance_id == scope, Answer.question_id.in_(ids))
                .order_by(Answer.id.desc())):
            received[a.question_id].append({"id": a.id, "from": _person(o.id, o.name),
                                            "text": a.text, "created_at": _when(a.created_at),
                                            "thanked": a.thanked_at is not None})
    return {
        "asked": [{"id": q.id, "text": q.text, "reach": q.reach, "status": q.status,
                   "created_at": _when(q.created_at), "answers": received[q.id]}
                  for (q,) in asked],
        "answers": [{"id": a.id, "question_id": a.question_id, "text": a.text,
                     "created_at": _when(a.created_at), "thanked": a.thanked_at is not None}
                    for (a,) in capped.rows("questions.answers", select(Answer).where(
                        Answer.instance_id == scope, Answer.author_id == me)
                        .order_by(Answer.id.desc()))],
    }


def _opportunities(capped: _Capped, scope: int, me: int) -> dict[str, Any]:
    """The opportunities the member posted, relayed and received (with their answers), and
    the referrals they asked for."""
    other = aliased(Member)
    return {
        "posted": [{"id": o.id, "kind": o.kind, "title": o.title, "text": o.description,
                    "location": o.location, "skills": list(o.skills or []),
                    "status": o.status, "created_at": _when(o.created_at)}
                   for (o,) in capped.rows("opportunities.posted", select(Opportunity).where(
                       Opportunity.instance_id == scope, Opportunity.poster_id == me)
                       .order_by(Opportunity.id.desc()))],
        "relayed": [{"id": r.id, "opportunity_id": r.opportunity_id,
                     "to": _person(c.id, c.name), "note": r.note,
                     "created_at": _when(r.created_at)}
                    for r, c in capped.rows("opportunities.relayed", select(Relay, other).join(
                        other, other.id == Relay.contact_id).where(
                        Relay.instance_id == scope, Relay.ambassador_id == me)
                        .order_by(Relay.id.desc()))],
        "received": [{"id": r.id, "opportunity_id": r.opportunity_id,
                      "from": _person(a.id, a.name), "note": r.note, "answer": r.answer,
                      "message": r.answer_message, "created_at": _when(r.created_at)}
                     for r, a in capped.rows("opportunities.received", select(Relay, other)
                                             .join(other, other.id == Relay.ambassador_id)
                                             .where(Relay.instance_id == scope,
                                                    Relay.contact_id == me)
                                             .order_by(Relay.id.desc()))],
        "referral_requests": [{"id": q.id, "opportunity_id": q.opportunity_id,
                               "to": _person(a.id, a.name), "note": q.note,
                               "status": q.status, "created_at": _when(q.created_at)}
                              for q, a in capped.rows("opportunities.referral_requests", select(
                                  ReferralRequest, other).join(
                                  other, other.id == ReferralRequest.ambassador_id).where(
                                  ReferralRequest.instance_id == scope,
                                  ReferralRequest.asker_id == me)
                                  .order_by(ReferralRequest.id.desc()))],
    }


def _own_texts(data: dict[str, Any]) -> dict[str, str]:
    return {k: str(data[k]) for k in EVENT_TEXTS if data.get(k)}


def _introductions(session: Session, capped: _Capped, scope: int, member: Member
                   ) -> dict[str, list[dict[str, Any]]]:
    """Requests the member started, carried and received, with only their own texts."""
    me = member.id
    other = aliased(Member)
    # What the member wrote on each request: the texts of their own events.
    written: dict[int, list[dict[str, Any]]] = {}
    for e in capped.rows("introductions.my_actions", select(IntroductionEvent).where(
            IntroductionEvent.instance_id == scope, IntroductionEvent.actor_id == me)
            .order_by(IntroductionEvent.id.desc())):
        event = e[0]
        written.setdefault(event.introduction_id, []).append(
            {"kind": event.kind, "at": _when(event.created_at), **_own_texts(event.data or {})})

    def base(i: Introduction) -> dict[str, Any]:
        return {"id": i.id, "status": i.status, "purpose": i.purpose, "hops": i.hops,
                "created_at": _when(i.created_at), "closed_at": _when(i.closed_at),
                "texts_purged_at": _when(i.purged_at),
                "my_actions": list(reversed(written.get(i.id, [])))}

    # A target is a member, or a person on another server (decision 56: their actor URL).
    started = [{**base(i), "target": _person(o.id, o.name) if o is not None else (
                    {"id": r.uri, "name": r.name, "handle": r.handle} if r is not None else None),
                "message": i.message}
               for i, o, r in capped.rows("introductions.started", select(
                   Introduction, other, RemoteActor)
                   .outerjoin(other, other.id == Introduction.target_id)
                   .outerjoin(RemoteActor, RemoteActor.id == Introduction.remote_target_id)
                   .where(Introduction.instance_id == scope, Introduction.requester_id == me)
                   .order_by(Introduction.id.desc()))]
    relayed = [{**base(i), "position": h.position, "my_turn": h.status,
                "turn_started_at": _when(h.created_at), "acted_at": _when(h.acted_at)}
               for h, i in capped.rows("introductions.relayed", select(
                   IntroductionHop, Introduction).join(
                   Introduction, Introduction.id == IntroductionHop.introduction_id).where(
                   IntroductionHop.instance_id == scope, IntroductionHop.member_id == me)
                   .order_by(IntroductionHop.id.desc()))]
    received = [{**base(i), "requester": _person(o.id, o.name), "message": i.message,
                 "my_answer": i.outcome_message if i.status in (ACCEPTED, REJECTED) else ""}
                for i, o in capped.rows("introductions.received", select(Introduction, other)
                                        .join(other, other.id == Introduction.requester_id)
                                        .where(Introduction.instance_id == scope,
                                               Introduction.target_id == me,
                                               Introduction.delivered_at.is_not(None))
                                        .order_by(Introduction.id.desc()))]
    def remote(actor: RemoteActor) -> dict[str, Any]:
        return {"id": actor.uri, "name": actor.name, "handle": actor.handle}

    # Requests from other servers (decision 56a): what the member received and answered, as
    # the person they were for (when the chain continued here, once it reached them).
    from_other_servers = [
        {"id": row.id, "status": row.status, "requester": remote(row.requester),
         "carrier": remote(row.carrier), "content": row.content,
         "created_at": _when(row.created_at), "answered_at": _when(row.answered_at)}
        for (row,) in capped.rows("introductions.from_other_servers", select(
            IncomingIntroduction).where(
                IncomingIntroduction.instance_id == scope,
                or_((IncomingIntroduction.target_id.is_(None))
                    & (IncomingIntroduction.member_id == me),
                    (IncomingIntroduction.target_id == me)
                    & IncomingIntroduction.delivered_at.is_not(None)))
            .order_by(IncomingIntroduction.id.desc()))]
    # Their turns as a relay here on requests from other servers (decision 62), with what
    # they wrote (their vouch, their reason).
    relayed_from_other_servers = [
        {"id": row.id, "status": row.status, "requester": remote(row.requester),
         "target": _person(t.id, t.name) if t is not None else None,
         "position": turn.position, "my_turn": turn.status, "vouch": turn.vouch,
         "decline_reason": turn.decline_reason, "turn_started_at": _when(turn.created_at),
         "deadline": _when(turn.deadline), "acted_at": _when(turn.acted_at)}
        for turn, row, t in capped.rows("introductions.relayed_from_other_servers", select(
            IncomingIntroductionTurn, IncomingIntroduction, other)
            .join(IncomingIntroduction,
                  IncomingIntroduction.id == IncomingIntroductionTurn.incoming_id)
            .outerjoin(other, other.id == IncomingIntroduction.target_id)
            .where(IncomingIntroductionTurn.instance_id == scope,
                   IncomingIntroductionTurn.member_id == me)
            .order_by(IncomingIntroductionTurn.id.desc()))]
    return {"started": started, "relayed": relayed, "received": received,
            "from_other_servers": from_other_servers,
            "relayed_from_other_servers": relayed_from_other_servers}


def _notifications(capped: _Capped, scope: int, me: int) -> list[dict[str, Any]]:
    from maillon.notifications.services import describe

    return [{"id": n.id, "kind": n.kind, "text": describe(n), "created_at": _when(n.created_at),
             "read_at": _when(n.read_at)}
            for (n,) in capped.rows("notifications", select(Notification).where(
                Notification.instance_id == scope, Notification.member_id == me)
                .order_by(Notification.id.desc()))]


def _sanctions(capped: _Capped, scope: int, me: int) -> list[dict[str, Any]]:
    return [{"id": s.id, "kind": s.kind, "status": s.status, "reason": s.reason,
             "until": _when(s.until), "created_at": _when(s.created_at),
             "ended_at": _when(s.ended_at),
             "appeal": None if a is None else {"text": a.text, "status": a.status,
                                               "response": a.response,
                                               "created_at": _when(a.created_at),
                                               "decided_at": _when(a.decided_at)}}
            for s, a in capped.rows("sanctions", select(Sanction, Appeal).outerjoin(
                Appeal, (Appeal.sanction_id == Sanction.id) & (Appeal.instance_id == scope))
                .where(Sanction.instance_id == scope, Sanction.member_id == me)
                .order_by(Sanction.id.desc()))]


def _reports(capped: _Capped, scope: int, me: int) -> list[dict[str, Any]]:
    """The reports the member filed, as they see them (never the moderators' reasons)."""
    from maillon.moderation.reports import report_dict

    return [report_dict(r, staff=False) for (r,) in capped.rows("reports", select(Report).where(
        Report.instance_id == scope, Report.reporter_id == me).order_by(Report.id.desc()))]


def _audit(capped: _Capped, scope: int, me: int) -> list[dict[str, Any]]:
    """The log's rows about the member: what was done and why, not which staff member did it
    nor from which address."""

    def by(actor_id: int | None) -> str:
        return "system" if actor_id is None else "you" if actor_id == me else "staff"

    return [{"id": e.id, "created_at": _when(e.created_at), "action": e.action,
             "by": by(e.actor_id), "reason": e.reason, "data": dict(e.data or {})}
            for (e,) in capped.rows("audit", select(AuditEntry).where(
                AuditEntry.instance_id == scope, AuditEntry.subject_member_id == me)
                .order_by(AuditEntry.id.desc()))]
