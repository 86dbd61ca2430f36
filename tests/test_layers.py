"""Views stay thin: a page or an API operation parses its input, calls services and answers;
the queries live in the services (STYLE: "A view parses input, calls one service, renders")."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "platform" / "maillon"
# The API's own bookkeeping (idempotency keys) is a service of the API package, not a route.
NOT_ROUTES = {"api/idempotency.py", "api/models.py", "api/registry.py", "api/openapi.py"}
# A statement built here (not a method, not a definition), or a session asked directly.
QUERY = re.compile(r"(?<![.\w])(?<!def )(select|update|delete|insert)\(|\.(scalars?|execute)\("
                   r"|\bsession\.get\(\w+,")


def _route_modules() -> list[Path]:
    pages = [p for p in ROOT.rglob("*.py") if p.name == "views.py" or p.name.endswith("_views.py")]
    api = [p for p in (ROOT / "api").glob("*.py")
           if p.relative_to(ROOT).as_posix() not in NOT_ROUTES]
    return sorted(pages + api)


def test_views_and_api_operations_hold_no_queries() -> None:
    modules = _route_modules()
    assert len(modules) > 10  # the walk found the blueprints
    found = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
             for path in modules
             for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
             if QUERY.search(line.split("#", 1)[0])]
    assert not found, "\n".join(found)
