"""Account deletion, by the member (password and typed confirmation) or by an admin (a
sanction-like staff action with a reason): personal data goes, the row stays as a tombstone.

Others' introductions keep referring to the member's id, so the ``members`` row stays with
status ``deleted``, a blank name (read as "a former member" in the reader's language) and a
placeholder address that frees the real one for a new registration. Everything else personal
is removed in one transaction (see ``_erase``): profile, photo, experiences, education,
sessions, tokens, ratings given (their connections go, so chains route around them),
endorsements, recommendations written and received, the bodies of their messages and of the
texts they wrote on introductions, their notifications, and their name in the audit log.

What stays, and why: requests they started stay readable to the people who carried them,
closed (an open one is withdrawn) and without the texts they wrote; requests waiting on them
move on as for a suspension (``expire_held_by``); requests to them are withdrawn; sanctions and
audit rows stay (the log needs them), naming them by id only.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from maillon.accounts.models import ApiToken, EmailToken, Invitation, LoginSession
from maillon.api.models import IdempotencyKey
from maillon.db import begin_read, begin_write, settings, utcnow
from maillon.errors import Conflict, Forbidden, ServiceError
from maillon.federation.models import RemoteConnection
from maillon.hubs.threads import erase_hub_posts
from maillon.introductions.lifecycle import (
    INTRODUCTION,
    OPEN_STATUSES,
    RETRYABLE_STATUSES,
    WITHDRAWN,
)
from maillon.introductions.models import (
    DirectMessage,
    IncomingIntroductionTurn,
    Introduction,
    IntroductionEvent,
    IntroductionHop,
)
from maillon.members.models import (
    Education,
    Experience,
    Member,
    default_contact_policy,
)
from maillon.members.photo_store import photo_dir, remove_photo_file
from maillon.members.signals import member_changed
from maillon.moderation.models import Appeal, AuditEntry, Report
from maillon.moderation.sanctions import MAX_REASON, MIN_REASON, _target, _text
from maillon.moderation.services import access_staff, record_audit
from maillon.network.endorsement_models import Endorsement
from maillon.network.lifecycle import CONNECTED
from maillon.network.models import Connection
from maillon.network.recommendation_models import Recommendation, RecommendationRequest
from maillon.network.services import log_connection_change
from maillon.notifications.mail import queue_email
from maillon.notifications.models import Notification
from maillon.opportunities.models import Opportunity, ReferralRequest, Relay
from maillon.organisations.models import Affiliation, OrganisationAdmin
from maillon.questions.models import Answer, Question
from maillon.rights.export import EVENT_TEXTS
from maillon.security import check_password
from maillon.tenancy.models import Instance

DELETED = "deleted"
#: The word the member types to confirm (or its translation in their language).
CONFIRMATION_WORD = "DELETE"


def confirmation_words() -> set[str]:
    """What the typed confirmation may be: the English word or the page's translation."""
    return {CONFIRMATION_WORD, _("DELETE").upper()}


def placeholder_email(member_id: int) -> str:
    """The address a deleted account keeps: unique per instance, never deliverable."""
    return f"deleted-{member_id}@deleted.invalid"


def delete_own_account(session: Session, instance: Instance, member: Member, *,
                       password: str, confirmation: str | None = None, ip: str = "") -> None:
    """The member deletes their own account, proving it with their password (and, on the
    page, the typed word). The last active admin of an instance cannot leave it adminless."""
    if member.instance_id != instance.id or member.status == DELETED:
        raise ServiceError("not_found", _("Not found."), status=404)
    if confirmation is not None and confirmation.strip().upper() not in confirmation_words():
        raise ServiceError("confirmation_mismatch", _("Type the word exactly as shown."),
                           status=422, fields={"confirmation": "mismatch"})
    begin_read(session)  # the password check is slow: no write lock meanwhile
    method = settings(session)["PASSWORD_HASH_METHOD"]
    if not check_password(member.password_hash, password or "", method):
        raise Forbidden("wrong_password", _("This is not your password."))
    begin_write(session)
    row = session.scalar(select(Member).where(Member.instance_id == instance.id,
                                              Member.id == member.id)
                         .execution_options(populate_existing=True))
    if row is None or row.status == DELETED:
        raise ServiceError("not_found", _("Not found."), status=404)
    if row.is_admin and not session.scalar(select(Member.id).where(
            Member.instance_id == instance.id, Member.role == "admin",
            Member.status == "active", Member.id != row.id).limit(1)):
        raise Conflict("last_admin", _(
            "You are this community's only administrator: make someone else an administrator "
            "before you delete your account."))
    _tell_deleted(session, instance, row, by_staff=False, reason="")
    photo = _erase(session, instance, row)
    entry = record_audit(session, instance, row, "member_deleted", subject=row, ip=ip,
                         by="self")
    entry.actor_name = entry.subject_name = ""
    session.commit()
    remove_photo_file(photo_dir(settings(session)["VAR_DIR"], instance), photo)


