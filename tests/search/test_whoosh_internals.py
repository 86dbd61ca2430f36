"""Whoosh internals stay in :mod:`search.whoosh_internals`, and an unknown Whoosh is refused.

The refusal is checked by making the installed Whoosh look different (another version, a
second distribution, an internal gone, a block layout that decodes differently): every read
and write of a Whoosh index must then raise IndexUnavailable, never answer.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from whoosh.codec import whoosh3
from whoosh.writing import SegmentWriter

import search
from search import IndexUnavailable, SearchQuery, open_index, whoosh_backend, whoosh_internals

from . import whoosh_scan
from .conftest import PROFILES

SEARCH = Path(search.__file__).parent
ADAPTER = SEARCH / "whoosh_internals.py"


def _package_sources() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8")
            for path in sorted(SEARCH.glob("*.py")) if path != ADAPTER}


def test_no_module_but_the_adapter_touches_whoosh_internals() -> None:
    sources = _package_sources()
    assert {"segments.py", "bulk.py", "schema.py", "whoosh_backend.py"} <= set(sources)
    adapter_classes = whoosh_scan.whoosh_subclasses(ADAPTER.read_text(encoding="utf-8"))
    assert adapter_classes == {"SearchCodec", "BlockSegmentWriter"}
    assert whoosh_scan.scan(sources, adapter_classes) == []


@pytest.mark.parametrize(("code", "found"), [
    ("from whoosh.codec.whoosh3 import W3Codec", "imports whoosh.codec.whoosh3.W3Codec"),
    ("from whoosh.index import TOC", "imports whoosh.index.TOC (undocumented)"),
    ("import whoosh.util.numeric", "imports whoosh.util.numeric"),
    ("def f(reader):\n    return reader._terms", "._terms"),
    ("def f(matcher):\n    matcher._data = None", "._data"),
    ("def f(w):\n    return getattr(w, '_postwriter', None)", "'_postwriter'"),
    ("from whoosh.writing import SegmentWriter\n"
     "class W(SegmentWriter):\n    def _flush_segment(self):\n        pass",
     "W overrides _flush_segment"),
    ("from whoosh.writing import SegmentWriter\n"
     "class W(SegmentWriter):\n    def add(self):\n        self._added = True",
     "W touches _added"),
    ("from search.whoosh_internals import BlockSegmentWriter\n"
     "class W(BlockSegmentWriter):\n    def add(self):\n        self._check_state()",
     "W touches _check_state"),
    # a name of our own that Whoosh also uses privately is ambiguous on another object
    ("class S:\n    def __init__(self):\n        self._ids = []\n"
     "def f(seg):\n    return seg._ids", "._ids"),
])
def test_the_scan_finds_each_kind_of_internal(code: str, found: str) -> None:
    problems = whoosh_scan.scan({"m.py": code}, frozenset({"BlockSegmentWriter"}))
    assert any(found in p for p in problems), problems


def test_the_scan_lets_public_whoosh_and_our_own_privates_through() -> None:
    code = ("from whoosh.fields import FieldType, Schema\nfrom whoosh.lang import "
            "stemmer_for_language\nclass T(FieldType):\n    def index(self, value):\n"
            "        return value\nclass Mine:\n    def __init__(self):\n"
            "        self._cache = {}\n    def _own(self):\n        return self._cache\n"
            "def f(m):\n    return m._cache, m._own()\n")
    assert whoosh_scan.scan({"m.py": code}) == []


@pytest.fixture
def fresh_check() -> Iterator[None]:
    """Run the layout check again under each test's changes, and forget it afterwards."""
    whoosh_internals.layout_problem.cache_clear()
    yield
    whoosh_internals.layout_problem.cache_clear()


def test_the_pinned_whoosh_passes(fresh_check: None) -> None:
    assert whoosh_internals.layout_problem() is None


def _assert_refused(tmp_path: Path, words: str) -> None:
    """Every read and write of an index raises IndexUnavailable saying ``words``."""
    whoosh_internals.layout_problem.cache_clear()
    problem = whoosh_internals.layout_problem()
    assert problem is not None and words in problem, problem
    idx = open_index(tmp_path / "idx")  # open_index itself never raises: the reads do
    try:
        assert idx.recovery is not None and words in idx.recovery
        calls: list[Any] = [
            lambda: idx.search(SearchQuery("python")), idx.ids, idx.count, idx.refresh,
            lambda: idx.upsert(PROFILES), lambda: idx.delete(["zoe"]),
            lambda: idx.rebuild(PROFILES),
            lambda: idx.reconcile({"zoe"}, lambda ids: PROFILES),
        ]
        for call in calls:
            with pytest.raises(IndexUnavailable, match="unsupported Whoosh"):
                call()
    finally:
        idx.close()


