"""Secrets: random tokens stored as digests, password hashing with constant-time misses."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache
from urllib.parse import urlsplit

from werkzeug.security import check_password_hash, generate_password_hash


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def hash_password(password: str, method: str) -> str:
    return generate_password_hash(password, method=method)


@lru_cache(maxsize=8)
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_hex(16), method=method)


def check_password(stored_hash: str | None, password: str, method: str) -> bool:
    """Check a password; without a stored hash, spend the same time and fail."""
    if not stored_hash:
        check_password_hash(_dummy_hash(method), password)
        return False
    return check_password_hash(stored_hash, password)


def is_local_path(target: str) -> bool:
    """Whether a ``next`` target stays on this site. Browsers drop tabs and newlines from URLs
    and read a backslash as a slash, so ``/<TAB>/evil.example`` would leave it: refuse them."""
    if not target.startswith("/") or any(c.isspace() or ord(c) < 32 or c == "\\"
                                         for c in target):
        return False
    parts = urlsplit(target)
    return not target.startswith("//") and not parts.scheme and not parts.netloc
