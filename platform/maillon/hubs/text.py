"""A post's plain text: the @mentions it holds, and its safe HTML (paragraphs, links).

Members write plain text only. Rendering escapes everything first and then adds exactly three
kinds of markup of its own: paragraphs, line breaks, and links (http(s) addresses, and the
mentions resolved when the post was written). No markup a member typed ever reaches a page.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from markupsafe import Markup, escape

#: A mention: "@" then a handle (letters, digits, dots, hyphens), not inside a word or address.
MENTION = re.compile(r"(?<![\w@.])@([a-z0-9](?:[a-z0-9.\-]*[a-z0-9])?)", re.IGNORECASE)
#: Mentions looked at in one post: more is a mass notification, not a conversation.
MAX_MENTIONS = 10
_URL = re.compile(r"\bhttps?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}»"


def handle_of(name: str) -> str:
    """The handle a member is mentioned by: their name folded to lower-case ASCII words joined
    by dots ("Hélène Marchand-Roy" → "helene.marchand.roy")."""
    folded = unicodedata.normalize("NFKD", name)
    ascii_only = "".join(c for c in folded if not unicodedata.combining(c))
    ascii_only = ascii_only.replace("ß", "ss").replace("æ", "ae").replace("œ", "oe")
    words = re.findall(r"[a-z0-9]+", ascii_only.lower())
    return ".".join(words)


#: The letters a name may start with for a handle starting with a given ASCII letter.
_ACCENTED = {"a": "aàâäáãå", "e": "eéèêë", "i": "iîïíì", "o": "oôöóòõø", "u": "uûüùú",
             "c": "cç", "y": "yÿý", "n": "nñ", "s": "sš", "z": "zž"}


def initials(handles: Iterable[str]) -> set[str]:
    """The first letters (both cases, with their accented forms) a member's name may have to
    answer one of ``handles``: a cheap filter before comparing whole handles."""
    letters: set[str] = set()
    for handle in handles:
        for letter in _ACCENTED.get(handle[:1], handle[:1]):
            letters.update((letter, letter.upper()))
    return letters


def mentioned_handles(text: str) -> list[str]:
    """The distinct handles a text mentions, in order, at most ``MAX_MENTIONS``."""
    found: list[str] = []
    for match in MENTION.finditer(text):
        handle = match.group(1).lower().replace("-", ".")
        if handle not in found:
            found.append(handle)
            if len(found) == MAX_MENTIONS:
                break
    return found


def render_post(text: str, mentions: Iterable[Mapping[str, Any]],
                profile_url: Callable[[int], str]) -> Markup:
    """The text as HTML: escaped, paragraphs on blank lines, links and resolved mentions."""
    by_handle = {str(m["handle"]): int(m["id"]) for m in mentions}
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    html = []
    for paragraph in paragraphs:
        lines = [_inline(line, by_handle, profile_url) for line in paragraph.split("\n")]
        html.append(Markup("<p>") + Markup("<br>\n").join(lines) + Markup("</p>"))
    return Markup("\n").join(html)


def _inline(line: str, by_handle: Mapping[str, int], profile_url: Callable[[int], str]
            ) -> Markup:
    out: list[Markup] = []
    position = 0
    for start, end, piece in _tokens(line, by_handle, profile_url):
        out.append(escape(line[position:start]))
        out.append(piece)
        position = end
    out.append(escape(line[position:]))
    return Markup("").join(out)


def _tokens(line: str, by_handle: Mapping[str, int], profile_url: Callable[[int], str]
            ) -> list[tuple[int, int, Markup]]:
    tokens: list[tuple[int, int, Markup]] = []
    for match in _URL.finditer(line):
        url = match.group(0).rstrip(_TRAILING)
        end = match.start() + len(url)
        tokens.append((match.start(), end, Markup(
            '<a href="{0}" rel="nofollow ugc noopener" target="_blank">{0}</a>').format(url)))
    for match in MENTION.finditer(line):
        handle = match.group(1).lower().replace("-", ".")
        member_id = by_handle.get(handle)
        if member_id is None or any(s <= match.start() < e for s, e, _m in tokens):
            continue
        tokens.append((match.start(), match.end(), Markup(
            '<a class="mention" href="{}">@{}</a>').format(profile_url(member_id),
                                                           match.group(1))))
    return sorted(tokens, key=lambda t: t[0])


def excerpt(text: str, limit: int = 200) -> str:
    """The start of a text on one line, for notifications and lists."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
