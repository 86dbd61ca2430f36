"""Written recommendations between first-degree connections, and asking for one.

The recommended member decides: a recommendation is pending until they approve it, they can
hide it again (and show it later) or delete it; only approved ones are public. The author sees
their own at any status and may rewrite it: one per author and recipient (a unique
constraint), and a changed text goes back to pending for approval.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, case, false, or_, select
from sqlalchemy.orm import Session, aliased, contains_eager, joinedload
from werkzeug.exceptions import NotFound

from maillon.db import flush_or_find, run_built, utcnow
from maillon.errors import Forbidden, ServiceError
from maillon.members.models import Member
from maillon.members.services import VISIBLE_STATUSES, access_member
from maillon.network.recommendation_models import (
    APPROVED,
    ASKED,
    AWAITING_APPROVAL,
    DISMISSED,
    HIDDEN,
    RECOMMENDATION_STATUSES,
    WRITTEN,
    Recommendation,
    RecommendationRequest,
)
from maillon.network.services import are_connected
from maillon.network.signals import (
    recommendation_approved,
    recommendation_requested,
    recommendation_written,
)
from maillon.network.validation import RecommendationAsk, RecommendationFields
from maillon.tenancy.models import Instance
from maillon.validation import check

RELATIONSHIP_LABELS = {
    "managed_directly": _l("Managed them directly"),
    "reported_to": _l("Reported to them"),
    "same_team": _l("Worked together in the same team"),
    "client": _l("Was their client"),
    "studied_together": _l("Studied together"),
    "other": _l("Other"),
}


def relationship_label(recommendation: Recommendation) -> str:
    """How the author knows the member, in the reader's language."""
    if recommendation.relationship_kind == "other" and recommendation.relationship_detail:
        return recommendation.relationship_detail
    return str(RELATIONSHIP_LABELS.get(recommendation.relationship_kind, _("Other")))


# --- access ------------------------------------------------------------------------------------

def _visible_to(viewer: Member | None) -> Any:
    """Who may read a recommendation: its two members, or anyone once approved (and both of
    its members are active)."""
    author, recipient = aliased(Member), aliased(Member)
    public = and_(Recommendation.status == APPROVED,
                  Recommendation.author_id.in_(
                      select(author.id).where(author.status.in_(VISIBLE_STATUSES))),
                  Recommendation.recipient_id.in_(
                      select(recipient.id).where(recipient.status.in_(VISIBLE_STATUSES))))
    if viewer is None:
        return public
    return or_(public, Recommendation.author_id == viewer.id,
               Recommendation.recipient_id == viewer.id)


def find_recommendation(session: Session, instance: Instance, author_id: int,
                        recipient_id: int) -> Recommendation | None:
    return session.scalar(select(Recommendation).where(
        Recommendation.instance_id == instance.id, Recommendation.author_id == author_id,
        Recommendation.recipient_id == recipient_id))


def access_recommendation(session: Session, instance: Instance, viewer: Member | None,
                          recommendation_id: int) -> Recommendation:
    """A recommendation the viewer may read; anything else (or another instance's) is 404."""
    row = session.scalar(select(Recommendation).where(
        Recommendation.instance_id == instance.id, Recommendation.id == recommendation_id,
        _visible_to(viewer)))
    if row is None:
        raise NotFound()
    return row


def _as_recipient(session: Session, instance: Instance, member: Member,
                  recommendation_id: int) -> Recommendation:
    row = access_recommendation(session, instance, member, recommendation_id)
    if row.recipient_id != member.id:
        raise Forbidden("not_allowed", _("Only the recommended member can do this."))
    return row


# --- writing -----------------------------------------------------------------------------------

def _connected_other(session: Session, instance: Instance, member: Member, other_id: int,
                     refusal: str) -> Member:
    other = access_member(session, instance, member, other_id)
    if other.id == member.id:
        raise ServiceError("cannot_recommend_self", refusal, status=422,
                           fields={"member_id": refusal})
    if not are_connected(session, instance, member.id, other.id):
        raise Forbidden("not_connected", _("Only your direct connections can do this."))
    return other


