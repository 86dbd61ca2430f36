"""Registration, verification, approval, login sessions, password reset and API tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from maillon.accounts.models import ApiToken, EmailToken, Invitation, LoginSession
from maillon.accounts.validation import (
    RegistrationFields,
    check_password_strength,
    normalise_email,
)
from maillon.db import begin_read, begin_write, defer_bookkeeping, settings, utcnow
from maillon.errors import Conflict, Forbidden, ServiceError, ValidationFailed
from maillon.members.models import Member
from maillon.members.signals import member_changed
from maillon.moderation.services import access_staff, record_audit
from maillon.notifications.mail import queue_email
from maillon.security import check_password, digest, hash_password, new_token
from maillon.tenancy.links import absolute_url
from maillon.tenancy.models import Instance
from maillon.validation import check

VERIFY_TTL = timedelta(days=3)
RESET_TTL = timedelta(hours=2)
FIRST_ADMIN_TTL = timedelta(days=7)


class AccountSuspended(Forbidden):
    """The right password of a suspended account: the login page shows why (and the appeal)."""

    def __init__(self, member_id: int) -> None:
        super().__init__("suspended", str(_l("This account is suspended.")))
        self.member_id = member_id


def _hash(session: Session, password: str) -> str:
    return hash_password(password, settings(session)["PASSWORD_HASH_METHOD"])


def find_member_by_email(session: Session, instance: Instance, email: str) -> Member | None:
    return session.scalar(select(Member).where(Member.instance_id == instance.id,
                                               Member.email == email.strip().lower()))


@dataclass
class Registration:
    """The outcome of a registration; ``member`` is None when the answer must not reveal that
    the address was already registered."""

    member: Member | None
    status: str  # active | unverified | pending


def register_member(session: Session, instance: Instance, *, email: str, password: str,
                    name: str, locale: str | None = None,
                    invitation_code: str | None = None) -> Registration:
    """Create a member following the instance's registration policy."""
    joining = check(RegistrationFields, {"email": email, "password": password, "name": name})
    email, name = joining.email, joining.name
    # Hashing is slow on purpose: do it before the write transaction holds the lock. Every
    # outcome below costs this same work, so timing does not tell a known address.
    begin_read(session)
    password_hash = _hash(session, password)
    begin_write(session)

    policy = instance.setting("registration.policy")
    domains = instance.setting("registration.email_domains")
    if domains and email.rpartition("@")[2] not in domains:
        raise ServiceError("email_domain_not_allowed",
                           str(_l("Registration is limited to addresses at %(domains)s.",
                                  domains=", ".join("@" + d for d in domains))),
                           fields={"email": "domain not allowed"}, status=422)
    invitation = None
    if policy == "invite":
        invitation = _find_invitation(session, instance, email, invitation_code)
        if invitation is None:
            raise Forbidden("registration_closed",
                            str(_l("Joining this community needs an invitation.")))
    verify = bool(instance.setting("registration.verify_email"))
    reveal = bool(instance.config.get("registration.reveal_existing_email")) or not verify

    existing = find_member_by_email(session, instance, email)
    if existing is not None:
        if reveal:
            raise Conflict("email_taken", str(_l("This address is already registered.")),
                           fields={"email": "taken"})
        queue_email(session, instance, to=email, template="accounts/email/already_registered",
                    locale=existing.locale, member=existing, reset_url=absolute_url(
                        instance, "accounts.forgot_password"))
        session.commit()
        return Registration(member=None, status="unverified")

    if verify:
        status = "unverified"
    elif policy == "approval":
        status = "pending"
    else:
        status = "active"
    member = Member(instance_id=instance.id, email=email, name=name,
                    password_hash=password_hash, status=status, locale=locale)
    session.add(member)
    try:
        session.flush()
    except IntegrityError:  # a concurrent registration of the same address
        session.rollback()
        raise Conflict("email_taken", str(_l("This address is already registered.")),
                       fields={"email": "taken"}) from None
    if invitation is not None:
        invitation.used_at = utcnow()
    if verify:
        _send_verification(session, instance, member)
    if status == "active":
        member_changed.send(session, member=member)
    session.commit()
    return Registration(member=member, status=status)


def _issue_email_token(session: Session, member: Member, purpose: str, ttl: timedelta) -> str:
    token = new_token()
    session.add(EmailToken(instance_id=member.instance_id, member_id=member.id, purpose=purpose,
                           token_hash=digest(token), expires_at=utcnow() + ttl))
    return token


