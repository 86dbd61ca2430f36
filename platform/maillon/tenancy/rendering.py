"""Rendering pages and e-mails through the instance's own Jinja environment."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, template_rendered
from jinja2 import Template

from maillon.tenancy.registry import get_registry


def render_for(slug: str, template_name: str | list[str | Template], **context: Any) -> str:
    """Render a template for an instance (works outside a request: e-mails, workers)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    env = get_registry(app).environment(app, slug)
    app.update_template_context(context)
    template = env.get_or_select_template(template_name)
    rendered = template.render(context)
    template_rendered.send(app, _async_wrapper=app.ensure_sync, template=template,
                           context=context)
    return rendered


def render(template_name: str | list[str | Template], **context: Any) -> str:
    """Render a page for the current request's instance."""
    if g.get("instance_config") is None:
        from flask import render_template

        return render_template(template_name, **context)
    return render_for(g.instance_config.slug, template_name, **context)
