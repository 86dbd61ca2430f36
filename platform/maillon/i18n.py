"""Languages: the member's choice, else the visitor's switcher choice, else the instance's."""

from __future__ import annotations

from flask import Flask, g, has_request_context, request, session
from flask_login import current_user

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


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=str(
        app.root_path + "/translations"))