def _send_verification(session: Session, instance: Instance, member: Member) -> None:
    token = _issue_email_token(session, member, "verify", VERIFY_TTL)
    queue_email(session, instance, to=member.email, template="accounts/email/verify",
                locale=member.locale, member=member,
                link=absolute_url(instance, "accounts.verify_email", token=token))


def resend_verification(session: Session, instance: Instance, email: str) -> None:
    """Send a new link to an unverified member; silent for any other address."""
    member = find_member_by_email(session, instance, email)
    if member is not None and member.status == "unverified":
        _send_verification(session, instance, member)
        session.commit()


def _use_email_token(session: Session, instance: Instance, token: str, purpose: str
                     ) -> EmailToken:
    row = session.scalar(select(EmailToken).where(
        EmailToken.instance_id == instance.id, EmailToken.token_hash == digest(token),
        EmailToken.purpose == purpose))
    if row is None or row.used_at is not None or row.expires_at < utcnow():
        raise ServiceError("invalid_token",
                           str(_l("This link is not valid any more. Ask for a new one.")))
    row.used_at = utcnow()
    return row


def verify_email(session: Session, instance: Instance, token: str) -> Member:
    """Confirm the address behind a link. A link already used for a confirmed address (often
    opened first by a mail scanner) says so, without logging anyone in."""
    begin_write(session)  # a GET link that writes
    used = session.scalar(select(EmailToken).where(
        EmailToken.instance_id == instance.id, EmailToken.token_hash == digest(token),
        EmailToken.purpose == "verify", EmailToken.used_at.is_not(None)))
    if used is not None:
        owner = get_member_for_update(session, instance, used.member_id)
        if owner.email_verified_at is not None:
            raise Conflict("already_confirmed", str(_l(
                "Your address is already confirmed. You can log in.")))
    row = _use_email_token(session, instance, token, "verify")
    member = get_member_for_update(session, instance, row.member_id)
    member.email_verified_at = utcnow()
    if member.status == "unverified":
        member.status = "pending" if instance.setting("registration.policy") == "approval" \
            else "active"
    if member.status == "active":
        member_changed.send(session, member=member)
    session.commit()
    return member


def get_member_for_update(session: Session, instance: Instance, member_id: int) -> Member:
    member = session.scalar(select(Member).where(Member.instance_id == instance.id,
                                                 Member.id == member_id))
    if member is None:
        raise ServiceError("not_found", "No such member.", status=404)
    return member


def authenticate(session: Session, instance: Instance, email: str, password: str) -> Member:
    """The member for these credentials; the same error, in the same time, for any miss."""
    begin_read(session)  # the password check is slow: no write lock meanwhile
    member = find_member_by_email(session, instance, email)
    method = settings(session)["PASSWORD_HASH_METHOD"]
    ok = check_password(member.password_hash if member else None, password, method)
    if member is None or not ok or member.status == "deleted":
        raise ServiceError("invalid_credentials",
                           str(_l("Wrong e-mail address or password.")), status=401)
    if member.status == "unverified":
        raise Forbidden("email_not_verified", str(_l(
            "Please confirm your address first: follow the link we sent you.")))
    if member.status == "pending":
        raise Forbidden("approval_pending", str(_l(
            "Your registration is waiting for an administrator's approval.")))
    if member.status == "suspended":
        from maillon.moderation.sanctions import lift_expired_for

        if not lift_expired_for(session, instance, member):  # a suspension past its date ends
            raise AccountSuspended(member.id)
    return member


def start_login_session(session: Session, member: Member, user_agent: str = "") -> str:
    begin_write(session)
    token = new_token()
    days = int(settings(session)["SESSION_DAYS"])
    session.add(LoginSession(instance_id=member.instance_id, member_id=member.id,
                             token_hash=digest(token), expires_at=utcnow() + timedelta(days=days),
                             user_agent=user_agent[:200]))
    member.last_login_at = utcnow()
    session.commit()
    member._login_token = token  # type: ignore[attr-defined]
    return token


