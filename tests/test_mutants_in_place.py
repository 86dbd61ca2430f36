"""`make mutate` edits the code at fixed snippets: each must still stand, once, where the
mutant says (else the mutant silently tests nothing after a refactoring)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("mutate", ROOT / "tools" / "mutate.py")
assert _spec is not None and _spec.loader is not None
mutate = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("mutate", mutate)  # its dataclasses look their module up there
_spec.loader.exec_module(mutate)


@pytest.mark.parametrize("mutant", mutate.MUTANTS, ids=[m.name for m in mutate.MUTANTS])
def test_each_mutant_finds_its_snippet_once(mutant):
    text = (ROOT / mutant.path).read_text(encoding="utf-8")
    assert text.count(mutant.before) == 1, f"{mutant.name}: update tools/mutate.py"
    assert mutant.after != mutant.before
