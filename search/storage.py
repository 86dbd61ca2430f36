"""On-disk layout of one instance's index, and the writer lock.

::

    var/search/<slug>/
        CURRENT          name of the live generation directory, replaced atomically
        gen-000002/      a Whoosh index (its own commits are atomic: TOC written then renamed)
        gen-000001/      the previous generation, kept a short while for readers still on it
        build-000003/    a rebuild in progress; becomes gen-000003 when complete
        broken-…/        an unreadable generation set aside by a rebuild (the last two kept)
        write.lock       flock()ed by the single writer; readers never touch it

A rebuild writes beside the live index and switches ``CURRENT`` with ``os.replace``, so
readers see either the old or the new generation, never a half-built one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from search.interface import IndexBusy, IndexUnavailable

POINTER = "CURRENT"
LOCK_FILE = "write.lock"
KEEP_BROKEN = 2  # set-aside unreadable generations kept for a human to look at
_GEN_RE = re.compile(r"^gen-(\d{6})$")


def generation_name(number: int) -> str:
    return f"gen-{number:06d}"


def generation_number(name: str) -> int:
    m = _GEN_RE.match(name)
    return int(m.group(1)) if m else 0


def read_pointer(root: Path) -> str | None:
    try:
        name = (root / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name if _GEN_RE.match(name) else None


def write_pointer(root: Path, name: str) -> None:
    """Point readers at ``name``: write a temporary file, fsync it, rename it over CURRENT."""
    tmp = root / f".{POINTER}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, root / POINTER)
    with contextlib.suppress(OSError):
        dir_fd = os.open(root, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def generations(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if _GEN_RE.match(p.name) and p.is_dir())


def next_generation(root: Path) -> int:
    numbers = [generation_number(n) for n in generations(root)]
    numbers += [int(p.name[6:]) for p in root.glob("build-*") if p.name[6:].isdigit()]
    return max(numbers, default=0) + 1


def remove_stale(root: Path, keep: set[str], older_than: float) -> list[str]:
    """Delete generations and abandoned builds not in ``keep`` (caller holds the lock)."""
    removed: list[str] = []
    now = time.time()
    broken = sorted(p.name for p in root.iterdir() if p.name.startswith("broken-"))
    for name in broken[:-KEEP_BROKEN]:  # the oldest ones: a flapping disk must not fill it
        shutil.rmtree(root / name, ignore_errors=True)
        removed.append(name)
    for path in root.iterdir():
        if path.name in keep or not path.is_dir():
            continue
        if not (_GEN_RE.match(path.name) or path.name.startswith(("build-", "broken-"))):
            continue
        if path.name.startswith("broken-"):
            continue  # kept for a human to look at
        if now - path.stat().st_mtime >= older_than or path.name.startswith("build-"):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return removed


def set_aside(root: Path, name: str) -> str:
    """Rename an unreadable generation to ``broken-<time>-<name>`` (caller holds the lock)."""
    stamp = time.strftime("%Y%m%dT%H%M%S")
    aside = f"broken-{stamp}-{name}"
    os.replace(root / name, root / aside)
    return aside


@contextlib.contextmanager
def writer_lock(root: Path, timeout: float) -> Iterator[None]:
    """Exclusive lock for writers (upsert, delete, rebuild); the OS drops it if we die."""
    try:
        fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except FileNotFoundError:
        raise IndexUnavailable(f"search index {root} is missing") from None
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexBusy(
                        f"search index {root} is locked by another writer (waited {timeout:.1f}s)"
                    ) from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
