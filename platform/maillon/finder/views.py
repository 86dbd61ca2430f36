"""The search page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request
from flask_babel import get_locale
from flask_login import current_user, login_required

from maillon.db import db
from maillon.errors import ServiceError
from maillon.federation import discovery
from maillon.finder.responses import retry_after
from maillon.finder.services import SearchUnavailable, search_members
from maillon.pagination import page_arg
from maillon.tenancy.rendering import render

bp = Blueprint("finder", __name__, template_folder="templates")


def _bool_arg(name: str) -> bool | None:
    value = request.args.get(name, "")
    return True if value in ("1", "true", "yes") else None


@bp.get("/search")
@login_required
def search() -> Any:
    args = request.args
    text = args.get("q", "")
    degree = args.get("degree", "")
    filters: dict[str, Any] = {
        "organisation": args.get("company") or args.get("organisation") or None,
        "location": args.get("location") or None, "skill": args.get("skill") or None,
        "open_to_opportunities": _bool_arg("open"),
        "degree": int(degree) if degree in ("1", "2", "3") else None}
    page = page_arg()
    error = None
    status = 200
    unavailable = False
    outcome = None
    if text or any(filters.values()):
        try:
            outcome = search_members(db.session, g.instance, current_user, text=text,
                                     page=page, language=str(get_locale()), **filters)
        except SearchUnavailable as exc:
            error, status, unavailable = exc.message, exc.status, True
            retry_after(exc.retry_after)
        except ServiceError as exc:
            error, status = exc.message, 422
    # People of the deployment's other communities who chose to be found (decision 59).
    sisters = (discovery.search_sisters(db.session, g.instance, text)
               if outcome is not None and text and page == 1 else [])
    return render("finder/search.html", q=text, filters=filters, outcome=outcome, error=error,
                  unavailable=unavailable, page=page, per_page=20, sisters=sisters), status
