"""The Whoosh implementation of :class:`search.interface.SearchIndex`.

Whoosh stores the index and makes commits atomic; :mod:`search.segments` and
:mod:`search.evaluate` answer queries.  One object per index per process keeps a long-lived
snapshot; ``refresh()`` is two ``stat`` calls when nothing changed.

An index that is missing or unreadable is never replaced by an empty one here (an empty
index would answer "nobody found"): reads and writes raise ``IndexUnavailable`` until
``rebuild()`` builds a new generation, which every process then picks up on its next refresh.
Only an index that never existed is created empty, on first use.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import threading
import time
import warnings
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile
from whoosh.index import FileIndex
from whoosh.reading import SegmentReader

from search import storage, whoosh_internals
from search.bulk import BulkSegmentWriter
from search.interface import (
    Document,
    IndexBusy,
    IndexUnavailable,
    ReconcileReport,
)
from search.reading import SnapshotReads
from search.schema import build_schema, document_fields
from search.segments import SegmentData, SegmentUnreadable, Snapshot
from search.whoosh_internals import SearchCodec

T = TypeVar("T")

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
            with open(os.path.join(self.folder, name), "rb") as fh:
                return BufferFile(fh.read(), name=name)
        return super().open_file(name, **kwargs)


class WhooshIndex(SnapshotReads):
    """One instance's index under ``root``; see :mod:`search.storage` for the layout.

    ``fast`` (the default) reads postings and field lengths, and writes rebuilds, through
    the Whoosh internals of :mod:`search.whoosh_internals`; ``fast=False`` uses Whoosh's
    public API only (slower: the reference the fast paths are tested against).  Either way
    an installed Whoosh other than the pinned one makes every read and write raise
    ``IndexUnavailable`` (``whoosh_internals.layout_problem``).
    """

    def __init__(
        self,
        root: Path,
        *,
        lock_timeout: float = 10.0,
        retain_seconds: float = 60.0,
        create: bool = True,
        fast: bool = True,
    ) -> None:
        self.root = Path(root)
        self.fast = fast
        self.lock_timeout = lock_timeout
        self.retain_seconds = retain_seconds
        self.recovery: str | None = None
        self.schema = build_schema()
        self._lock = threading.RLock()
        self._create = create
        self._gen_name: str | None = None
        self._gen_identity: tuple[int, int] | None = None
        self._files: set[str] = set()
        self._ix: FileIndex | None = None
        self._segments: dict[str, SegmentData] = {}
        self._snap: Snapshot | None = None
        self._signature: tuple[int, ...] | None = None
        # Once this object has seen the index, a missing one was deleted, not never created.
        self._seen = False
        # An unusable index is reported by the first read; the worker's check rebuilds it.
        with self._lock, contextlib.suppress(IndexUnavailable):
            self._sync()

    # -- opening and availability -----------------------------------------------------------

    def _is_new(self) -> bool:
        """Nothing was ever built here: no pointer, generation, build or set-aside one."""
        if not self.root.exists():
            return True
        return not any(
            path.name == storage.POINTER or path.name.startswith(("gen-", "build-", "broken-"))
            for path in self.root.iterdir()
        )

    def _require_layout(self) -> None:
        """Refuse to read or write with a Whoosh whose internals were not checked."""
        problem = whoosh_internals.layout_problem()
        if problem is not None:
            if self.recovery != problem:
                log.error("%s: search index %s cannot be used", problem, self.root)
            self.recovery = problem
            self._drop()
            raise IndexUnavailable(problem)

    def _sync(self) -> None:
        """Bring the snapshot in line with the disk, or raise IndexUnavailable."""
        self._require_layout()
        name = storage.read_pointer(self.root)
        if name is None:
            if self._create and not self._seen and self._is_new():
                self._create_empty()
                return
            if not self.root.exists():
                raise self._fail(f"search index {self.root} is missing")
            raise self._fail(f"search index {self.root}: CURRENT is missing or unreadable")
        gen_dir = self.root / name
        if (
            self._snap is None
            or name != self._gen_name
            or self._gen_identity != _identity(gen_dir)
        ):
            self._open_generation(name)
            return
        damage = _damage(gen_dir)
        if damage is not None:
            raise self._fail(f"search index {gen_dir} was found damaged: {damage}")
        for _attempt in range(2):
            problem = _quietly(self._follow_commits)
            if problem is not None:
                self._mark_if_damaged(gen_dir, problem)
                raise self._fail(
                    f"search index {gen_dir} could not be read: {_describe(problem)}")
            missing = self._files - set(os.listdir(gen_dir))
            if not missing:
                return
            # A commit between the two looks may have merged them away: look once more.
        # Deleted under this searcher: the files it holds open must not hide it.
        raise self._fail(f"files of search index {gen_dir} vanished: {sorted(missing)}")

    def _follow_commits(self) -> None:
        """Load a newer commit of the same generation (its merges remove older files)."""
        assert self._ix is not None and self._snap is not None
        if self._ix.latest_generation() != self._snap.generation:
            self._load_snapshot()

    def _open_generation(self, name: str) -> None:
        def open_it() -> None:
            damage = _damage(self.root / name)
            if damage is not None:
                raise IndexUnavailable(f"found damaged: {damage}")
            self._switch_to(name)

        problem = _quietly(open_it)
        if problem is not None:
            self._mark_if_damaged(self.root / name, problem)
            raise self._fail(f"search index {self.root}: generation {name} could not be "
                             f"opened: {_describe(problem)}")

    def _mark_if_damaged(self, gen_dir: Path, problem: Exception) -> None:
        """Files that do not parse are damaged: say so to every process and to the worker's
        check (its own long-lived reader may hold the good copy in memory)."""
        unparsable = not isinstance(problem, IndexUnavailable) and not _system_error(problem)
        if unparsable and gen_dir.is_dir():
            _mark_damaged(gen_dir, _describe(problem))

    def _create_empty(self) -> None:
        """First use: an empty generation (a rebuild from the database fills it)."""
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            with storage.writer_lock(self.root, self.lock_timeout):
                current = storage.read_pointer(self.root)
                if current is None and self._is_new():
                    number = storage.next_generation(self.root)
                    build = self.root / f"build-{number:06d}"
                    build.mkdir()
                    FileStorage(str(build)).create_index(self.schema, indexname=INDEX_NAME)
                    current = storage.generation_name(number)
                    os.replace(build, self.root / current)
                    storage.write_pointer(self.root, current)
        except IndexBusy:
            raise self._fail(f"search index {self.root} is being built") from None
        if current is None:  # another process started (or lost) a build meanwhile
            raise self._fail(f"search index {self.root}: CURRENT is missing or unreadable")
        self._open_generation(current)

    def _fail(self, reason: str) -> IndexUnavailable:
        """Drop the snapshot (its files may be gone) and say why nothing can be answered."""
        if self.recovery != reason:
            log.warning("%s; search is unavailable until it is rebuilt", reason)
        self.recovery = reason
        self._drop()
        return IndexUnavailable(reason)

    def _drop(self) -> None:
        for seg in self._segments.values():
            seg.close()
        self._segments = {}
        self._snap = None
        self._ix = None
        self._gen_name = None
        self._gen_identity = None
        self._files = set()
        self._signature = None

    def _switch_to(self, name: str) -> None:
        st = ReaderStorage(str(self.root / name))
        ix = FileIndex(st, schema=self.schema, indexname=INDEX_NAME)
        old = self._segments
        self._segments = {}
        self._ix, self._gen_name = ix, name
        self._gen_identity = _identity(self.root / name)
        self._snap = None
        try:
            self._load_snapshot()
        finally:
            for seg in old.values():
                seg.close()
        self._seen = True
        self.recovery = None

    def _load_snapshot(self) -> None:
        assert self._ix is not None
        for attempt in range(5):
            try:
                toc = whoosh_internals.latest_toc(self._ix.storage, INDEX_NAME, self.schema)
                segments: list[SegmentData] = []
                deleted: list[set[int]] = []
                for segment in toc.segments:
                    data = self._segments.get(segment.segment_id())
                    if data is None:
                        reader = SegmentReader(
                            self._ix.storage, self.schema, segment, generation=toc.generation
                        )
                        data = SegmentData(reader, fast=self.fast)
                    segments.append(data)
                    deleted.append(
                        set(segment.deleted_docs()) if segment.has_deletions() else set()
                    )
                files = _segment_files(self.root / str(self._gen_name), toc.generation,
                                       segments)
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
        self._files = files

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
        return (pointer.st_ino, pointer.st_mtime_ns, gen_dir.st_ino, gen_dir.st_mtime_ns)

    def refresh(self) -> None:
        """Reopen only what changed; costs two stat() calls when nothing did.

        Raises IndexUnavailable when the index is missing or unreadable.
        """
        with self._lock:
            self._require_layout()  # one cached call: a snapshot held open is no exception
            signature = self._stat_signature()
            if signature is not None and signature == self._signature and self._snap is not None:
                return
            self._sync()
            self._signature = signature

    def _snapshot(self) -> Snapshot:
        self.refresh()
        assert self._snap is not None
        return self._snap

    def _read(self, action: Callable[[Snapshot], T]) -> T:
        """Run ``action`` on the current snapshot; unreadable files get one fresh reopen.

        Files replaced under a long-lived searcher read as garbage until reopened; files that
        are still unreadable afterwards are damaged: the generation is marked so (every
        process then answers IndexUnavailable, and the worker's check rebuilds it).
        """
        with self._lock:
            try:
                return action(self._snapshot())
            except SegmentUnreadable as exc:
                log.warning("search index %s: %s; reopening it", self.root, exc)
                self._drop()
            try:
                return action(self._snapshot())
            except SegmentUnreadable as exc:
                if self._gen_name is not None:
                    _mark_damaged(self.root / self._gen_name, str(exc))
                raise self._fail(f"search index {self.root} is unreadable: {exc}") from exc

    def count(self) -> int:
        with self._lock:
            return self._snapshot().count

    def stored(self, doc_id: str) -> dict[str, Any] | None:
        """The stored fields (id, updated_at) of one document, for diagnostics."""

        def find(snap: Snapshot) -> dict[str, Any] | None:
            docnums = snap.locate([doc_id])
            if not len(docnums):
                return None
            seg, local = snap.segment_of(int(docnums[0]))
            return seg.stored(local)

        return self._read(find)

    def _bulk_writer(self, ix: FileIndex) -> Any:
        if self.fast:
            return BulkSegmentWriter(ix, codec=SearchCodec(), compound=False)
        return ix.writer(codec=SearchCodec(), compound=False)

    # -- writing ----------------------------------------------------------------------------

    @contextlib.contextmanager
    def _writer(self) -> Iterator[Any]:
        """A Whoosh writer on the live generation (which may differ from our snapshot's),
        committed when the block ends; an index missing or unreadable is not written to."""
        with self._lock:
            self._require_layout()
        name = storage.read_pointer(self.root)
        if name is None or _damage(self.root / name) is not None:
            with self._lock:
                self._sync()  # creates an index never created yet, or raises
        with storage.writer_lock(self.root, self.lock_timeout):
            name = storage.read_pointer(self.root)
            if name is None:
                with self._lock:
                    raise self._fail(f"search index {self.root}: CURRENT is missing")
            gen_dir = self.root / name
            opened: list[Any] = []

            def open_writer() -> None:
                ix = FileIndex(FileStorage(str(gen_dir)), schema=self.schema,
                               indexname=INDEX_NAME)
                opened.append(ix.writer(codec=SearchCodec(), compound=False))

            problem = _quietly(open_writer)
            if problem is not None:
                if _system_error(problem):
                    raise problem
                raise self._unwritable(gen_dir, _describe(problem))
            writer = opened[0]
            try:
                yield writer
            except BaseException as exc:
                writer.cancel()
                if _system_error(exc) or not isinstance(exc, Exception):
                    raise
                raise self._unwritable(gen_dir, repr(exc)) from exc
            try:
                writer.commit()
            except Exception as exc:
                if _system_error(exc):
                    raise
                raise self._unwritable(gen_dir, repr(exc)) from exc
        self._signature = None

    def _unwritable(self, gen_dir: Path, problem: str) -> IndexUnavailable:
        """Whoosh failed on the index's own files: the generation is damaged (marked so)."""
        _mark_damaged(gen_dir, problem)
        with self._lock:
            return self._fail(f"search index {gen_dir} could not be written: {problem}")

    def upsert(self, docs: Iterable[Document]) -> int:
        """Add or replace documents by id, in one commit."""
        batch = {str(d["id"]): document_fields(d) for d in docs}
        if not batch:
            return 0
        with self._writer() as writer:
            for fields in batch.values():
                writer.update_document(**fields)
        return len(batch)

    def delete(self, ids: Iterable[str]) -> int:
        wanted = sorted(set(ids))
        if not wanted:
            return 0
        with self._writer() as writer:
            deleted = sum(writer.delete_by_term("id", doc_id) or 0 for doc_id in wanted)
        return deleted

    def rebuild(
        self, docs: Iterable[Document], progress: Callable[[int], None] | None = None
    ) -> int:
        """Build a new generation beside the live one, then switch readers to it atomically.

        Also how a missing or unreadable index is cured: the unreadable generation is set
        aside as ``broken-*`` for a human to look at.
        """
        with self._lock:
            self._require_layout()
        self.root.mkdir(parents=True, exist_ok=True)
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
            if previous and not _readable(self.root / previous):
                storage.set_aside(self.root, previous)
                previous = None
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

        def outdated(snap: Snapshot) -> set[str]:
            stale: set[str] = set()
            for doc_id in expected & indexed:
                want = (versions or {}).get(doc_id)
                if want is None:
                    continue
                seg, local = snap.segment_of(int(snap.locate([doc_id])[0]))
                if str(seg.stored(local).get("updated_at")) != str(want):
                    stale.add(doc_id)
            return stale

        stale = self._read(outdated) if versions else set()
        repaired = 0
        if missing or stale:
            repaired += self.upsert(fetch(missing | stale))
        if extra:
            repaired += self.delete(extra)
        return ReconcileReport(frozenset(missing), frozenset(extra), frozenset(stale), repaired)

    def close(self) -> None:
        with self._lock:
            self._drop()


DAMAGED = "DAMAGED"


def _identity(path: Path) -> tuple[int, int] | None:
    """Which directory this is (a rebuilt gen-000001 is not the deleted one)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino)


def _damage(gen_dir: Path) -> str | None:
    """Why a reader marked this generation damaged, or None."""
    try:
        return (gen_dir / DAMAGED).read_text(encoding="utf-8", errors="replace").strip() or "?"
    except FileNotFoundError:
        return None
    except OSError as exc:
        return repr(exc)


def _mark_damaged(gen_dir: Path, reason: str) -> None:
    """Tell every process (and the worker's check) that this generation cannot be read."""
    try:
        (gen_dir / DAMAGED).write_text(reason[:2000] + "\n", encoding="utf-8")
    except OSError as exc:  # read-only or gone: the worker's own reads will find out
        log.warning("could not mark %s damaged: %r", gen_dir, exc)


def _system_error(exc: BaseException) -> bool:
    """The system failed (disk full, permissions), not the index's files: retry later."""
    return isinstance(exc, (OSError, IndexBusy)) and not isinstance(exc, FileNotFoundError)


def _quietly(action: Callable[[], None]) -> Exception | None:
    """Run a step that opens Whoosh files; its failure is returned, without its traceback.

    Whoosh leaves a file open when it fails to parse it: it is closed here, quietly, rather
    than warned about later in some unrelated place (the traceback's frames would keep it).
    """
    failure: Exception | None = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            action()
        except Exception as exc:  # any failure to read means the files are unusable
            failure = exc.with_traceback(None)
            failure.__context__ = failure.__cause__ = None
        if failure is not None:
            gc.collect()
    return failure


def _describe(exc: Exception) -> str:
    return exc.reason if isinstance(exc, IndexUnavailable) else repr(exc)


def _readable(gen_dir: Path) -> bool:
    """Whether a generation opens (TOC readable, segment files present, not marked)."""
    if _damage(gen_dir) is not None:
        return False

    def check() -> None:
        toc = whoosh_internals.latest_toc(FileStorage(str(gen_dir)), INDEX_NAME)
        names = set(os.listdir(gen_dir))
        for seg in toc.segments:
            if not any(n.startswith(f"{seg.segment_id()}.") for n in names):
                raise FileNotFoundError(seg.segment_id())

    return _quietly(check) is None


def _segment_files(gen_dir: Path, generation: int, segments: list[SegmentData]) -> set[str]:
    """The files a snapshot reads: its TOC and every file of its segments (as they were
    when each segment was first opened: a file deleted since is missing, not forgotten)."""
    names = os.listdir(gen_dir)
    files = {whoosh_internals.toc_filename(INDEX_NAME, generation)}
    for seg in segments:
        if seg.files is None:
            prefix = f"{seg.segment_id}."  # segment ids start with the index name
            seg.files = frozenset(n for n in names if n.startswith(prefix))
        files |= seg.files
    return files
