"""A small mutation check: break one rule at a time and see whether the tests notice.

    make mutate                          # every mutant
    make mutate ARGS="--only bm25"       # mutants whose name contains "bm25"
    make mutate ARGS="--list"            # the mutants and the tests that should kill them

Each mutant replaces one snippet of one file (found by its exact text, which must occur once),
runs only the tests chosen to kill it (``pytest -x -q``, with a time limit), and puts the file
back from the copy read before the change: always, on failure, timeout or Ctrl-C. The table
at the end says, for each mutant, whether it was killed and by which test; a snippet that is
no longer in its file (the code moved) is reported as "not found", not as a crash.

Run it on a clean checkout: it refuses to start when a file it would mutate has uncommitted
changes (someone's work in progress), and while a mutant runs its file is really changed, so
another test run in the same checkout would see it. Exit status: 0 when every mutant was
killed, 1 when one survived or was not found, 2 when it could not start.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TIMEOUT = 600.0
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str  # relative to the repository root
    before: str  # the exact snippet, found once in the file
    after: str
    tests: tuple[str, ...]  # pytest arguments: files, node ids, ``-k`` expressions
    why: str


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "bm25-constant", "search/evaluate.py",
        "values = weight * self.idf(TEXT_FIELD, term) * tf * (K1 + 1.0) / (tf + norm)",
        "values = np.full(len(ids), weight, dtype=np.float32)",
        ("tests/search/test_ranking.py",),
        "every full-text match scores the same: no term frequency, length or idf",
    ),
    Mutant(
        "name-bonus-zero", "search/evaluate.py",
        "NAME_BONUS = 1.0", "NAME_BONUS = 0.0",
        ("tests/search/test_ranking.py",),
        "a word in the person's name counts no more than in prose",
    ),
    Mutant(
        "skill-bonus-zero", "search/evaluate.py",
        "SKILL_BONUS = 0.5", "SKILL_BONUS = 0.0",
        ("tests/search/test_ranking.py",),
        "a listed skill counts no more than prose",
    ),
    Mutant(
        "tenant-net-off", "platform/maillon/db.py",
        "    if instance_id is None or not state.is_select or state.is_column_load:\n"
        "        return\n    netted = _net(",
        "    if True:\n        return\n    netted = _net(",
        ("tests/tenancy/test_net.py",),
        "the request's ORM selects see every instance's rows",
    ),
    Mutant(
        "strict-net-silent", "platform/maillon/db.py",
        "    if answer(state.statement) != answer(netted):",
        "    if False:",
        ("tests/tenancy/test_net.py",),
        "the test suite's strict net no longer reports a missing explicit filter",
    ),
    Mutant(
        "access-introduction-instance-filter", "platform/maillon/introductions/records.py",
        "query = select(Introduction).where(Introduction.instance_id == instance.id,\n"
        "                                       Introduction.id == intro_id)",
        "query = select(Introduction).where(Introduction.id == intro_id)",
        ("tests/test_tenant_isolation.py", "-k", "access_introduction"),
        "a moderator opens another instance's introduction from the CLI or the worker",
    ),
    Mutant(
        "api-token-instance-filter", "platform/maillon/accounts/services.py",
        'ApiToken.instance_id == bindparam("instance_id"), ApiToken.token_hash',
        "ApiToken.token_hash",
        ("tests/test_tenant_isolation.py", "-k", "api_token"),
        "an API token of one instance is accepted by another",
    ),
    Mutant(
        "link-prob-forwarder-only", "platform/maillon/introductions/chains.py",
        "mean = (np.asarray(trust_ab, dtype=np.float64) + np.asarray(trust_ba, "
        "dtype=np.float64)) / 2",
        "mean = np.asarray(trust_ab, dtype=np.float64)",
        ("tests/introductions/test_chains.py",),
        "a link's chance reads only the forwarder's rating, not the mean of both",
    ),
    Mutant(
        "member-lookup-instance-filter", "platform/maillon/members/services.py",
        "_MEMBER_BY_ID = select(Member).where(Member.instance_id == bindparam(\"instance_id\"),\n"
        "                                     Member.id == bindparam(\"member_id\"))",
        "_MEMBER_BY_ID = select(Member).where(Member.id == bindparam(\"member_id\"))",
        ("tests/test_tenant_isolation.py", "-k", "members"),
        "find_member returns another instance's member",
    ),
    Mutant(
        "member-count-instance-filter", "platform/maillon/members/services.py",
        "return (Member.instance_id == instance_id, Member.status.in_(VISIBLE_STATUSES),",
        "return (Member.status.in_(VISIBLE_STATUSES),",
        ("tests/tenancy/test_net.py", "-k", "counts_only"),
        "a page's count query reaches every instance (the net alone would hide it: the "
        "strict net must report it)",
    ),
    Mutant(
        "equal-link-costs", "platform/maillon/introductions/chains.py",
        "forward = -np.log(link_prob_table(link_prob) * hop_factor)",
        "forward = -np.log(np.full(CODE_COUNT, 0.95) * hop_factor)",
        ("tests/introductions/test_chains.py",),
        "the chain search ignores ratings (every link costs the same)",
    ),
    Mutant(
        "relay-replay", "platform/maillon/introductions/relay.py",
        "    if replay is not None:\n        return intro, None",
        "    if False:\n        return intro, None",
        ("tests/introductions/test_relay.py",),
        "repeating a relay action (double click, second tab) is refused instead of a no-op",
    ),
    Mutant(
        "idempotency-body-check", "platform/maillon/api/idempotency.py",
        "        if existing.fingerprint != fingerprint:",
        "        if False:",
        ("tests/api/test_idempotency.py",),
        "an Idempotency-Key reused with another body replays the first answer",
    ),
    Mutant(
        "job-dedupe", "platform/maillon/jobs/services.py",
        "    if dedupe_key is not None:\n        for pending in session.new:",
        "    if False:\n        for pending in session.new:",
        ("tests/jobs/test_outbox.py", "tests/finder/test_search_upkeep.py"),
        "a job queued twice under one dedupe key runs twice",
    ),
    Mutant(
        "opportunity-suggests-hidden", "platform/maillon/opportunities/suggestions.py",
        'Member.status == "active", in_directory.is_(true()))))',
        'Member.status == "active")))',
        ("tests/opportunities/test_pages.py",),
        "a contact out of the directory (hidden after being indexed) is offered by the page",
    ),
    Mutant(
        "opportunity-suggests-received", "platform/maillon/opportunities/suggestions.py",
        "candidates = sorted(contacts - received)[:MAX_CONTACTS]",
        "candidates = sorted(contacts)[:MAX_CONTACTS]",
        ("tests/opportunities/test_services.py",),
        "a contact who already received the opportunity is suggested again",
    ),
    Mutant(
        "opportunity-relay-to-anyone", "platform/maillon/opportunities/services.py",
        "if not are_connected(session, instance, ambassador.id, contact.id):",
        "if False:",
        ("tests/opportunities/test_services.py", "tests/api/test_opportunities.py"),
        "an ambassador relays to a member who is not their connection",
    ),
    Mutant(
        "opportunity-ambassadors-ranked", "platform/maillon/opportunities/services.py",
        "key=lambda a: (a.member.name.casefold(), a.member.id))",
        "key=lambda a: (-a.relays, a.member.id))",
        ("tests/opportunities/test_services.py",),
        "the poster's list of ambassadors is ordered by how many they relayed: a ranking",
    ),
    Mutant(
        "opportunity-not-now-named", "platform/maillon/opportunities/services.py",
        "    if target == INTERESTED:\n        names",
        "    if True:\n        names",
        ("tests/opportunities/test_services.py",),
        "a \"not now\" answer notifies the poster with the contact's name",
    ),
    Mutant(
        "opportunity-stats-for-all", "platform/maillon/opportunities/services.py",
        "    if view.manages:\n        view.stats = _stats(session, instance, row)",
        "    if True:\n        view.stats = _stats(session, instance, row)",
        ("tests/opportunities/test_services.py", "tests/api/test_opportunities.py"),
        "ambassadors, contacts and strangers read the poster's counts and interested people",
    ),
)


@dataclass
class Outcome:
    mutant: Mutant
    status: str  # killed | survived | timeout | not found | error
    detail: str = ""
    seconds: float = 0.0


class Interrupted(Exception):
    """SIGTERM or SIGHUP: stop like Ctrl-C, restoring the file first."""


def _on_signal(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signal.Signals(signum).name)


def dirty(paths: list[str]) -> list[str]:
    """The paths with uncommitted changes (staged or not), or untracked."""
    return [path for path in paths
            if git("diff", "--quiet", "--", path) or git("diff", "--cached", "--quiet", "--", path)
            or git("ls-files", "--error-unmatch", "--", path)]


def git(*args: str) -> int:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True).returncode  # noqa: S603, S607


def pytest_command(tests: tuple[str, ...]) -> list[str]:
    return [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly", "-p",
            "no:cacheprovider", *tests]


def run_tests(tests: tuple[str, ...], timeout: float, cache: Path) -> tuple[int | None, str]:
    """(pytest's exit code or None on timeout, its output)."""
    env = dict(os.environ, PYTHONPYCACHEPREFIX=str(cache))
    # Its own session: a timeout kills pytest and whatever it started (servers, workers).
    proc = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        pytest_command(tests), cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=timeout)
        return proc.returncode, output
    except subprocess.TimeoutExpired:
        return None, ""
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def first_failure(output: str) -> str:
    # The short summary's line ("FAILED tests/x.py::test_y[id] - why"), not a log line.
    match = re.search(r"^(?:FAILED|ERROR) (\S+\.py(?:::.+?)?)(?: - .*)?$", output, re.MULTILINE)
    return match.group(1) if match else "(pytest failed without naming a test: see --verbose)"


