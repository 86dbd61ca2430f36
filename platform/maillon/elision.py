"""French elision before a value: "de %(name)s" reads "d’Antoine", "que %(name)s" reads
"qu’Adjoa", decided when the value is known (the catalogue keeps "de %(name)s").

Applied to every translated string that has values, in pages, mails and flash messages alike
(the Babel domain below for Python, maillon.i18n for Jinja). Names starting with a vowel or an
h elide (d’Hélène, d’Hugo); a y does not (de Yann).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask_babel import Domain

# "de" and the conjunctions ending in "que", before a placeholder; a word boundary first, so
# "grande %(x)s" is left alone.
_BEFORE_VALUE = re.compile(
    r"(?<![\w’'])(?P<word>[Dd]e|[Qq]ue|[Jj]usque|[Ll]orsque|[Pp]uisque) %\((?P<key>\w+)\)s")
_VOWEL_START = re.compile(r"[aeiouàâäéèêëîïôöùûüœæh]", re.IGNORECASE)


def elide(template: str, values: Mapping[str, Any]) -> str:
    """The template with "de %(key)s" made "d’%(key)s" where values[key] starts with a vowel."""
    if not values or "%(" not in template:
        return template

    def replace(match: re.Match[str]) -> str:
        value = values.get(match["key"])
        if isinstance(value, str) and _VOWEL_START.match(value.lstrip()):
            return f"{match['word'][:-1]}’%({match['key']})s"
        return match[0]

    return _BEFORE_VALUE.sub(replace, template)


class ElidingDomain(Domain):
    """Flask-Babel's domain, with French elision before the values it formats."""

    def gettext(self, string: str, **variables: Any) -> str:
        text = self.get_translations().ugettext(string)
        return elide(text, variables) % variables if variables else text

    def ngettext(self, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        text = self.get_translations().ungettext(singular, plural, num)
        return elide(text, variables) % variables