def load_login_session(session: Session, instance: Instance, token: str) -> Member | None:
    """The member behind a live login session of this instance, or None."""
    row = session.scalar(select(LoginSession).where(
        LoginSession.instance_id == instance.id, LoginSession.token_hash == digest(token))
        .options(joinedload(LoginSession.member)))  # one query on every page
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at < now:
        return None
    member = row.member
    if member.status != "active":
        return None
    if now - row.last_seen_at > timedelta(minutes=5):  # coarse: reads stay reads
        defer_bookkeeping(session, update(LoginSession).where(LoginSession.id == row.id).values(
            last_seen_at=now,
            expires_at=now + timedelta(days=int(settings(session)["SESSION_DAYS"]))))
    member._login_token = token  # type: ignore[attr-defined]
    return member


def end_login_session(session: Session, instance: Instance, token: str) -> None:
    session.execute(update(LoginSession).where(
        LoginSession.instance_id == instance.id, LoginSession.token_hash == digest(token),
        LoginSession.revoked_at.is_(None)).values(revoked_at=utcnow()))
    session.commit()


def end_all_sessions(session: Session, member: Member) -> None:
    now = utcnow()
    for model in (LoginSession, ApiToken):
        session.execute(update(model).where(
            model.instance_id == member.instance_id, model.member_id == member.id,
            model.revoked_at.is_(None)).values(revoked_at=now))


def request_password_reset(session: Session, instance: Instance, email: str) -> None:
    """Mail a reset link if the address is a member's; say nothing either way."""
    try:
        email = normalise_email(email)
    except ValidationFailed:
        return
    member = find_member_by_email(session, instance, email)
    if member is None or member.status == "deleted":
        return
    token = _issue_email_token(session, member, "reset", RESET_TTL)
    queue_email(session, instance, to=member.email, template="accounts/email/reset",
                locale=member.locale, member=member,
                link=absolute_url(instance, "accounts.reset_password", token=token))
    session.commit()


def create_first_admin(session: Session, instance: Instance, *, email: str, name: str
                       ) -> Member:
    """The first admin of an instance the operator just created, in the caller's write
    transaction: no password yet, a week-long link by e-mail to choose one (it also proves
    the address). Not committed here."""
    member = Member(instance_id=instance.id, email=email, name=name, password_hash="",
                    status="active", role="admin", locale=instance.setting("locale"))
    session.add(member)
    session.flush()
    token = _issue_email_token(session, member, "reset", FIRST_ADMIN_TTL)
    queue_email(session, instance, to=email, template="accounts/email/first_admin",
                locale=member.locale, member=member,
                link=absolute_url(instance, "accounts.reset_password", token=token))
    member_changed.send(session, member=member)
    return member


def reset_password(session: Session, instance: Instance, token: str, password: str) -> Member:
    check_password_strength(password)
    begin_read(session)
    password_hash = _hash(session, password)  # before the write lock
    begin_write(session)
    row = _use_email_token(session, instance, token, "reset")
    member = get_member_for_update(session, instance, row.member_id)
    member.password_hash = password_hash
    if member.status == "unverified":  # the link proves the address
        member.email_verified_at = utcnow()
        member.status = "pending" if instance.setting("registration.policy") == "approval" \
            else "active"
    end_all_sessions(session, member)
    # Any other reset link still in a mailbox stops working too.
    session.execute(update(EmailToken).where(
        EmailToken.instance_id == instance.id, EmailToken.member_id == member.id,
        EmailToken.purpose == "reset", EmailToken.used_at.is_(None)).values(used_at=utcnow()))
    session.commit()
    return member


def issue_api_token(session: Session, member: Member) -> str:
    begin_write(session)
    token = new_token()
    session.add(ApiToken(instance_id=member.instance_id, member_id=member.id,
                         token_hash=digest(token)))
    session.commit()
    return token


# Built once: constructing the statement cost as much as running it, on every API request.
_API_TOKEN_LOOKUP = select(ApiToken.id, ApiToken.created_at, ApiToken.last_used_at, Member).join(
    Member, Member.id == ApiToken.member_id).where(
    ApiToken.instance_id == bindparam("instance_id"), ApiToken.token_hash == bindparam("hash"),
    ApiToken.revoked_at.is_(None))