def forget_bytecode(path: Path, cache: Path) -> None:
    """Drop the run's compiled copy of ``path``: Python trusts a .pyc whose source has the same
    size and mtime second, which a one-character mutant written soon after may well have."""
    for pyc in (cache / path.resolve().parent.relative_to("/")).glob(f"{path.stem}.*.pyc"):
        pyc.unlink()


def restore(path: Path, original: str, mutated: str, mutant: Mutant, stat: os.stat_result
            ) -> None:
    """Put the file back; keep an edit someone made meanwhile when it can be told apart."""
    current = path.read_text(encoding="utf-8") if path.exists() else mutated
    if current == mutated:
        path.write_text(original, encoding="utf-8")
        # Its old mtime back: bytecode compiled meanwhile from the mutant (mtime 2 s later)
        # is then stale for every process, and the original's own bytecode valid again.
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    elif current.count(mutant.after) == 1:
        path.write_text(current.replace(mutant.after, mutant.before), encoding="utf-8")
        print(f"  note: {mutant.path} changed during the run; only the mutant was undone",
              file=sys.stderr)
    else:
        path.write_text(original, encoding="utf-8")
        print(f"  WARNING: {mutant.path} changed during the run; restored as it was before",
              file=sys.stderr)


def check(mutant: Mutant, timeout: float, cache: Path, verbose: bool) -> Outcome:
    path = ROOT / mutant.path
    original = path.read_text(encoding="utf-8") if path.exists() else ""
    if original.count(mutant.before) != 1:
        where = "twice or more" if original.count(mutant.before) > 1 else "not in the file"
        return Outcome(mutant, "not found", f"snippet {where}: the code moved?")
    mutated = original.replace(mutant.before, mutant.after)
    stat = path.stat()
    started = time.monotonic()
    try:
        forget_bytecode(path, cache)
        path.write_text(mutated, encoding="utf-8")
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
        code, output = run_tests(mutant.tests, timeout, cache)
    finally:
        # A second Ctrl-C must not cut the restore short.
        held = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            restore(path, original, mutated, mutant, stat)
            forget_bytecode(path, cache)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
    seconds = time.monotonic() - started
    if verbose and output:
        print(output)
    if code is None:
        return Outcome(mutant, "timeout", f"tests still running after {timeout:.0f} s", seconds)
    if code == 0:
        return Outcome(mutant, "survived", "every selected test passed", seconds)
    if code == 1:
        return Outcome(mutant, "killed", first_failure(output), seconds)
    tail = " | ".join(output.strip().splitlines()[-3:])
    return Outcome(mutant, "error", f"pytest exit {code}: {tail}", seconds)


