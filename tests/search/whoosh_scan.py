"""Find uses of Whoosh internals in Python source, outside :mod:`search.whoosh_internals`.

A use is: an import from a Whoosh module missing from Whoosh's API reference (or of a name
that reference does not document), a ``_private`` attribute read or written on an object of
Whoosh's (any ``x._name`` whose name Whoosh's own source uses privately, or that no class
of ``search/`` defines), ``getattr``-style access by a ``"_name"`` string, and a class
deriving from a Whoosh class that defines or touches ``_private`` names (an override of a
private method, a private attribute of the Whoosh object it is).
"""

from __future__ import annotations

import ast
import functools
import warnings
from pathlib import Path

import whoosh

# Modules of Whoosh's API reference (docs/source/api), plus whoosh.lang's top level
# (stemmer_for_language, which the documented StemFilter(lang=...) uses).
PUBLIC_MODULES = frozenset({
    "whoosh", "whoosh.analysis", "whoosh.codec", "whoosh.collectors", "whoosh.columns",
    "whoosh.fields", "whoosh.filedb.filestore", "whoosh.filedb.filetables",
    "whoosh.filedb.structfile", "whoosh.formats", "whoosh.highlight", "whoosh.idf",
    "whoosh.index", "whoosh.lang", "whoosh.matching", "whoosh.qparser", "whoosh.query",
    "whoosh.reading", "whoosh.scoring", "whoosh.searching", "whoosh.sorting",
    "whoosh.spelling", "whoosh.writing",
})
# Names in those modules that the reference does not document.
UNDOCUMENTED_NAMES = frozenset({"TOC"})
ACCESSORS = frozenset({"getattr", "setattr", "hasattr", "delattr"})


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


@functools.cache
def whoosh_private_names() -> frozenset[str]:
    """Every ``_name`` Whoosh's source defines or uses as an attribute."""
    names: set[str] = set()
    for path in Path(whoosh.__file__).parent.rglob("*.py"):
        with warnings.catch_warnings():  # Whoosh's source has invalid escapes in strings
            warnings.simplefilter("ignore")
            tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and _private(node.attr):
                names.add(node.attr)
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and _private(node.name):
                names.add(node.name)
    return frozenset(names)


def own_private_names(trees: list[ast.Module]) -> frozenset[str]:
    """``_names`` that classes of the scanned code define (methods, ``self._x = ...``)."""
    names: set[str] = set()
    for tree in trees:
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            for node in ast.walk(cls):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _private(
                        node.name):
                    names.add(node.name)
                elif (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
                      and isinstance(node.value, ast.Name) and node.value.id == "self"
                      and _private(node.attr)):
                    names.add(node.attr)
    return frozenset(names - whoosh_private_names())


def _whoosh_imports(tree: ast.Module, where: str, problems: list[str]) -> set[str]:
    """Names bound to Whoosh objects by imports; bad imports are added to ``problems``."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and (
                node.module == "whoosh" or node.module.startswith("whoosh.")):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if node.module not in PUBLIC_MODULES and full not in PUBLIC_MODULES:
                    problems.append(f"{where}:{node.lineno}: imports {full} (not public)")
                elif _private(alias.name) or alias.name in UNDOCUMENTED_NAMES:
                    problems.append(f"{where}:{node.lineno}: imports {full} (undocumented)")
                bound.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "whoosh" or alias.name.startswith("whoosh."):
                    if alias.name not in PUBLIC_MODULES:
                        problems.append(f"{where}:{node.lineno}: imports {alias.name}")
                    bound.add((alias.asname or alias.name).split(".")[0])
    return bound


def whoosh_subclasses(code: str) -> frozenset[str]:
    """Classes of ``code`` (the adapter) deriving from a Whoosh class."""
    tree = ast.parse(code)
    bound = _whoosh_imports(tree, "", [])
    return frozenset(node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
                     and any(_root(b) in bound for b in node.bases))


def _root(node: ast.expr) -> str:
    """``formats`` for ``formats.Existence``, ``FieldType`` for ``FieldType``."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def scan(sources: dict[str, str], whoosh_bases: frozenset[str] = frozenset()) -> list[str]:
    """Uses of Whoosh internals in ``sources`` (file name -> code).

    ``whoosh_bases`` names classes, defined elsewhere, that derive from Whoosh classes (the
    adapter's): deriving from them counts as deriving from Whoosh.
    """
    trees = {name: ast.parse(code) for name, code in sources.items()}
    ours = own_private_names(list(trees.values()))
    foreign = whoosh_private_names()
    problems: list[str] = []
    for where, tree in trees.items():
        bases_from_whoosh = _whoosh_imports(tree, where, problems) | whoosh_bases
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(
                    _root(b) in bases_from_whoosh for b in node.bases):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.FunctionDef) and _private(inner.name):
                        problems.append(f"{where}:{inner.lineno}: {node.name} overrides "
                                        f"{inner.name} of a Whoosh class")
                    elif isinstance(inner, ast.Attribute) and _private(inner.attr):
                        problems.append(f"{where}:{inner.lineno}: {node.name} touches "
                                        f"{inner.attr} of a Whoosh object")
            elif isinstance(node, ast.Attribute) and _private(node.attr):
                # self._x outside a class deriving from Whoosh is the class's own business.
                on_self = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
                if not on_self and (node.attr not in ours or node.attr in foreign):
                    problems.append(f"{where}:{node.lineno}: .{node.attr}")
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                  and node.func.id in ACCESSORS and len(node.args) >= 2
                  and isinstance(node.args[1], ast.Constant)
                  and isinstance(node.args[1].value, str) and _private(node.args[1].value)):
                problems.append(f"{where}:{node.lineno}: {node.func.id}(…, "
                                f"{node.args[1].value!r})")
    return sorted(set(problems))