def find_member_by_api_token(session: Session, instance: Instance, token: str) -> Member | None:
    """The active member behind a token of this instance, unrevoked and used recently enough;
    read anew each time (a revocation or a suspension takes effect on the next request)."""
    row = session.execute(_API_TOKEN_LOOKUP,
                          {"instance_id": instance.id, "hash": digest(token)}).first()
    if row is None:
        return None
    token_id, created_at, last_used_at, member = row
    if member.status != "active":
        return None
    now = utcnow()
    if now - (last_used_at or created_at) > timedelta(
            days=int(settings(session)["API_TOKEN_DAYS"])):
        return None  # unused for too long: log in again
    if last_used_at is None or now - last_used_at > timedelta(minutes=5):
        # Coarse, and after the request: reads never wait for (or fail on) the write lock.
        defer_bookkeeping(session, update(ApiToken).where(ApiToken.id == token_id).values(
            last_used_at=now))
    return member  # type: ignore[no-any-return]


def is_suspended_token(session: Session, instance: Instance, token: str) -> bool:
    """Whether a refused token was issued here to a member now suspended (the API says
    ``account_suspended`` rather than a bare 401)."""
    return session.scalar(select(ApiToken.id).join(Member, Member.id == ApiToken.member_id)
                          .where(ApiToken.instance_id == instance.id,
                                 ApiToken.token_hash == digest(token),
                                 Member.instance_id == instance.id,
                                 Member.status == "suspended").limit(1)) is not None


def revoke_api_token(session: Session, instance: Instance, token: str) -> None:
    session.execute(update(ApiToken).where(
        ApiToken.instance_id == instance.id, ApiToken.token_hash == digest(token),
        ApiToken.revoked_at.is_(None)).values(revoked_at=utcnow()))
    session.commit()


def list_pending_members(session: Session, instance: Instance) -> list[Member]:
    return list(session.scalars(select(Member).where(
        Member.instance_id == instance.id, Member.status == "pending").order_by(Member.id)))


def approve_member(session: Session, instance: Instance, admin: Member, member_id: int, *,
                   ip: str = "") -> Member:
    """Let a pending registration in (admins); audited."""
    access_staff(instance, admin, admin=True)
    member = get_member_for_update(session, instance, member_id)
    if member.status == "pending":
        member.status = "active"
        record_audit(session, instance, admin, "member_approved", subject=member, ip=ip)
        member_changed.send(session, member=member)
        queue_email(session, instance, to=member.email, template="accounts/email/approved",
                    locale=member.locale, member=member,
                    link=absolute_url(instance, "accounts.login"))
        session.commit()
    return member


def reject_member(session: Session, instance: Instance, admin: Member, member_id: int, *,
                  ip: str = "") -> None:
    """Refuse a pending registration (admins): the account is removed; audited by name."""
    access_staff(instance, admin, admin=True)
    member = get_member_for_update(session, instance, member_id)
    if member.status == "pending":
        record_audit(session, instance, admin, "member_rejected", subject_type="member",
                     subject_id=member.id, subject_name=member.name, ip=ip)
        session.delete(member)
        session.commit()


def create_invitation(session: Session, instance: Instance, inviter: Member, email: str, *,
                      ip: str = "") -> str:
    """Invite an address (admins); returns the code (also mailed with a link); audited."""
    access_staff(instance, inviter, admin=True)
    code = invite_address(session, instance, inviter, normalise_email(email), ip=ip)
    session.commit()
    return code


def invite_address(session: Session, instance: Instance, inviter: Member, email: str, *,
                   ip: str = "", **audit_data: Any) -> str:
    """Invite a normalised address in the caller's transaction (a new link replaces an unused
    one), queue the e-mail and audit it; returns the code. The caller checked the inviter."""
    code = new_token()
    invitation = session.scalar(select(Invitation).where(
        Invitation.instance_id == instance.id, Invitation.email == email))
    if invitation is None:
        invitation = Invitation(instance_id=instance.id, email=email)
        session.add(invitation)
    invitation.code_hash = digest(code)
    invitation.invited_by_id = inviter.id
    invitation.used_at = None
    queue_email(session, instance, to=email, template="accounts/email/invitation",
                inviter=inviter, link=absolute_url(instance, "accounts.register", invitation=code))
    session.flush()
    record_audit(session, instance, inviter, "invitation_sent", subject_type="invitation",
                 subject_id=invitation.id, subject_name=email, ip=ip, **audit_data)
    return code


def _find_invitation(session: Session, instance: Instance, email: str, code: str | None
                     ) -> Invitation | None:
    if not code:
        return None
    return session.scalar(select(Invitation).where(
        Invitation.instance_id == instance.id, Invitation.email == email,
        Invitation.code_hash == digest(code), Invitation.used_at.is_(None)))