def write_recommendation(session: Session, instance: Instance, author: Member, member_id: int,
                         *, relationship: str, text: str, relationship_detail: str = ""
                         ) -> tuple[Recommendation, bool]:
    """Write, or rewrite, one's recommendation of a connection: (it, whether it is new).

    A rewrite replaces the text and goes back to pending; repeating the same text changes
    nothing.
    """
    recipient = _connected_other(session, instance, author, member_id,
                                 _("You cannot recommend yourself."))
    written = check(RecommendationFields, {"relationship": relationship, "text": text,
                                           "relationship_detail": relationship_detail})
    kind, detail, text = written.relationship, written.relationship_detail, written.text
    row = find_recommendation(session, instance, author.id, recipient.id)
    created = row is None
    if row is None:
        row = Recommendation(instance_id=instance.id, author_id=author.id,
                             recipient_id=recipient.id)
        session.add(row)
    elif (row.relationship_kind, row.relationship_detail, row.text) == (kind, detail, text):
        return row, False
    row.relationship_kind, row.relationship_detail, row.text = kind, detail, text
    row.status, row.approved_at, row.updated_at = AWAITING_APPROVAL, None, utcnow()
    # A concurrent first writing may have won the race: then it is replayed.
    existing = flush_or_find(session, lambda: find_recommendation(
        session, instance, author.id, recipient.id))
    if existing is not None:
        return existing, False
    asked = session.scalar(select(RecommendationRequest).where(
        RecommendationRequest.instance_id == instance.id,
        RecommendationRequest.requester_id == recipient.id,
        RecommendationRequest.asked_id == author.id, RecommendationRequest.status == ASKED))
    if asked is not None:
        asked.status, asked.answered_at = WRITTEN, utcnow()
    recommendation_written.send(session, recommendation=row, actor=author, recipient=recipient)
    session.commit()
    return row, created


def approve_recommendation(session: Session, instance: Instance, member: Member,
                           recommendation_id: int) -> Recommendation:
    """Publish a recommendation about oneself (also shows a hidden one again)."""
    row = _as_recipient(session, instance, member, recommendation_id)
    if row.status == APPROVED:
        return row
    first_time = row.approved_at is None
    row.status = APPROVED
    if first_time:
        row.approved_at = utcnow()
        recommendation_approved.send(session, recommendation=row, actor=member,
                                     recipient=row.author)
    session.commit()
    return row


def hide_recommendation(session: Session, instance: Instance, member: Member,
                        recommendation_id: int) -> Recommendation:
    """Take a recommendation about oneself off the profile (it can be shown again)."""
    row = _as_recipient(session, instance, member, recommendation_id)
    if row.status != HIDDEN:
        row.status = HIDDEN
        session.commit()
    return row


def delete_recommendation(session: Session, instance: Instance, member: Member,
                          recommendation_id: int) -> None:
    """Delete a recommendation: the recommended member, or its author (who withdraws it)."""
    row = access_recommendation(session, instance, member, recommendation_id)
    if member.id not in (row.recipient_id, row.author_id):
        raise Forbidden("not_allowed", _("Only the recommended member can do this."))
    session.delete(row)
    session.commit()


# --- asking ------------------------------------------------------------------------------------

def request_recommendation(session: Session, instance: Instance, member: Member, asked_id: int,
                           message: str = "") -> tuple[RecommendationRequest, bool]:
    """Ask a connection for a recommendation: (the request, whether it is newly open).

    Asking again while a request is open changes nothing; after it was answered, it reopens.
    """
    asked = _connected_other(session, instance, member, asked_id,
                             _("You cannot ask yourself for a recommendation."))
    message = check(RecommendationAsk, {"message": message}).message
    where = (RecommendationRequest.instance_id == instance.id,
             RecommendationRequest.requester_id == member.id,
             RecommendationRequest.asked_id == asked.id)
    row = session.scalar(select(RecommendationRequest).where(*where))
    if row is not None and row.status == ASKED:
        return row, False
    if row is None:
        row = RecommendationRequest(instance_id=instance.id, requester_id=member.id,
                                    asked_id=asked.id)
        session.add(row)
    row.status, row.message, row.created_at, row.answered_at = ASKED, message, utcnow(), None
    replayed = flush_or_find(session, lambda: session.scalar(
        select(RecommendationRequest).where(*where)))
    if replayed is not None:
        return replayed, False
    recommendation_requested.send(session, request=row, actor=member, recipient=asked)
    session.commit()
    return row, True


def dismiss_recommendation_request(session: Session, instance: Instance, member: Member,
                                   request_id: int) -> RecommendationRequest:
    """Decline to write a recommendation one was asked for (the asker is not told)."""
    row = session.scalar(select(RecommendationRequest).where(
        RecommendationRequest.instance_id == instance.id, RecommendationRequest.id == request_id,
        RecommendationRequest.asked_id == member.id))
    if row is None:
        raise NotFound()
    if row.status == ASKED:
        row.status, row.answered_at = DISMISSED, utcnow()
        session.commit()
    return row


# --- listing -----------------------------------------------------------------------------------

