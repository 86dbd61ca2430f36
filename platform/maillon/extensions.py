"""Flask extensions, created unbound and attached in the app factory."""

from __future__ import annotations

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
