"""The Whoosh implementation of :class:`search.interface.SearchIndex`.

Whoosh stores the index and makes commits atomic; :mod:`search.segments` and
:mod:`search.evaluate` answer queries.  One object per index per process keeps a long-lived
snapshot; ``refresh()`` is two ``stat`` calls when nothing changed.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
import warnings
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile
from whoosh.index import TOC, FileIndex
from whoosh.reading import SegmentReader

from search import evaluate, storage
from search.bulk import BulkSegmentWriter
from search.interface import Document, ReconcileReport, SearchQuery, SearchResult
from search.query import parse
from search.schema import SearchCodec, build_schema, document_fields
from search.segments import SegmentData, Snapshot

log = logging.getLogger(__name__)

INDEX_NAME = "MAIN"
# A directory mtime this recent may still change within the same clock tick: check for real.
_RACY_SECONDS = 2.0
# Segments are written as separate files, not Whoosh's default compound file: Whoosh reads
# every sub-file of a compound segment into a BytesIO copy (the whole index in RAM, again at
# each reopen), while separate files are read on demand.
# A rebuild commits one segment per this many documents, bounding the writer's memory
# (about 8 bytes per posting in search.bulk.TermPool, ~230 postings per profile).
BULK_SEGMENT_DOCS = 50_000


class ReaderStorage(FileStorage):
    """File storage that loads term dictionaries (``.trm``) whole, and everything else lazily.

    Prefix expansion and typo matching walk the term dictionary with many small reads; from
    memory they are several times faster, for a few MB per segment.
    """

    def open_file(self, name: str, **kwargs: Any) -> Any:
        if name.endswith(".trm"):
            with open(self._fpath(name), "rb") as fh:
                return BufferFile(fh.read(), name=name)
        return super().open_file(name, **kwargs)


class WhooshIndex:
    """One instance's index under ``root``; see :mod:`search.storage` for the layout."""

    def __init__(
        self,
        root: Path,
        *,
        lock_timeout: float = 10.0,
        retain_seconds: float = 60.0,
    ) -> None:
        self.root = Path(root)
        self.lock_timeout = lock_timeout
        self.retain_seconds = retain_seconds
        self.recovery: str | None = None
        self.schema = build_schema()
        self._lock = threading.RLock()
        self._gen_name: str | None = None
        self._ix: FileIndex | None = None
        self._segments: dict[str, SegmentData] = {}
        self._snap: Snapshot | None = None
        self._signature: tuple[int, ...] | None = None
        self.root.mkdir(parents=True, exist_ok=True)
        self._open()

    # -- opening and recovery ---------------------------------------------------------------

    def _open(self) -> None:
        name = storage.read_pointer(self.root)
        problem: str | None = None
        if name is None:
            if storage.generations(self.root):
                problem = "the CURRENT pointer is missing or unreadable"
            self._create_fresh(problem)
            return
        # Whoosh leaves the TOC file open when it fails to parse it: let it be closed here,
        # quietly, rather than warn later in some unrelated place.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                self._switch_to(name)
            except Exception as exc:  # any failure to read means the index is unusable
                problem = f"generation {name} could not be opened: {exc!r}"
            gc.collect()
        if problem:
            self._create_fresh(problem)

    def _create_fresh(self, problem: str | None) -> None:
        """Start an empty generation; an unreadable one is kept aside as broken-* for study."""
        with storage.writer_lock(self.root, self.lock_timeout):
            current = storage.read_pointer(self.root)
            if problem is None and current is not None:  # another process created it meanwhile
                self._switch_to(current)
                return
            if current is not None and (self.root / current).exists():
                stamp = time.strftime("%Y%m%dT%H%M%S")
                os.replace(self.root / current, self.root / f"broken-{stamp}-{current}")
            number = storage.next_generation(self.root)
            build = self.root / f"build-{number:06d}"
            build.mkdir()
            FileStorage(str(build)).create_index(self.schema, indexname=INDEX_NAME)
            name = storage.generation_name(number)
            os.replace(build, self.root / name)
            storage.write_pointer(self.root, name)
            self._switch_to(name)
        if problem:
            self.recovery = f"search index {self.root} was reset to empty: {problem}; rebuild it"
            log.warning(self.recovery)

    def _switch_to(self, name: str) -> None:
        st = ReaderStorage(str(self.root / name))
        ix = FileIndex(st, schema=self.schema, indexname=INDEX_NAME)
        old = self._segments
        self._segments = {}
        self._ix, self._gen_name = ix, name
        self._snap = None
        try:
            self._load_snapshot()
        finally:
            for seg in old.values():
                seg.close()

    def _load_snapshot(self) -> None:
        assert self._ix is not None
        for attempt in range(5):
            try:
                toc = TOC.read(self._ix.storage, INDEX_NAME, schema=self.schema)
                segments: list[SegmentData] = []
                deleted: list[set[int]] = []
                for segment in toc.segments:
                    data = self._segments.get(segment.segment_id())
                    if data is None:
                        reader = SegmentReader(
                            self._ix.storage, self.schema, segment, generation=toc.generation
                        )
                        data = SegmentData(reader)
                    segments.append(data)
                    deleted.append(
                        set(segment.deleted_docs()) if segment.has_deletions() else set()
                    )
                break
            except FileNotFoundError:
                # A concurrent commit merged segments away between reading the TOC and
                # opening them: read the newer TOC.
                if attempt == 4:
                    raise
                time.sleep(0.01)
        keep = {seg.segment_id for seg in segments}
        for seg_id, seg in list(self._segments.items()):
            if seg_id not in keep:
                seg.close()
        self._segments = {seg.segment_id: seg for seg in segments}
        self._snap = Snapshot(toc.generation, segments, deleted)

    # -- reading ----------------------------------------------------------------------------

    def _stat_signature(self) -> tuple[int, ...] | None:
        try:
            pointer = os.stat(self.root / storage.POINTER)
            gen_dir = os.stat(self.root / (self._gen_name or ""))
        except FileNotFoundError:
            return None
        now_ns = time.time_ns()
        newest = max(pointer.st_mtime_ns, gen_dir.st_mtime_ns)
        if now_ns - newest < _RACY_SECONDS * 1e9:
            return None  # too recent to trust: a change in the same tick would be invisible
        return (pointer.st_ino, pointer.st_mtime_ns, gen_dir.st_mtime_ns)

    def refresh(self) -> None:
        """Reopen only what changed; costs two stat() calls when nothing did."""
        with self._lock:
            signature = self._stat_signature()
            if signature is not None and signature == self._signature:
                return
            name = storage.read_pointer(self.root)
            if name is not None and name != self._gen_name:
                self._switch_to(name)
            elif self._ix is not None and self._snap is not None:
                latest = TOC._latest_generation(self._ix.storage, INDEX_NAME)
                if latest != self._snap.generation:
                    self._load_snapshot()
            self._signature = signature

    def _snapshot(self) -> Snapshot:
        self.refresh()
        assert self._snap is not None
        return self._snap

    def search(self, q: SearchQuery) -> SearchResult:
        parsed = parse(q.text)
        with self._lock:
            return evaluate.run(self._snapshot(), parsed, q)

    def ids(self) -> set[str]:
        with self._lock:
            return self._snapshot().all_ids()

    def count(self) -> int:
        with self._lock:
            return self._snapshot().count

    def stored(self, doc_id: str) -> dict[str, Any] | None:
        """The stored fields (id, updated_at) of one document, for diagnostics."""
        with self._lock:
            snap = self._snapshot()
            docnums = snap.locate([doc_id])
            if not len(docnums):
                return None
            seg, local = snap.segment_of(int(docnums[0]))
            return seg.stored(local)

    def _bulk_writer(self, ix: FileIndex) -> Any:
        return BulkSegmentWriter(ix, codec=SearchCodec(), compound=False)

    # -- writing ----------------------------------------------------------------------------

    def _writer_ix(self) -> FileIndex:
        """The live generation for a writer (which may differ from our snapshot's)."""
        name = storage.read_pointer(self.root) or self._gen_name
        return FileIndex(
            FileStorage(str(self.root / str(name))), schema=self.schema, indexname=INDEX_NAME
        )

    def upsert(self, docs: Iterable[Document]) -> int:
        """Add or replace documents by id, in one commit."""
        batch = {str(d["id"]): document_fields(d) for d in docs}
        if not batch:
            return 0
        with storage.writer_lock(self.root, self.lock_timeout):
            writer = self._writer_ix().writer(codec=SearchCodec(), compound=False)
            try:
                for fields in batch.values():
                    writer.update_document(**fields)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
        self._signature = None
        return len(batch)

    def delete(self, ids: Iterable[str]) -> int:
        wanted = sorted(set(ids))
        if not wanted:
            return 0
        with storage.writer_lock(self.root, self.lock_timeout):
            writer = self._writer_ix().writer(codec=SearchCodec(), compound=False)
            try:
                deleted = sum(writer.delete_by_term("id", doc_id) or 0 for doc_id in wanted)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
        self._signature = None
        return deleted

    def rebuild(
        self, docs: Iterable[Document], progress: Callable[[int], None] | None = None
    ) -> int:
        """Build a new generation beside the live one, then switch readers to it atomically."""
        with storage.writer_lock(self.root, self.lock_timeout):
            number = storage.next_generation(self.root)
            build = self.root / f"build-{number:06d}"
            build.mkdir()
            try:
                ix = FileStorage(str(build)).create_index(self.schema, indexname=INDEX_NAME)
                count = 0
                seen: set[str] = set()
                writer = None
                try:
                    for doc in docs:
                        fields = document_fields(doc)
                        if writer is None:
                            writer = self._bulk_writer(ix)
                        if fields["id"] in seen:
                            writer.update_document(**fields)
                        else:
                            writer.add_document(**fields)
                            seen.add(fields["id"])
                        count += 1
                        if count % BULK_SEGMENT_DOCS == 0:
                            writer.commit(merge=False)
                            writer = None
                        if progress is not None and count % 1000 == 0:
                            progress(count)
                except BaseException:
                    if writer is not None:
                        writer.cancel()
                    raise
                if writer is not None:
                    writer.commit(merge=False)
                ix.close()
            except BaseException:
                import shutil

                shutil.rmtree(build, ignore_errors=True)
                raise
            name = storage.generation_name(number)
            previous = storage.read_pointer(self.root)
            os.replace(build, self.root / name)
            storage.write_pointer(self.root, name)
            if progress is not None:
                progress(count)
            with self._lock:
                self._switch_to(name)
                self._signature = None
            keep = {name} | ({previous} if previous and self.retain_seconds > 0 else set())
            storage.remove_stale(self.root, keep, self.retain_seconds)
        return len(seen)

    def reconcile(
        self,
        expected_ids: Collection[str],
        fetch: Callable[[set[str]], Iterable[Document]],
        versions: Mapping[str, str] | None = None,
    ) -> ReconcileReport:
        """Compare with the database's ids (and optional updated_at versions), then repair.

        ``fetch`` returns the documents of the ids the index lacks or holds stale; ids the
        database no longer has are deleted.
        """
        expected = set(expected_ids)
        indexed = self.ids()
        missing = expected - indexed
        extra = indexed - expected
        stale: set[str] = set()
        if versions:
            with self._lock:
                snap = self._snapshot()
                for doc_id in expected & indexed:
                    want = versions.get(doc_id)
                    if want is None:
                        continue
                    seg, local = snap.segment_of(int(snap.locate([doc_id])[0]))
                    if str(seg.stored(local).get("updated_at")) != str(want):
                        stale.add(doc_id)
        repaired = 0
        if missing or stale:
            repaired += self.upsert(fetch(missing | stale))
        if extra:
            repaired += self.delete(extra)
        return ReconcileReport(frozenset(missing), frozenset(extra), frozenset(stale), repaired)

    def close(self) -> None:
        with self._lock:
            for seg in self._segments.values():
                seg.close()
            self._segments = {}
            self._snap = None
            self._ix = None