def list_recommendations(session: Session, instance: Instance, viewer: Member | None,
                         member: Member) -> list[Recommendation]:
    """Recommendations about a member as the viewer may see them.

    Anyone: the approved ones by active authors. The member: all of theirs, pending first.
    An author: also their own, whatever its status.
    """
    query = select(Recommendation).join(Member, Member.id == Recommendation.author_id).where(
        Recommendation.instance_id == instance.id, Recommendation.recipient_id == member.id,
        Member.status.in_(VISIBLE_STATUSES))
    if viewer is None or viewer.id != member.id:
        mine = Recommendation.author_id == viewer.id if viewer is not None else false()
        query = query.where(or_(Recommendation.status == APPROVED, mine))
    order = case({status: rank for rank, status in enumerate(RECOMMENDATION_STATUSES)},
                 value=Recommendation.status)
    # The author is shown with every recommendation: read from the join, not one query per row.
    return list(session.scalars(query.options(contains_eager(Recommendation.author))
                                .order_by(order, Recommendation.updated_at.desc(),
                                          Recommendation.id.desc())))


# The API profile's list, built once: plain rows, no mapped objects (as list_recommendations
# and recommendation_dict give, filtered to the approved ones).
_APPROVED_ABOUT = select(
    Recommendation.id, Recommendation.relationship_kind, Recommendation.relationship_detail,
    Recommendation.text, Member.id, Member.name, Member.headline, Recommendation.created_at,
    Recommendation.updated_at, Recommendation.approved_at,
).join(Member, Member.id == Recommendation.author_id).where(
    Recommendation.instance_id == bindparam("instance_id"),
    Recommendation.recipient_id == bindparam("member_id"), Recommendation.status == APPROVED,
    Member.instance_id == bindparam("instance_id"), Member.status.in_(VISIBLE_STATUSES),
).order_by(Recommendation.updated_at.desc(), Recommendation.id.desc())


def approved_recommendation_dicts(session: Session, instance: Instance, member: Member
                                  ) -> list[dict[str, Any]]:
    """The approved recommendations about a member by active authors, as
    ``recommendation_dict`` shapes them (what anyone may see), newest first."""
    rows = run_built(session, _APPROVED_ABOUT, {"instance_id": instance.id,
                                                "member_id": member.id})
    return [{"id": rid, "status": APPROVED, "relationship": kind, "relationship_detail": detail,
             "text": text, "author": {"id": author_id, "name": name, "headline": headline},
             "recipient_id": member.id, "created_at": created.isoformat(),
             "updated_at": updated.isoformat(),
             "approved_at": approved.isoformat() if approved else None}
            for rid, kind, detail, text, author_id, name, headline, created, updated, approved
            in rows]


def list_written_recommendations(session: Session, instance: Instance, author: Member
                                 ) -> list[Recommendation]:
    """The recommendations a member wrote, newest first."""
    return list(session.scalars(select(Recommendation).where(
        Recommendation.instance_id == instance.id, Recommendation.author_id == author.id)
        .options(joinedload(Recommendation.recipient, innerjoin=True))
        .order_by(Recommendation.updated_at.desc(), Recommendation.id.desc())))


def list_recommendation_requests(session: Session, instance: Instance, member: Member
                                 ) -> list[RecommendationRequest]:
    """Open requests asking the member for a recommendation, from active members."""
    return list(session.scalars(
        select(RecommendationRequest)
        .join(Member, Member.id == RecommendationRequest.requester_id)
        .options(contains_eager(RecommendationRequest.requester))
        .where(RecommendationRequest.instance_id == instance.id,
               RecommendationRequest.asked_id == member.id,
               RecommendationRequest.status == ASKED, Member.status.in_(VISIBLE_STATUSES))
        .order_by(RecommendationRequest.created_at.desc())))


def find_open_request(session: Session, instance: Instance, requester_id: int, asked_id: int
                      ) -> RecommendationRequest | None:
    return session.scalar(select(RecommendationRequest).where(
        RecommendationRequest.instance_id == instance.id,
        RecommendationRequest.requester_id == requester_id,
        RecommendationRequest.asked_id == asked_id, RecommendationRequest.status == ASKED))


def recommendation_dict(row: Recommendation) -> dict[str, Any]:
    """The JSON shape of a recommendation (the author as a short member)."""
    return {
        "id": row.id, "status": row.status, "relationship": row.relationship_kind,
        "relationship_detail": row.relationship_detail, "text": row.text,
        "author": {"id": row.author.id, "name": row.author.name,
                   "headline": row.author.headline},
        "recipient_id": row.recipient_id,
        "created_at": row.created_at.isoformat(), "updated_at": row.updated_at.isoformat(),
        "approved_at": row.approved_at.isoformat() if row.approved_at else None,
    }
