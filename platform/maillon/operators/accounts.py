"""The operators' accounts and sign-in: created from the command line, used on the operator
host only. Nothing here belongs to an instance."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from maillon.accounts.validation import check_password_strength, normalise_email
from maillon.db import begin_read, begin_write, settings, utcnow
from maillon.errors import Conflict, ServiceError
from maillon.operators.models import Operator, OperatorSession
from maillon.security import check_password, digest, hash_password, new_token

# Shorter than a member's session: these pages change every community of the deployment.
SESSION_HOURS = 12
# Created by the first `make run` with the demo data (password: the demo's).
DEMO_OPERATOR = "operator@example.org"


def create_operator(session: Session, email: str, password: str) -> Operator:
    """A new operator (``maillon operators add``); 409 ``operator_exists`` if the address is."""
    email = normalise_email(email)
    check_password_strength(password)
    begin_read(session)
    password_hash = hash_password(password, settings(session)["PASSWORD_HASH_METHOD"])
    begin_write(session)
    operator = Operator(email=email, password_hash=password_hash)
    session.add(operator)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict("operator_exists", "An operator with this address exists.") from None
    return operator


def list_operators(session: Session) -> list[Operator]:
    return list(session.scalars(select(Operator).order_by(Operator.email)))


def remove_operator(session: Session, email: str) -> bool:
    """Remove an operator and end their sessions; whether there was one."""
    begin_write(session)
    operator = session.scalar(select(Operator).where(Operator.email == email.strip().lower()))
    if operator is None:
        return False
    session.execute(delete(OperatorSession).where(OperatorSession.operator_id == operator.id))
    session.delete(operator)
    session.commit()
    return True


def authenticate_operator(session: Session, email: str, password: str) -> Operator:
    """The operator for these credentials; the same error, in the same time, for any miss."""
    begin_read(session)
    operator = session.scalar(select(Operator).where(
        Operator.email == email.strip().lower()[:254]))
    method = settings(session)["PASSWORD_HASH_METHOD"]
    if not check_password(operator.password_hash if operator else None, password, method) \
            or operator is None:
        raise ServiceError("invalid_credentials",
                           str(_l("Wrong e-mail address or password.")), status=401)
    return operator


def start_operator_session(session: Session, operator: Operator) -> str:
    begin_write(session)
    token = new_token()
    session.add(OperatorSession(operator_id=operator.id, token_hash=digest(token),
                                expires_at=utcnow() + timedelta(hours=SESSION_HOURS)))
    operator.last_login_at = utcnow()
    session.commit()
    return token


def find_operator_by_session(session: Session, token: str) -> Operator | None:
    """The operator behind a live session token, or None."""
    row = session.scalar(select(OperatorSession).where(
        OperatorSession.token_hash == digest(token)).options(
        joinedload(OperatorSession.operator)))
    if row is None or row.revoked_at is not None or row.expires_at < utcnow():
        return None
    return row.operator


def end_operator_session(session: Session, token: str) -> None:
    begin_write(session)
    session.execute(update(OperatorSession).where(
        OperatorSession.token_hash == digest(token),
        OperatorSession.revoked_at.is_(None)).values(revoked_at=utcnow()))
    session.commit()
