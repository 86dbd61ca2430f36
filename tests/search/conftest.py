"""Fixtures for the search package: small hand-written profiles in French and English."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from search import SearchIndex, open_index

PROFILES: list[dict[str, Any]] = [
    {
        "id": "zoe",
        "name": "Zoé Martin",
        "headline": "Développeuse Python",
        "organisation": "ACME",
        "location": "Québec",
        "skills": ["Python", "Machine Learning"],
        "summary": "J'aime le machine learning. Ancienne élève de l'École polytechnique.",
        "language": "fr",
        "open_to_opportunities": True,
    },
    {
        "id": "john",
        "name": "John Smith",
        "headline": "Research director",
        "organisation": "Globex",
        "location": "Lyon",
        "skills": ["Java", "Leadership"],
        "summary": "Developer of learning machines; I led teams building compilers.",
        "language": "en",
    },
    {
        "id": "marie",
        "name": "Marie Dubois",
        "headline": "Chercheuse en physique",
        "organisation": "Institut Curie",
        "location": "Paris",
        "skills": ["Physique", "python"],
        "summary": "Directrice de laboratoire, informaticienne de formation.",
        "language": "fr",
    },
    {
        "id": "paul",
        "name": "Paul Ingénieur",
        "headline": "Ingénieure logicielle",
        "organisation": "ACME",
        "location": "Montréal",
        "skills": ["Rust"],
        "summary": "Développement de systèmes embarqués et de réseaux.",
        "experiences": "Chef de projet chez Globex (2015-2019): gestion de projet agile.",
        "language": "fr",
        "open_to_opportunities": True,
    },
]


@pytest.fixture
def make_index(tmp_path: Path) -> Iterator[Callable[..., SearchIndex]]:
    """Factory: ``make_index("a", docs)`` opens an index under tmp_path/a holding ``docs``."""
    opened: list[SearchIndex] = []

    def make(
        name: str = "main", docs: list[dict[str, Any]] | None = None, **options: Any
    ) -> SearchIndex:
        idx = open_index(tmp_path / name, **options)
        opened.append(idx)
        if docs:
            idx.upsert(docs)
        return idx

    yield make
    for idx in opened:
        idx.close()


@pytest.fixture
def index(make_index: Callable[..., SearchIndex]) -> SearchIndex:
    return make_index("main", PROFILES)
