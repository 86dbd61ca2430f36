"""Languages: the member's choice, else the visitor's switcher choice, else the instance's."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, has_request_context, request, session
from flask_babel import get_translations
from flask_login import current_user
from jinja2.runtime import Context
from jinja2.utils import pass_context
from markupsafe import Markup

from maillon.elision import elide
from maillon.extensions import babel
from maillon.tenancy.settings import LOCALES

LANGUAGE_NAMES = {"en": "English", "fr": "Français"}


def select_locale() -> str:
    if not has_request_context():
        return "en"  # services outside a request pick their language with force_locale
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return str(current_user.locale)
    chosen = session.get("locale")
    if chosen in LOCALES:
        return str(chosen)
    instance = g.get("instance")
    if instance is not None:
        return str(instance.setting("locale"))
    return request.accept_languages.best_match(LOCALES) or "en"


def _translations() -> Any:
    """``get_translations()``, remembered for the request's locale: a page asks for a dozen
    strings or more, and each full lookup walks Flask-Babel's context and locale anew. Keyed on
    the locale object, so ``force_locale`` (mail written during a request) still switches."""
    ctx = g.get("_flask_babel")
    locale = getattr(ctx, "babel_locale", None)
    cached = getattr(ctx, "maillon_translations", None)
    if locale is not None and cached is not None and cached[0] is locale:
        return cached[1]
    translations = get_translations()
    ctx = g.get("_flask_babel")
    if ctx is not None and getattr(ctx, "babel_locale", None) is not None:
        ctx.maillon_translations = (ctx.babel_locale, translations)
    return translations


@pass_context
def _jinja_gettext(__context: Context, __string: str, **variables: Any) -> str:
    """Jinja's new-style gettext (jinja2.ext), with French elision before the values."""
    text: str = _translations().ugettext(__string)
    return _format(__context, elide(text, variables), variables)


@pass_context
def _jinja_ngettext(__context: Context, __singular: str, __plural: str, __num: int,
                    **variables: Any) -> str:
    variables.setdefault("num", __num)
    text: str = _translations().ungettext(__singular, __plural, __num)
    return _format(__context, elide(text, variables), variables)


def _format(context: Context, text: str, variables: dict[str, Any]) -> str:
    if context.eval_ctx.autoescape:
        return Markup(text) % variables  # noqa: S704 - the catalogue string, as jinja2.ext does; values are escaped
    return text % variables


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=str(
        app.root_path + "/translations"))
    # Flask-Babel installed Jinja's i18n callables; `_` resolves "gettext" at call time.
    app.jinja_env.globals.update(gettext=_jinja_gettext, ngettext=_jinja_ngettext)
