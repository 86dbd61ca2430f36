"""Crashes, concurrent readers, rebuild swaps, corruption, locking and reconciliation."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from search import IndexBusy, IndexUnavailable, SearchIndex, SearchQuery, open_index
from search import storage as layout

from .conftest import PROFILES, Backend

REPO = Path(__file__).resolve().parents[2]


def profile(n: int, word: str = "common") -> dict[str, object]:
    return {"id": f"p{n}", "name": f"Person {n}", "summary": f"{word} text number{n}"}


def test_rebuild_swaps_atomically_while_readers_search(backend: Backend, tmp_path: Path) -> None:
    writer = backend.open("idx", retain_seconds=0)
    writer.upsert(profile(n, "oldword") for n in range(300))
    reader = backend.open("idx")
    seen: set[int] = set()
    errors: list[BaseException] = []
    stop = threading.Event()

    def search_loop() -> None:
        try:
            while not stop.is_set():
                result = reader.search(SearchQuery("oldword OR newword", per_page=1))
                seen.add(result.total)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=search_loop)
    thread.start()
    try:
        progress: list[int] = []
        assert writer.rebuild((profile(n, "newword") for n in range(2500)), progress.append) == 2500
        time.sleep(0.05)
    finally:
        stop.set()
        thread.join()
    assert not errors
    assert seen <= {300, 2500} and 300 in seen
    assert progress[-1] == 2500
    reader.refresh()
    assert reader.search(SearchQuery("newword")).total == 2500
    assert reader.search(SearchQuery("oldword")).total == 0
    if backend.name == "whoosh":  # generation directories are Whoosh's storage layout
        gens = layout.generations(tmp_path / "idx")
        assert gens == [layout.read_pointer(tmp_path / "idx")]  # the old one was cleaned up


_CRASHER = """
import sys
from pathlib import Path
from search import open_index, open_postgres_index
if sys.argv[1] == "whoosh":
    idx = open_index(Path(sys.argv[2]))
else:
    idx = open_postgres_index(sys.argv[3], sys.argv[2])
batch = 0
while True:
    idx.upsert({"id": f"b{batch}-{i}", "summary": f"crash batch{batch} filler words"}
               for i in range(500))
    print(batch, flush=True)
    batch += 1
"""


def test_writer_killed_mid_commit_leaves_previous_content(backend: Backend) -> None:
    backend.open("idx")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", _CRASHER, backend.name, backend.location("idx"), backend.url],
        stdout=subprocess.PIPE, env=env, text=True,
    )
    try:
        assert proc.stdout is not None
        proc.stdout.readline()  # one batch committed
        time.sleep(0.15)  # now somewhere inside the next batch or its commit
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
        if proc.stdout:
            proc.stdout.close()
    idx = backend.open("idx")
    assert idx.recovery is None
    count = idx.count()
    assert count >= 500 and count % 500 == 0
    assert idx.search(SearchQuery("crash")).total == count
    idx.upsert([{"id": "after", "summary": "still writable"}])  # lock was released
    assert idx.count() == count + 1


# Whoosh only: corrupt or missing files are the file layout's failure modes (the PostgreSQL
# counterpart, tables dropped under a running index, is in test_postgres_backend.py).
def test_corrupt_index_is_reported_not_replaced_until_rebuilt(tmp_path: Path) -> None:
    root = tmp_path / "idx"
    idx = open_index(root)
    idx.upsert(PROFILES)
    idx.close()
    gen = root / str(layout.read_pointer(root))
    for toc in gen.glob("*.toc"):
        toc.write_bytes(b"garbage")
    reopened = open_index(root)
    try:
        assert reopened.recovery and "could not" in reopened.recovery
        with pytest.raises(IndexUnavailable):
            reopened.search(SearchQuery("python"))  # not "nobody found" from an empty index
        with pytest.raises(IndexUnavailable):
            reopened.upsert(PROFILES)  # nor a partial one
        assert layout.read_pointer(root) == gen.name  # nothing replaced it
        assert reopened.rebuild(PROFILES) == len(PROFILES)
        assert reopened.recovery is None
        assert reopened.search(SearchQuery("python")).total == 2
        assert any(p.name.startswith("broken-") for p in root.iterdir())  # kept for a human
    finally:
        reopened.close()


def test_missing_pointer_is_reported_not_replaced(tmp_path: Path) -> None:
    root = tmp_path / "idx"
    first = open_index(root)
    first.upsert(PROFILES)
    first.close()
    (root / layout.POINTER).unlink()
    idx = open_index(root)
    try:
        assert idx.recovery is not None
        with pytest.raises(IndexUnavailable):
            idx.count()
        assert layout.read_pointer(root) is None  # no empty stand-in was created
        idx.rebuild(PROFILES)
        assert idx.count() == len(PROFILES)
    finally:
        idx.close()


def test_second_writer_times_out_readers_do_not_wait(
    make_index: Callable[..., SearchIndex], backend: Backend
) -> None:
    idx = make_index("main", PROFILES, lock_timeout=0.1)
    with backend.writer_lock("main"):
        with pytest.raises(IndexBusy):
            idx.upsert([profile(1)])
        assert idx.search(SearchQuery("python")).total == 2  # reading needs no lock


def test_refresh_keeps_the_snapshot_when_nothing_changed(index: SearchIndex) -> None:
    index.refresh()
    before = index._snap  # type: ignore[attr-defined]
    index.refresh()
    index.search(SearchQuery("python"))
    assert index._snap is before  # type: ignore[attr-defined]
    index.upsert([profile(1)])
    index.refresh()
    assert index._snap is not before  # type: ignore[attr-defined]


def test_reconcile_reports_and_repairs(index: SearchIndex) -> None:
    database = {p["id"]: p for p in PROFILES if p["id"] != "john"}
    database["new"] = {"id": "new", "name": "Nouvelle Personne", "updated_at": "v1"}
    index.delete(["marie"])
    fetched: list[set[str]] = []

    def fetch(wanted: set[str]) -> list[dict[str, object]]:
        fetched.append(set(wanted))
        return [database[i] for i in wanted]

    report = index.reconcile(set(database), fetch)
    assert report.missing == {"marie", "new"}
    assert report.extra == {"john"}
    assert report.repaired == 3
    assert index.ids() == set(database)
    again = index.reconcile(set(database), fetch)
    assert again.clean and again.repaired == 0
    stale = index.reconcile(set(database), fetch, versions={"new": "v2"})
    assert stale.stale == {"new"} and fetched[-1] == {"new"}
