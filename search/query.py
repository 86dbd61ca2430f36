"""The user's query language, parsed into a small backend-free tree.

Syntax: words (all must match), ``OR`` / ``|`` between alternatives, ``-word`` or ``NOT word``
to exclude, ``"exact phrases"``, ``prefix*``, parentheses, and fields ``company:``
(``organisation:``, ``org:``), ``skill:``, ``location:``, ``name:``, ``title:``
(``headline:``).  Users type what they type, so the parser repairs before it refuses: a missing
closing quote or parenthesis is closed at the end, a stray ``)`` is dropped, an unknown field
is searched as text.  Each repair adds a notice.  Only a query that would be unreasonably
expensive raises :class:`~search.interface.QueryError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from search import analysis
from search.interface import QueryError

MAX_QUERY_LENGTH = 500
MAX_TERMS = 24
MAX_DEPTH = 8
MIN_PREFIX = 2

FIELD_ALIASES: dict[str, str] = {
    "company": "org",
    "organisation": "org",
    "organization": "org",
    "org": "org",
    "entreprise": "org",
    "employer": "org",
    "skill": "skill",
    "skills": "skill",
    "competence": "skill",
    "location": "loc",
    "loc": "loc",
    "city": "loc",
    "ville": "loc",
    "lieu": "loc",
    "name": "name",
    "nom": "name",
    "title": "title",
    "headline": "title",
    "titre": "title",
    "position": "title",
    "poste": "title",
}


@dataclass(frozen=True)
class Word:
    """One word as typed (lower-cased, accents kept); ``field`` None means full text."""

    text: str
    field: str | None = None
    prefix: bool = False
    exact: bool = False  # no typo tolerance (synonyms added by the engine, not typed)


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]
    field: str | None = None
    exact: bool = False


@dataclass(frozen=True)
class Not:
    node: Node


@dataclass(frozen=True)
class All:
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class Any:
    nodes: tuple[Node, ...]


Node = Word | Phrase | Not | All | Any


@dataclass
class ParsedQuery:
    """``root`` is None for an empty query (match everything the filters allow)."""

    root: Node | None
    notices: list[str] = field(default_factory=list)


_TOKEN_RE = re.compile(
    r"""\s*(?:
        (?P<lp>\()
      | (?P<rp>\))
      | (?P<quote>"[^"]*"?)
      | (?P<field>[^\W\d_][\w-]*):
      | (?P<neg>-)(?=[^\s-])
      | (?P<word>[^\s()"]+)
    )""",
    re.VERBOSE,
)
_OPERATORS = {"OR": "or", "|": "or", "||": "or", "AND": "and", "&&": "and", "+": "and"}
_OPERATORS["NOT"] = "not"


def _lex(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
        kind = m.lastgroup
        if kind is None:
            continue
        value = m.group(kind)
        if kind == "word" and value in _OPERATORS:
            tokens.append((_OPERATORS[value], value))
        else:
            tokens.append((kind, value))
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.i = 0
        self.notices: list[str] = []
        self.leaves = 0

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def parse(self) -> Node | None:
        nodes: list[Node] = []
        while self.peek() is not None:
            if self.peek() == "rp":
                self.i += 1
                self._notice("Ignored a closing parenthesis without an opening one.")
                continue
            node = self.or_expr(depth=0)
            if node is not None:
                nodes.append(node)
        return _and(nodes)

    def _notice(self, message: str) -> None:
        if message not in self.notices:
            self.notices.append(message)

    def or_expr(self, depth: int) -> Node | None:
        alternatives = [self.and_expr(depth)]
        while self.peek() == "or":
            self.i += 1
            alternatives.append(self.and_expr(depth))
        kept = [a for a in alternatives if a is not None]
        if len(kept) <= 1:
            return kept[0] if kept else None
        return Any(tuple(kept))

    def and_expr(self, depth: int) -> Node | None:
        return self._and_in_field(depth, None)

    def unary(self, depth: int, fieldname: str | None) -> Node | None:
        kind = self.peek()
        if kind in ("neg", "not"):
            self.i += 1
            if self.peek() in (None, "rp", "or"):
                return None
            inner = self.unary(depth, fieldname)
            return Not(inner) if inner is not None else None
        return self.atom(depth, fieldname)

    def atom(self, depth: int, fieldname: str | None) -> Node | None:
        if depth > MAX_DEPTH:
            raise QueryError("This search nests too many parentheses; please simplify it.")
        kind, value = self.tokens[self.i]
        self.i += 1
        if kind == "lp":
            inner = self._group(depth, fieldname)
            return inner
        if kind == "field":
            return self._field(value, depth)
        if kind == "quote":
            closed = len(value) >= 2 and value.endswith('"')
            if not closed:
                self._notice("Closed a quotation mark left open.")
            return self._phrase(value.strip('"'), fieldname)
        if kind in ("and", "or", "not", "neg", "rp"):
            return None
        return self._word(value, fieldname)

    def _group(self, depth: int, fieldname: str | None) -> Node | None:
        nodes: list[Node] = []
        while self.peek() not in (None, "rp"):
            if self.peek() == "or":
                self.i += 1
                continue
            alternatives = [self._and_in_field(depth + 1, fieldname)]
            while self.peek() == "or":
                self.i += 1
                alternatives.append(self._and_in_field(depth + 1, fieldname))
            kept = [a for a in alternatives if a is not None]
            if len(kept) > 1:
                nodes.append(Any(tuple(kept)))
            elif kept:
                nodes.append(kept[0])
        if self.peek() == "rp":
            self.i += 1
        else:
            self._notice("Closed a parenthesis left open.")
        return _and(nodes)

    def _and_in_field(self, depth: int, fieldname: str | None) -> Node | None:
        nodes: list[Node] = []
        while self.peek() not in (None, "rp", "or"):
            if self.peek() == "and":
                self.i += 1
                continue
            node = self.unary(depth, fieldname)
            if node is not None:
                nodes.append(node)
        return _and(nodes)

    def _field(self, name: str, depth: int) -> Node | None:
        canonical = FIELD_ALIASES.get(analysis.fold(name.casefold()))
        if canonical is None:
            self._notice(
                f"Unknown field “{name}:” searched as text; known fields are company:, "
                "skill:, location:, name:, title:."
            )
            node = self._word(name, None)
            if self.peek() in ("word", "quote", "lp"):
                value = self.atom(depth, None)
                return _and([n for n in (node, value) if n is not None])
            return node
        if self.peek() not in ("word", "quote", "lp"):
            self._notice(f"Ignored “{name}:” without a value.")
            return None
        return self.atom(depth + 1, canonical)

    def _count(self, n: int) -> None:
        self.leaves += n
        if self.leaves > MAX_TERMS:
            raise QueryError(
                f"This search has too many words (more than {MAX_TERMS}); please shorten it."
            )

    def _word(self, raw: str, fieldname: str | None) -> Node | None:
        prefix = raw.endswith("*")
        parts = analysis.words(raw)
        if prefix and len(parts) == 1:
            if len(analysis.fold(parts[0])) < MIN_PREFIX:
                raise QueryError(f"A prefix search needs at least {MIN_PREFIX} letters before “*”.")
            self._count(1)
            return Word(parts[0], fieldname, prefix=True)
        return self._phrase(" ".join(parts), fieldname)

    def _phrase(self, text: str, fieldname: str | None) -> Node | None:
        parts = analysis.words(text)
        if fieldname is None or fieldname == "title":
            parts = [w for w in parts if not analysis.is_stop_word(w)] or parts[:0]
        if not parts:
            return None
        self._count(len(parts))
        if len(parts) == 1:
            return Word(parts[0], fieldname)
        return Phrase(tuple(parts), fieldname)


def _and(nodes: list[Node]) -> Node | None:
    if not nodes:
        return None
    return nodes[0] if len(nodes) == 1 else All(tuple(nodes))


def parse(text: str) -> ParsedQuery:
    """Parse a user's query; raise QueryError only when repairing it would not help."""
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(
            f"This search is too long ({len(text)} characters, at most {MAX_QUERY_LENGTH})."
        )
    parser = _Parser(_lex(text))
    root = parser.parse()
    return ParsedQuery(root, parser.notices)


def plain_words(node: Node | None) -> list[Word]:
    """The positive full-text words of a query, for "did you mean" suggestions."""
    if node is None or isinstance(node, Not):
        return []
    if isinstance(node, Word):
        return [node] if node.field is None and not node.prefix else []
    if isinstance(node, Phrase):
        return [Word(w) for w in node.words] if node.field is None else []
    return [w for child in node.nodes for w in plain_words(child)]