def test_an_index_built_before_is_refused_after_a_whoosh_change(
        tmp_path: Path, fresh_check: None, monkeypatch: pytest.MonkeyPatch) -> None:
    built = open_index(tmp_path / "idx")
    built.rebuild(PROFILES)
    assert built.search(SearchQuery("python")).total == 2
    built.close()
    real = importlib.metadata.version
    monkeypatch.setattr(whoosh_internals.importlib.metadata, "version",
                        lambda name: "2.7.6" if name == "whoosh-reloaded" else real(name))
    _assert_refused(tmp_path, "whoosh-reloaded 2.7.6")
    monkeypatch.undo()
    whoosh_internals.layout_problem.cache_clear()
    again = open_index(tmp_path / "idx")  # the pin restored: the same files answer again
    try:
        assert again.search(SearchQuery("python")).total == 2
    finally:
        again.close()


def test_a_module_version_other_than_the_distributions_is_refused(
        tmp_path: Path, fresh_check: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(whoosh_internals.whoosh, "__version__", (2, 7, 4))
    _assert_refused(tmp_path, "module whoosh 2.7.4")


def test_missing_distribution_is_refused(
        tmp_path: Path, fresh_check: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(whoosh_internals, "DISTRIBUTION", "whoosh-unheard-of")
    _assert_refused(tmp_path, "whoosh-unheard-of distribution is not installed")


def test_the_original_whoosh_installed_beside_is_refused(
        tmp_path: Path, fresh_check: None, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.metadata.version
    monkeypatch.setattr(whoosh_internals.importlib.metadata, "version",
                        lambda name: "2.7.4" if name == "whoosh" else real(name))
    _assert_refused(tmp_path, "whoosh 2.7.4 is installed beside")


@pytest.mark.parametrize(("owner", "name"), [
    (SegmentWriter, "_check_state"), (SegmentWriter, "_flush_segment"),
    (whoosh3.W3LeafMatcher, "_next_block"), (whoosh3.W3PerDocReader, "_cached_reader"),
    (whoosh3.W3PostingsWriter, "_write_block"),
])
def test_a_missing_internal_is_refused(tmp_path: Path, fresh_check: None,
                                       monkeypatch: pytest.MonkeyPatch, owner: type,
                                       name: str) -> None:
    monkeypatch.delattr(owner, name)
    _assert_refused(tmp_path, "unsupported Whoosh")


def test_a_block_tuple_of_another_shape_is_refused(
        tmp_path: Path, fresh_check: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A block holding one more item: Whoosh's own matcher still reads it, ours cannot."""
    read = whoosh3.W3LeafMatcher._read_data

    def read_data(self: Any) -> None:
        read(self)
        self._data = (*self._data, "new")

    monkeypatch.setattr(whoosh3.W3LeafMatcher, "_read_data", read_data)
    _assert_refused(tmp_path, "failed the layout check")


def test_ids_stored_another_way_are_refused_rather_than_misread(
        tmp_path: Path, fresh_check: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks holding absolute ids instead of deltas: Whoosh reads them right, the fast
    decoder would answer with wrong documents; the check compares them and refuses."""
    read = whoosh3.W3LeafMatcher._read_data

    def read_data(self: Any) -> None:
        read(self)
        ids, weights, values = self._data
        self._data = (tuple(whoosh3.delta_decode(ids)), weights, values)

    monkeypatch.setattr(whoosh3.W3LeafMatcher, "_read_data", read_data)
    monkeypatch.setattr(whoosh3, "delta_decode", lambda ids: ids)
    _assert_refused(tmp_path, "decode differently")


def test_lengths_stored_another_way_are_refused(
        tmp_path: Path, fresh_check: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(whoosh_internals, "length_table",
                        lambda: whoosh_internals.np.zeros(256, dtype="float32"))
    _assert_refused(tmp_path, "lengths of text decode differently")


def test_a_missing_whoosh_module_is_reported_not_raised(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Importing the adapter never fails: a fresh copy of it, with Whoosh's W3 codec module
    gone, imports and says what is missing."""
    monkeypatch.setitem(sys.modules, "whoosh.codec.whoosh3", None)  # import raises
    spec = importlib.util.spec_from_file_location("adapter_copy", ADAPTER)
    assert spec is not None and spec.loader is not None
    copy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(copy)
    problem = copy.layout_problem()
    assert problem is not None and "a Whoosh module is missing" in problem
    with pytest.raises(copy.LayoutError):
        copy.length_table()


def test_an_index_held_open_is_refused_too(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A searcher whose snapshot is current (refresh's two stat() calls would return early)
    still refuses once the layout check fails."""
    monkeypatch.setattr(whoosh_backend, "_RACY_SECONDS", 0.0)  # trust the stat() signature
    idx = open_index(tmp_path / "idx")
    try:
        idx.upsert(PROFILES)
        assert idx.search(SearchQuery("python")).total == 2
        assert idx.search(SearchQuery("python")).total == 2  # now answered from the snapshot
        monkeypatch.setattr(whoosh_internals, "layout_problem",
                            lambda: "unsupported Whoosh: test")
        with pytest.raises(IndexUnavailable, match="unsupported Whoosh: test"):
            idx.search(SearchQuery("python"))
        assert idx.recovery == "unsupported Whoosh: test"
    finally:
        idx.close()