def delete_member(session: Session, instance: Instance, staff: Member, member_id: int, *,
                  reason: str, ip: str = "") -> Member:
    """An admin deletes a member's account (a sanction-like action): the member is told by
    e-mail, in their language, before their data goes; audited with the reason."""
    access_staff(instance, staff, admin=True)
    reason = _text(reason, "reason", minimum=MIN_REASON, limit=MAX_REASON)
    begin_write(session)
    member = _target(session, instance, member_id)  # a deleted account is a 404
    if member.id == staff.id:
        raise ServiceError("cannot_sanction_self", _(
            "Delete your own account from your data page."), status=422,
            fields={"member_id": "yourself"})
    if member.is_admin:
        raise Forbidden("cannot_sanction_staff", _("An administrator's account cannot be "
                                                   "deleted by another administrator."))
    _tell_deleted(session, instance, member, by_staff=True, reason=reason)
    photo = _erase(session, instance, member)
    entry = record_audit(session, instance, staff, "member_deleted", subject=member,
                         reason=reason, ip=ip, by="staff")
    entry.subject_name = ""
    session.commit()
    remove_photo_file(photo_dir(settings(session)["VAR_DIR"], instance), photo)
    return member


def _tell_deleted(session: Session, instance: Instance, member: Member, *, by_staff: bool,
                  reason: str) -> None:
    """The e-mail goes into the outbox with the deletion: the address is gone afterwards."""
    queue_email(session, instance, to=member.email, template="rights/email/deleted",
                locale=member.locale, member=member, by_staff=by_staff, reason=reason)


