"""pyproject.toml and requirements.lock agree; every dependency is bounded and used; the default
install (no extra) is enough to import the application."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
RUNTIME = [Requirement(r) for r in PROJECT["dependencies"]]
EXTRAS = {name: [Requirement(r) for r in reqs]
          for name, reqs in PROJECT["optional-dependencies"].items()}
DECLARED = [r for r in RUNTIME + [r for reqs in EXTRAS.values() for r in reqs]
            if canonicalize_name(r.name) != "maillon"]
# How the code uses a runtime dependency when it is not `import <name with _>`.
USES = {
    "pillow": r"^\s*(from|import) PIL\b",
    "whoosh-reloaded": r"^\s*(from|import) whoosh\b",
    "gunicorn": r'"-m", "gunicorn"',  # run as a program by maillon/serving.py
}
# Imported only by a backend chosen in the configuration; everything else must import without
# the optional extras installed.
OPTIONAL_MODULES = {"search.postgres_backend"}


def _locked() -> dict[str, str]:
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    return {canonicalize_name(m[1]): m[2]
            for m in re.finditer(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)", text, re.MULTILINE)}


@pytest.mark.parametrize("requirement", DECLARED, ids=str)
def test_every_dependency_has_a_lower_and_an_upper_bound(requirement):
    operators = {spec.operator for spec in requirement.specifier}
    assert operators & {">=", "==", "~="}, f"{requirement}: no lower bound"
    assert operators & {"<", "==", "~="}, f"{requirement}: no upper bound"


@pytest.mark.parametrize("requirement", DECLARED, ids=str)
def test_the_lock_pins_every_dependency_within_its_bounds(requirement):
    locked = _locked()
    name = canonicalize_name(requirement.name)
    assert name in locked, f"{name} is not in requirements.lock: run `make lock`"
    assert requirement.specifier.contains(locked[name], prereleases=True), (
        f"requirements.lock pins {name}=={locked[name]}, outside {requirement.specifier}: "
        "run `make lock`")


@pytest.mark.parametrize("requirement", RUNTIME, ids=str)
def test_every_runtime_dependency_is_used(requirement):
    name = canonicalize_name(requirement.name)
    pattern = re.compile(USES.get(name, rf"^\s*(from|import) {name.replace('-', '_')}\b"),
                         re.MULTILINE)
    sources = [*(ROOT / "platform" / "maillon").rglob("*.py"), *(ROOT / "search").rglob("*.py")]
    assert any(pattern.search(path.read_text(encoding="utf-8")) for path in sources), (
        f"{name} is a runtime dependency that nothing in platform/ or search/ uses")


def test_the_application_imports_without_the_optional_extras():
    probe = """
import importlib, pkgutil, sys
for name in ("psycopg", "redis", "networkx", "pytest", "hypothesis", "playwright"):
    sys.modules[name] = None  # as if not installed: importing them raises ImportError
import maillon, search
for package in (maillon, search):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if ".migrations" in info.name or info.name.endswith("__main__"):
            continue
        try:
            importlib.import_module(info.name)
        except ImportError as exc:
            print(info.name, exc)
"""
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300,
        check=True, env={"PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}", "PATH": ""})
    failed = {line.split(" ", 1)[0] for line in result.stdout.splitlines()}
    assert failed == OPTIONAL_MODULES, result.stdout
