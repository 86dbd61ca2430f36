"""Flask-Login wiring: the session cookie holds a login-session token, checked per request."""

from __future__ import annotations

from flask import Flask, g
from flask_babel import lazy_gettext as _l

from maillon.accounts.services import load_login_session
from maillon.db import db
from maillon.extensions import login_manager
from maillon.members.models import Member


@login_manager.user_loader
def _load_member(token: str) -> Member | None:
    instance = g.get("instance")
    if instance is None:
        return None
    return load_login_session(db.session, instance, token)


def init_app(app: Flask) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    # Our sessions are server-side rows; Flask-Login's "remember me" cookie is not used.
    login_manager.session_protection = "basic"