def _erase(session: Session, instance: Instance, member: Member) -> str | None:
    """Remove the member's personal data in the caller's transaction; returns the photo file
    name to delete once committed."""
    from maillon.introductions.relay import expire_held_by
    from maillon.introductions.signals import introduction_withdrawn

    scope, me, now = instance.id, member.id, utcnow()
    former_name = member.stored_name

    # Requests: those waiting on them move on; theirs are withdrawn; those to them end (from
    # other servers too, when the chain continued here: a Reject goes back, decision 62).
    expire_held_by(session, instance, member, now=now)
    from maillon.introductions.incoming_relay import stop_those_for

    stop_those_for(session, instance, member, now)
    for intro in session.scalars(select(Introduction).where(
            Introduction.instance_id == scope,
            or_(Introduction.requester_id == me, Introduction.target_id == me),
            Introduction.status.in_(OPEN_STATUSES + RETRYABLE_STATUSES))
            .execution_options(populate_existing=True)).all():
        holder_id = intro.holder_id
        INTRODUCTION.apply(intro, WITHDRAWN)
        intro.holder_id, intro.hop_deadline, intro.closed_at = None, None, now
        session.add(IntroductionEvent(instance_id=scope, introduction_id=intro.id,
                                      attempt=intro.attempt, actor_id=None, kind="withdrawn",
                                      position=intro.current_hop,
                                      data={"account_deleted": True}))
        if holder_id is not None and holder_id != me:
            holder = session.get(Member, holder_id)
            if holder is not None and holder.instance_id == scope:
                introduction_withdrawn.send(session, introduction=intro, actor=None,
                                            recipients=[holder])
    _erase_introduction_texts(session, scope, me)

    # The graph: their connections go (and with them every rating given or received).
    for row in session.scalars(select(Connection).where(
            Connection.instance_id == scope,
            or_(Connection.requester_id == me, Connection.addressee_id == me))).all():
        if row.status == CONNECTED:
            log_connection_change(session, row, "remove")
        session.delete(row)
    # Connections with people on other servers are told (Delete of the actor, delivered by
    # the worker), then go (their servers keep what they received).
    from maillon.federation.announcements import announce_delete

    announce_delete(session, instance, member)
    session.execute(delete(RemoteConnection).where(
        RemoteConnection.instance_id == scope, RemoteConnection.member_id == me))
    session.execute(delete(Endorsement).where(
        Endorsement.instance_id == scope,
        or_(Endorsement.endorser_id == me, Endorsement.member_id == me)))
    session.execute(delete(Recommendation).where(
        Recommendation.instance_id == scope,
        or_(Recommendation.author_id == me, Recommendation.recipient_id == me)))
    session.execute(delete(RecommendationRequest).where(
        RecommendationRequest.instance_id == scope,
        or_(RecommendationRequest.requester_id == me, RecommendationRequest.asked_id == me)))

    # Messages they wrote lose their body; the recipient's thread shows "a former member".
    session.execute(update(DirectMessage).where(DirectMessage.instance_id == scope,
                                                DirectMessage.sender_id == me).values(text=""))
    session.execute(delete(Notification).where(Notification.instance_id == scope,
                                               Notification.member_id == me))
    # Hub posts keep their place in threads (as a deleted author's do on Discourse) without
    # their text; a thread they opened goes with its opening post. Their questions go; their
    # answers lose their text.
    erase_hub_posts(session, scope, me)
    session.execute(delete(Question).where(Question.instance_id == scope,
                                           Question.asker_id == me))
    session.execute(update(Answer).where(Answer.instance_id == scope, Answer.author_id == me)
                    .values(text=""))
    # Their opportunities go (with their relays); the notes they sent with others' and the
    # messages of their answers lose their text; their referral requests, either side, go.
    # Relays to them stay counted in the poster's reach, never named (the account is gone).
    session.execute(delete(Opportunity).where(Opportunity.instance_id == scope,
                                              Opportunity.poster_id == me))
    session.execute(update(Relay).where(Relay.instance_id == scope, Relay.ambassador_id == me)
                    .values(note=""))
    session.execute(update(Relay).where(Relay.instance_id == scope, Relay.contact_id == me)
                    .values(answer_message=""))
    session.execute(delete(ReferralRequest).where(
        ReferralRequest.instance_id == scope,
        or_(ReferralRequest.asker_id == me, ReferralRequest.ambassador_id == me)))
    _forget_in_notifications(session, scope, me, former_name)

    for model in (LoginSession, ApiToken, EmailToken):
        session.execute(delete(model).where(model.instance_id == scope,  # type: ignore[attr-defined]
                                            model.member_id == me))  # type: ignore[attr-defined]
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.instance_id == scope,
                                                 IdempotencyKey.member_id == me))
    session.execute(delete(Invitation).where(Invitation.instance_id == scope,
                                             Invitation.email == member.email))
    session.execute(update(Appeal).where(Appeal.instance_id == scope, Appeal.member_id == me)
                    .values(text=""))
    # Reports: what they wrote when reporting goes; reports about them forget their name and
    # the reported text (the decision and its audit row stay).
    session.execute(update(Report).where(Report.instance_id == scope, Report.reporter_id == me)
                    .values(details=""))
    session.execute(update(Report).where(Report.instance_id == scope,
                                         Report.subject_member_id == me)
                    .values(subject_name="", snapshot=""))
    session.execute(update(AuditEntry).where(AuditEntry.instance_id == scope,
                                             AuditEntry.actor_id == me).values(actor_name=""))
    session.execute(update(AuditEntry).where(AuditEntry.instance_id == scope,
                                             AuditEntry.subject_member_id == me)
                    .values(subject_name=""))
    session.execute(delete(Experience).where(Experience.instance_id == scope,
                                             Experience.member_id == me))
    session.execute(delete(Education).where(Education.instance_id == scope,
                                            Education.member_id == me))
    # Where they worked and which pages they ran are theirs: the organisations stay.
    session.execute(delete(Affiliation).where(Affiliation.instance_id == scope,
                                              Affiliation.member_id == me))
    session.execute(delete(OrganisationAdmin).where(OrganisationAdmin.instance_id == scope,
                                                    OrganisationAdmin.member_id == me))

    photo = member.photo
    member.status = DELETED
    member.stored_name = ""
    member.email = placeholder_email(me)
    member.password_hash = ""
    member.role = "member"
    member.headline = member.position = member.organisation = member.location = ""
    member.summary = member.offers = member.seeks = ""
    member.skills = []
    member.open_to_opportunities = False
    member.photo = None
    member.locale = None
    member.relaying = "off"
    member.contact_policy = {**default_contact_policy(), "direct": "nobody",
                             "introductions": False}
    member.visibility = {"in_directory": False, "contacts_visible_to": "nobody"}
    member.notification_prefs = {}
    member.email_verified_at = member.last_login_at = member.suspended_until = None
    member.suspension_reason = None
    member.updated_at = now
    session.expire(member, ["experiences", "education"])
    member_changed.send(session, member=member)  # the search index drops them
    return photo


