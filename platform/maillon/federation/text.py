"""Remote people's texts: what their servers send as HTML, kept as plain text (our pages
escape it like any member's text, so no remote markup ever reaches a page)."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

#: Tags after which the text goes on a new line.
BLOCKS = frozenset({"p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"})


HIDDEN = frozenset({"script", "style"})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0  # inside script or style: not text

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in HIDDEN:
            self.hidden += 1
        if tag in BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        if tag in BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def plain_text(html: Any, limit: int) -> str:
    """The text of an HTML fragment: paragraphs on their own lines, spaces collapsed, at most
    ``limit`` characters; anything but a string gives an empty text."""
    if not isinstance(html, str):
        return ""
    parser = _Text()
    parser.feed(html[: limit * 4])
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)[:limit]
