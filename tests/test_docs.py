"""The docs cannot drift from the code: every declared setting is documented, links resolve."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from maillon.config import SETTINGS
from maillon.tenancy.settings import KEYS, InstanceKey

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CONFIGURATION = DOCS / "configuration.md"
# Environment variables that are documented but are not process settings of the app.
OTHER_VARIABLES = {"MAILLON_CONFIG", "MAILLON_TEST_DATABASE_URL", "MAILLON_REQUIRE_SERVICES"}
TABLE_ROW_RE = re.compile(r"^\|\s*`([^`]+)`\s*\|(.*)\|\s*$")


def _configuration_rows() -> dict[str, list[str]]:
    """Markdown table rows of configuration.md whose first cell is a `code` name."""
    rows = {}
    for line in CONFIGURATION.read_text(encoding="utf-8").splitlines():
        match = TABLE_ROW_RE.match(line.strip())
        if match:
            rows[match.group(1)] = [cell.strip() for cell in match.group(2).split("|")]
    return rows


@pytest.mark.parametrize("name", [s.name for s in SETTINGS])
def test_every_process_setting_is_documented(name: str) -> None:
    assert f"MAILLON_{name}" in _configuration_rows(), (
        f"MAILLON_{name} is declared in maillon/config.py but has no row in {CONFIGURATION}")


@pytest.mark.parametrize("key", [k.key for k in KEYS])
def test_every_instance_key_is_documented(key: str) -> None:
    assert key in _configuration_rows(), (
        f"{key} is declared in maillon/tenancy/settings.py but has no row in {CONFIGURATION}")


@pytest.mark.parametrize("spec", KEYS, ids=[k.key for k in KEYS])
def test_instance_key_editability_matches_the_code(spec: InstanceKey) -> None:
    cells = _configuration_rows().get(spec.key, [])
    expected, wrong = ("yes", "no") if spec.editable else ("no", "yes")
    assert expected in cells and wrong not in cells, (
        f"{spec.key}: its row should say editable = {expected}")


def test_no_documented_variable_is_stale() -> None:
    declared = {f"MAILLON_{s.name}" for s in SETTINGS} | OTHER_VARIABLES
    mentioned = set(re.findall(r"\bMAILLON_[A-Z_]+[A-Z]\b", CONFIGURATION.read_text("utf-8")))
    assert mentioned <= declared, f"documented but not declared: {sorted(mentioned - declared)}"


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")), ids=lambda p: p.name)
def test_relative_links_resolve(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if re.match(r"^[a-z]+:", target):
            continue
        assert (page.parent / target).exists(), f"{page.name}: broken link to {target}"


# Paths that only exist on the machine the project was built on: the repository stands alone.
OUTSIDE = re.compile(r"/work/|\.\./shared|\bshared/(?:API|DESIGN|STYLE|FEDERATION)\.md")


def test_nothing_points_outside_the_repository() -> None:
    found = []
    for folder in ("docs", "platform", "tests", "bench", "tools", "search", ".ci"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in (".md", ".py", ".html", ".toml", ".txt", ".lua", "") or \
                    not path.is_file() or "node_modules" in path.parts or \
                    path == Path(__file__).resolve():
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace")
                                     .splitlines(), 1):
                if OUTSIDE.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    for name in ("README.md", "Makefile"):
        text = (ROOT / name).read_text(encoding="utf-8")
        found += [f"{name}: {m.group(0)}" for m in OUTSIDE.finditer(text)]
    assert not found, "\n".join(found)
