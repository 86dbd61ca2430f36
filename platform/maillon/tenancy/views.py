"""The instance home page, theme CSS and static files, the language switcher, and the
deployment index on loopback hosts."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user

from maillon.db import db
from maillon.extensions import csrf
from maillon.members.services import count_members
from maillon.security import is_local_path
from maillon.tenancy.dashboard import member_dashboard
from maillon.tenancy.logos import logo_path
from maillon.tenancy.registry import get_registry
from maillon.tenancy.rendering import render
from maillon.tenancy.resolution import LOOPBACK_HOSTS, request_host
from maillon.tenancy.settings import LOCALES

bp = Blueprint("tenancy", __name__, template_folder="templates")


@bp.get("/")
def home() -> Any:
    if g.instance is None:
        return deployment_index()
    if current_user.is_authenticated:
        return render("tenancy/dashboard.html",
                      board=member_dashboard(db.session, g.instance, current_user))
    return render("tenancy/home.html", member_count=public_member_count())


# The logged-out home page's figure, per process and instance.
PUBLIC_COUNT_SECONDS = 30.0


def public_member_count() -> int:
    """``count_members`` for the logged-out home page, read at most every 30 s per process: a
    visitor's figure may be that old (as on any network's front page), and the page costs no
    statement the rest of the time. Kept on the app, as the instance cache is."""
    counts: dict[int, tuple[float, int]] = current_app.extensions.setdefault(
        "maillon.public_member_counts", {})
    cached = counts.get(g.instance.id)
    now = time.monotonic()
    if cached is not None and now - cached[0] < PUBLIC_COUNT_SECONDS:
        return cached[1]
    count = count_members(db.session, g.instance)
    counts[g.instance.id] = (now, count)
    return count


def deployment_index() -> Any:
    """On localhost, list the instances this deployment serves (development convenience)."""
    if request_host() not in LOOPBACK_HOSTS:
        abort(404)
    registry = get_registry()
    port = request.host.rpartition(":")[2] if ":" in request.host else ""
    suffix = f":{port}" if port.isdigit() else ""
    instances = [
        {"slug": c.slug, "name": c["name"], "theme": c["theme"],
         "host_url": f"http://{c.hosts[0]}{suffix}/",
         "path_url": f"{request.host_url}i/{c.slug}/"}
        for c in registry.configs.values()
    ]
    return render("tenancy/deployment.html", instances=instances)


@bp.get("/theme.css")
def theme_css() -> Any:
    options = get_registry().options[g.instance.slug]
    lines = [f"  --{name}: {value};" for name, value in sorted(options.items())]
    response = make_response(":root {\n" + "\n".join(lines) + "\n}\n")
    response.mimetype = "text/css"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/theme/<path:filename>")
def theme_static(filename: str) -> Any:
    """The instance's uploaded logo, or a static file from the instance's own folder, else its
    theme, else the ancestors."""
    uploaded = logo_path(current_app.config["VAR_DIR"], g.instance, filename)
    if uploaded is not None:  # a new upload is a new name: it never changes
        return send_from_directory(uploaded.parent, uploaded.name, max_age=86400)
    for folder in get_registry().static_dirs[g.instance.slug]:
        if (Path(folder) / filename).is_file():
            return send_from_directory(folder, filename, max_age=300)
    abort(404)


@bp.post("/language")
@csrf.exempt
def set_language() -> Any:
    """A visitor's choice lives in their session cookie only: forcing it from another site
    changes nothing that matters, so their pages carry no CSRF token (and set no cookie) for
    it. A member's choice is saved on their profile: that one is checked."""
    if current_user.is_authenticated and current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()
    locale = request.form.get("locale", "")
    if locale in LOCALES:
        session["locale"] = locale
        if current_user.is_authenticated:
            from maillon.members.profiles import set_member_locale

            set_member_locale(db.session, current_user, locale)
    target = request.form.get("next", "")
    if not is_local_path(target):
        target = url_for("tenancy.home")
    return redirect(target)


@bp.app_context_processor
def _inject() -> dict[str, Any]:
    instance = g.get("instance")
    registry = current_app.extensions["maillon.instances"]
    theme = registry.theme_info(instance.slug) if instance is not None else None
    return {"instance": instance, "theme": theme, "locales": LOCALES,
            "current_locale": str(get_locale() or "en")}