def table(outcomes: list[Outcome]) -> str:
    rows = [("mutant", "result", "killing test / detail", "s")]
    rows += [(o.mutant.name, o.status, o.detail, f"{o.seconds:.0f}") for o in outcomes]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3]))
                     + f"  {row[3]:>4}")
        if n == 0:
            lines.append("  ".join("-" * w for w in widths) + "  ----")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", default=[],
                        help="run the mutants whose name contains this (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds per mutant's tests (default {DEFAULT_TIMEOUT:.0f})")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the first run of the chosen tests on the unmutated code")
    parser.add_argument("--verbose", action="store_true", help="print pytest's output")
    args = parser.parse_args(argv)

    chosen = [m for m in MUTANTS if not args.only or any(o in m.name for o in args.only)]
    if args.list:
        for m in chosen:
            print(f"{m.name}\n    {m.path}: {m.why}\n    pytest {' '.join(m.tests)}")
        return 0
    if not chosen:
        print(f"no mutant matches {args.only}", file=sys.stderr)
        return 2
    changed = dirty(sorted({m.path for m in chosen}))
    if changed:
        print("refusing to start: uncommitted changes (or untracked) in " + ", ".join(changed)
              + "\ncommit them, or run on a clean clone; a mutant would be restored over them",
              file=sys.stderr)
        return 2

    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started ignoring it
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="maillon-mutate-") as cache:
        try:
            if not args.no_baseline:
                # A mutant "killed" by a test that already fails says nothing.
                tests = tuple(dict.fromkeys(t for m in chosen for t in _files(m.tests)))
                print(f"baseline: {len(tests)} test files on the unmutated code ...", flush=True)
                code, output = run_tests(tests, args.timeout * 2, Path(cache))
                if code != 0:
                    print(output if code is not None else "baseline timed out", file=sys.stderr)
                    print("refusing to go on: the chosen tests fail without any mutant",
                          file=sys.stderr)
                    return 2
            for mutant in chosen:
                print(f"{mutant.name}: {mutant.why} ...", flush=True)
                outcomes.append(check(mutant, args.timeout, Path(cache), args.verbose))
                print(f"  {outcomes[-1].status} {outcomes[-1].detail}", flush=True)
        except (KeyboardInterrupt, Interrupted):
            print("\ninterrupted; no mutated file is left behind", file=sys.stderr)
            print(table(outcomes))
            return 130
    print()
    print(table(outcomes))
    survived = [o for o in outcomes if o.status != "killed"]
    if survived:
        print(f"\n{len(survived)} of {len(outcomes)} mutants not killed", file=sys.stderr)
        return 1
    print(f"\nall {len(outcomes)} mutants killed")
    return 0


def _files(tests: tuple[str, ...]) -> list[str]:
    """The test files of a selection (``-k`` expressions dropped: the baseline runs them all)."""
    files, skip = [], False
    for arg in tests:
        if skip:
            skip = False
        elif arg == "-k":
            skip = True
        elif not arg.startswith("-"):
            files.append(arg.split("::")[0])
    return files


if __name__ == "__main__":
    sys.exit(main())