def _blank_texts(data: dict[str, Any] | None) -> dict[str, Any]:
    return {k: ("" if k in EVENT_TEXTS else v) for k, v in (data or {}).items()}


def _erase_introduction_texts(session: Session, scope: int, me: int) -> None:
    """The texts the member wrote on requests: their message and answers, their notes,
    vouches, reasons and advice."""
    session.execute(update(Introduction).where(Introduction.instance_id == scope,
                                               Introduction.requester_id == me)
                    .values(message=""))
    session.execute(update(Introduction).where(Introduction.instance_id == scope,
                                               Introduction.target_id == me)
                    .values(outcome_message=""))
    events = session.scalars(select(IntroductionEvent).where(
        IntroductionEvent.instance_id == scope, IntroductionEvent.actor_id == me)).all()
    for event in events:
        if any(event.data.get(k) for k in EVENT_TEXTS):
            event.data = _blank_texts(event.data)
        if event.kind == "advised":
            session.execute(update(Introduction).where(
                Introduction.id == event.introduction_id).values(advice=""))
    hops = session.scalars(select(IntroductionHop).where(
        IntroductionHop.instance_id == scope, IntroductionHop.member_id == me)).all()
    for hop in hops:
        hop.vouch = hop.decline_reason = ""
        # Their note to the next relay sits on the next hop.
        session.execute(update(IntroductionHop).where(
            IntroductionHop.introduction_id == hop.introduction_id,
            IntroductionHop.attempt == hop.attempt,
            IntroductionHop.position == hop.position + 1).values(note_from_previous=""))
    # Their vouches and reasons as a relay here on requests from other servers (decision 62).
    session.execute(update(IncomingIntroductionTurn).where(
        IncomingIntroductionTurn.instance_id == scope, IncomingIntroductionTurn.member_id == me)
        .values(vouch="", decline_reason=""))


def _forget_in_notifications(session: Session, scope: int, me: int, former_name: str) -> None:
    """Others' notifications copied the member's name (as requester or target of a request)
    and the text of their messages: the name gives way to "a former member", the text goes."""
    intro_ids = select(Introduction.id).where(
        Introduction.instance_id == scope,
        or_(Introduction.requester_id == me, Introduction.target_id == me))
    rows = session.scalars(select(Notification).where(
        Notification.instance_id == scope,
        or_(Notification.actor_id == me,
            (Notification.subject_type == "introductions")
            & Notification.subject_id.in_(intro_ids)))).all()
    for row in rows:
        data = dict(row.data or {})
        former = [k for k in ("requester", "target") if data.get(k) == former_name]
        for key in former:
            data[key] = ""
        if former:
            data["former_members"] = former
        if row.actor_id == me and "text" in data:
            data["text"] = ""
        row.data = data
