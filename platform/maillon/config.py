"""Process-level settings, declared once with type, default and description.

Three levels of configuration exist (see docs/configuration.md): this module holds the process
level (environment variables ``MAILLON_<NAME>`` or a TOML file named by
``MAILLON_CONFIG``); the instance level lives in ``instances/<slug>/instance.toml``
(``maillon.tenancy.settings``); the editable level lives in the database.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Setting:
    name: str
    type: Callable[[str], Any]
    default: Any
    description: str


SETTINGS: tuple[Setting, ...] = (
    Setting("SECRET_KEY", str, None, "Signs sessions and tokens. Generated into var/secret_key "
            "on first start when unset; set it explicitly when running several processes."),
    Setting("DATABASE_URL", str, None, "SQLAlchemy URL. Default: SQLite at var/maillon.db. "
            "Production: postgresql+psycopg://user@host/db."),
    Setting("VAR_DIR", str, str(PROJECT_ROOT / "var"), "Data directory: SQLite file, search "
            "indexes, graph files, uploaded photos, dev outbox."),
    Setting("SEARCH_BACKEND", str, "whoosh", "Where search indexes live: whoosh (files under "
            "var/search/, shared by every process of a machine) or postgres (tables in the "
            "DATABASE_URL database, which must then be PostgreSQL: web processes on several "
            "machines)."),
    Setting("INSTANCES_DIR", str, str(PROJECT_ROOT / "instances"), "Where instance.toml files "
            "live, one folder per instance."),
    Setting("THEMES_DIR", str, str(PROJECT_ROOT / "themes"), "Where themes live."),
    Setting("SERVER_PORT", int, 5000, "Port shown in printed addresses (make run uses PORT)."),
    Setting("MAIL_HOST", str, "127.0.0.1", "SMTP server host."),
    Setting("MAIL_PORT", int, 8025, "SMTP server port (make run starts a local sink on 8025)."),
    Setting("MAIL_USERNAME", str, "", "SMTP user name (empty: no authentication)."),
    Setting("MAIL_PASSWORD", str, "", "SMTP password."),
    Setting("MAIL_STARTTLS", _bool, False, "Use STARTTLS with the SMTP server."),
    Setting("MAIL_FROM", str, "noreply@maillon.localhost", "Default sender address; an instance "
            "may set its own in instance.toml."),
    Setting("DEV_HOSTS", str, "", "Extra host names (comma-separated, no port) that may serve "
            "/i/<slug>/ paths, besides localhost, 127.0.0.1, [::1] and *.localhost."),
    Setting("DEV_OUTBOX", _bool, False, "Serve /dev/outbox listing the mail caught by the local "
            "SMTP sink. Only for development."),
    Setting("RATELIMIT_STORAGE_URI", str, "", "Where rate-limit counters live, shared by "
            "every process given the same URI. Empty: a SQLite file, var/ratelimits.sqlite "
            "(sqlite:///relative or sqlite:////absolute/path to choose another). Several "
            "machines: redis://host:6379. memory:// counts per process."),
    Setting("RATELIMIT_KEY_PREFIX", str, "", "Prefix of every rate-limit key, for deployments "
            "sharing one Redis."),
    Setting("LOGIN_RATE_LIMIT", str, "10 per minute;50 per hour", "Login attempts (page and "
            "API together) per client address, and failed logins per account from devices "
            "where it never logged in."),
    Setting("LOGIN_DEVICE_DAYS", int, 365, "A browser where an account logged in is "
            "remembered this long (signed cookie): failures elsewhere never lock it out."),
    Setting("TRUSTED_PROXIES", int, 0, "How many reverse proxies in front of the app set "
            "X-Forwarded-For and X-Forwarded-Proto. 0: use the connecting address. Behind a "
            "proxy, set it: login throttling counts per client address."),
    Setting("MAIL_RATE_LIMIT", str, "5 per hour;20 per day", "Mails a visitor can have sent "
            "to one address (confirmation link again, password reset), per address."),
    Setting("REGISTRATION_RATE_LIMIT", str, "20 per hour", "Registrations per client address."),
    Setting("REMOTE_LOOKUP_RATE_LIMIT", str, "20 per minute;200 per hour", "Lookups of "
            "people on other servers (each fetches from that server: the page and the API, "
            "looking up and asking to connect) per client address."),
    Setting("PASSWORD_HASH_METHOD", str, "scrypt", "Werkzeug password hash method."),
    Setting("MAX_PHOTO_BYTES", int, 5 * 1024 * 1024, "Largest accepted profile photo upload."),
    Setting("API_TOKEN_DAYS", int, 180, "An API token unused for this many days stops "
            "working (its owner logs in again)."),
    Setting("SESSION_DAYS", int, 30, "How long a login session lives without activity."),
    Setting("DB_STATEMENT_TIMEOUT_MS", int, 10_000, "Longest a single SQL statement may run in a "
            "web process before it is interrupted (PostgreSQL statement_timeout; on SQLite a "
            "progress handler). 0: no limit. `maillon` commands and workers run without it "
            "unless it is set in their environment."),
    Setting("INSTANCE_CACHE_SECONDS", float, 5.0, "How long a process keeps an instance row "
            "(settings edited by admins) before reading it again: an edit made through another "
            "process applies within this time. 0: read it on every request."),
    Setting("INSTANCE_REFRESH_SECONDS", float, 5.0, "How often a process reads the instance "
            "rows again for instances the operator created, moved to other hosts or themes, "
            "or disabled: a change made through another process applies within this time."),
    Setting("OPERATOR_HOST", str, "operator.localhost", "Host name of the operator's pages "
            "(create, move, disable instances; name their admins). It must not be an "
            "instance's host. Empty: no operator pages (the `maillon` command remains)."),
    Setting("JOB_POLL_SECONDS", float, 0.5, "How often an idle worker looks for jobs."),
    Setting("SERVER_NAME_SCHEME", str, "https", "Scheme used in links written into e-mails."),
    Setting("LOCAL_LINKS", _bool, False, "Links in e-mails point at <slug>.localhost:SERVER_PORT "
            "instead of the instance's first configured host (make run sets it)."),
    Setting("LOG_FORMAT", str, "text", "Log lines: text (development) or json, one object per "
            "line with the request id (production)."),
    Setting("METRICS_TOKEN", str, "", "Bearer token that opens /metrics (and /readyz details) "
            "to non-loopback clients. Empty: loopback clients only."),
    Setting("READY_WORKER_MAX_AGE_SECONDS", int, 60, "/readyz fails when no jobs worker has "
            "written a heartbeat for this long."),
    Setting("FEDERATION_KEY_SECRET", str, "", "Seals the private keys of the federation actors "
            "in the database (AES-GCM). Empty: derived from SECRET_KEY (so var/secret_key in "
            "development). Set it explicitly in production and keep it: keys sealed under "
            "another secret no longer open."),
    Setting("FEDERATION_DEV_NETWORK", _bool, False, "Let federation fetch from http:// URLs "
            "and from loopback and private-network addresses (names under .localhost resolve "
            "to 127.0.0.1). Development and tests only: in production a remote server could "
            "otherwise make the app fetch from its own network."),
    Setting("FEDERATION_LOCAL_EXCHANGE", _bool, True, "Requests between the instances of "
            "this deployment (fetches, deliveries) are handed to the application in the same "
            "process instead of going through the network; the receiving instance checks them "
            "as any server's. Off: they go out over HTTP like any other."),
    Setting("FEDERATION_RETRY_SCALE", float, 1.0, "Multiplies the delays between tries of a "
            "federation delivery (Mastodon's schedule: n^4 + 15 s plus jitter, 16 tries, about "
            "two to three days). Tests and drills shrink it; keep 1 in production."),
    Setting("FEDERATION_UNAVAILABLE_DAYS", int, 7, "A remote server whose deliveries expired "
            "on this many days is unavailable: nothing more is queued for it until it answers "
            "or sends an activity."),
    Setting("FEDERATION_UPDATE_DELAY_SECONDS", int, 30, "A profile edit is announced to the "
            "member's connections on other servers (Update) this long after it, so that a "
            "burst of edits sends one Update carrying the last state."),
    Setting("RETENTION_DONE_JOBS_DAYS", int, 7, "Finished jobs are deleted after this long."),
    Setting("RETENTION_FAILED_JOBS_DAYS", int, 30, "Failed jobs are deleted after this long."),
    Setting("RETENTION_CHANGES_GRACE_HOURS", int, 168, "Connection changes already in the "
            "newest graph snapshot are deleted once older than this."),
    Setting("RETENTION_SESSIONS_DAYS", int, 7, "Login sessions are deleted this long after "
            "they expired or were ended."),
    Setting("RETENTION_API_TOKENS_DAYS", int, 30, "API tokens are deleted this long after "
            "they were revoked or stopped working unused."),
)


def load_process_config(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Settings from defaults, then the MAILLON_CONFIG TOML file, then MAILLON_* variables."""
    config: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    file = os.environ.get("MAILLON_CONFIG")
    if file:
        with open(file, "rb") as fh:
            config.update({k.upper(): v for k, v in tomllib.load(fh).items()})
    for setting in SETTINGS:
        raw = os.environ.get(f"MAILLON_{setting.name}")
        if raw is not None:
            config[setting.name] = setting.type(raw)
    if overrides:
        config.update(overrides)
    return config
