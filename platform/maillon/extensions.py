"""Flask extensions, created unbound and attached in the app factory."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
# Limits are declared where they apply (login); nothing is limited by default.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def configured_limit(setting: str) -> Callable[[], str]:
    """A limit string read from the process config at request time (pages and API share it)."""

    def limit() -> str:
        return str(current_app.config[setting])

    limit.__name__ = f"limit_{setting.lower()}"
    return limit


login_limit = configured_limit("LOGIN_RATE_LIMIT")
mail_limit = configured_limit("MAIL_RATE_LIMIT")
registration_limit = configured_limit("REGISTRATION_RATE_LIMIT")
