"""The notification preferences form: for each kind, in-app and e-mail checkboxes (CSRF)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField

from maillon.notifications.services import optional_kinds


class PreferencesForm(FlaskForm):
    # Each field holds the names of the kinds whose channel is checked.
    app = SelectMultipleField()
    email = SelectMultipleField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(name, str(kind.label)) for name, kind in optional_kinds().items()]
        self.app.choices = choices
        self.email.choices = choices

    def fill_from(self, prefs: dict[str, dict[str, bool]]) -> None:
        self.app.data = [name for name, channels in prefs.items() if channels["app"]]
        self.email.data = [name for name, channels in prefs.items() if channels["email"]]

    def changes(self) -> dict[str, dict[str, bool]]:
        """Every kind's channels, as ``update_preferences`` takes them (unchecked → off)."""
        app, email = set(self.app.data or ()), set(self.email.data or ())
        return {name: {"app": name in app, "email": name in email} for name in optional_kinds()}
