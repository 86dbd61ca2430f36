"""An index deleted or damaged under running processes: never an empty stand-in, never a
crash; IndexUnavailable until a rebuild, which every handle then picks up by itself."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from search import IndexUnavailable, SearchIndex, SearchQuery, open_index
from search import storage as layout

from .conftest import PROFILES

NEW_PROFILES = [{"id": "neo", "name": "Néo Rebâti", "skills": ["Python"]}]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "idx"


@pytest.fixture
def handles(root: Path) -> Iterator[list[SearchIndex]]:
    opened: list[SearchIndex] = []
    yield opened
    for idx in opened:
        idx.close()


def _open(handles: list[SearchIndex], root: Path, **options: object) -> SearchIndex:
    idx = open_index(root, **options)  # type: ignore[arg-type]
    handles.append(idx)
    return idx


def _ids(idx: SearchIndex, text: str) -> set[str]:
    return {h.id for h in idx.search(SearchQuery(text)).hits}


def _live_files(root: Path, suffix: str) -> list[Path]:
    return sorted((root / str(layout.read_pointer(root))).glob(f"*{suffix}"))


def test_deleted_directory_is_unavailable_not_empty_until_rebuilt(
    root: Path, handles: list[SearchIndex]
) -> None:
    idx = _open(handles, root)
    idx.upsert(PROFILES)
    assert _ids(idx, "python") == {"zoe", "marie"}
    shutil.rmtree(root)
    for read in (lambda: idx.search(SearchQuery("python")), idx.count, idx.ids, idx.refresh):
        with pytest.raises(IndexUnavailable):
            read()
    with pytest.raises(IndexUnavailable):
        idx.upsert(PROFILES)  # a partial index would be as wrong as an empty one
    assert not root.exists()  # nothing was created in its place
    assert idx.recovery and "missing" in idx.recovery
    assert idx.rebuild(PROFILES) == len(PROFILES)
    assert idx.recovery is None and _ids(idx, "python") == {"zoe", "marie"}


def test_a_long_lived_searcher_drops_vanished_files_and_picks_up_the_rebuild(
    root: Path, handles: list[SearchIndex]
) -> None:
    searcher = _open(handles, root)
    searcher.upsert(PROFILES)
    assert _ids(searcher, "python") == {"zoe", "marie"}  # its files are open now
    worker = _open(handles, root)
    shutil.rmtree(root)
    worker.rebuild(NEW_PROFILES)  # the same generation name again, other files
    assert layout.read_pointer(root) == "gen-000001"
    assert _ids(searcher, "python") == {"neo"}  # not the deleted files it still held open


def test_a_searcher_whose_files_were_deleted_stops_answering(
    root: Path, handles: list[SearchIndex]
) -> None:
    idx = _open(handles, root)
    idx.upsert(PROFILES)
    assert _ids(idx, "python") == {"zoe", "marie"}
    for path in _live_files(root, ".pst"):
        path.unlink()
    with pytest.raises(IndexUnavailable):
        idx.search(SearchQuery("rust"))
    idx.rebuild(PROFILES)
    assert _ids(idx, "rust") == {"paul"}


def test_truncated_postings_are_marked_damaged_for_every_process(
    root: Path, handles: list[SearchIndex]
) -> None:
    idx = _open(handles, root)
    idx.upsert(PROFILES)
    other = _open(handles, root)
    assert other.count() == len(PROFILES)
    for path in _live_files(root, ".pst"):
        os.truncate(path, 16)
    with pytest.raises(IndexUnavailable):
        idx.search(SearchQuery("python"))
    gen = root / str(layout.read_pointer(root))
    assert (gen / "DAMAGED").exists()
    with pytest.raises(IndexUnavailable):
        other.refresh()  # it never read the postings, the mark tells it
    idx.rebuild(PROFILES)
    assert _ids(other, "python") == {"zoe", "marie"}
    assert any(p.name.startswith("broken-") for p in root.iterdir())


def test_garbage_seen_by_a_new_process_stops_the_old_ones_too(
    root: Path, handles: list[SearchIndex]
) -> None:
    old = _open(handles, root)
    old.upsert(PROFILES)
    assert _ids(old, "python") == {"zoe", "marie"}
    for path in _live_files(root, ".trm"):
        path.write_bytes(b"\x00garbage" * 100)
    new = _open(handles, root)  # e.g. a web process started after the damage
    assert new.recovery is not None
    with pytest.raises(IndexUnavailable):
        new.search(SearchQuery("python"))
    with pytest.raises(IndexUnavailable):
        old.refresh()  # the worker's own check sees it, though its copy is in memory
    old.rebuild(PROFILES)
    assert _ids(new, "python") == {"zoe", "marie"}


def test_first_use_creates_an_empty_index_a_reader_may_decline(
    tmp_path: Path, handles: list[SearchIndex]
) -> None:
    declined = _open(handles, tmp_path / "declined", create=False)
    with pytest.raises(IndexUnavailable):
        declined.search(SearchQuery("python"))
    assert not (tmp_path / "declined").exists()
    fresh = _open(handles, tmp_path / "fresh")
    assert fresh.count() == 0 and fresh.recovery is None
    assert fresh.search(SearchQuery("python")).total == 0


def test_broken_generations_kept_are_bounded(root: Path, handles: list[SearchIndex]) -> None:
    idx = _open(handles, root, retain_seconds=0)
    for _ in range(layout.KEEP_BROKEN + 2):
        idx.upsert(PROFILES)
        gen = root / str(layout.read_pointer(root))
        (gen / "DAMAGED").write_text("test\n")
        idx.rebuild(PROFILES)
    broken = [p for p in root.iterdir() if p.name.startswith("broken-")]
    assert 1 <= len(broken) <= layout.KEEP_BROKEN
