"""docs/api.md is the API contract in the repository: it lists exactly the operations that
/api/v1/openapi.json serves, with the error codes each declares, its Idempotency-Key and its
token requirement."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
METHODS = ("get", "post", "put", "patch", "delete")
ROW = re.compile(r"^\|\s*`(GET|POST|PUT|PATCH|DELETE) (/api/v1/\S+)`\s*\|(.*)\|\s*$")
MENTION = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE) (/api/v1/[^\s`|,;)]*)")
CODE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
# Codes every operation may answer: the conventions section lists them once.
GENERAL = {"invalid_json", "unauthorized", "not_found", "validation_failed",
           "idempotency_in_progress", "idempotency_key_reused"}


def _rows() -> dict[tuple[str, str], list[str]]:
    """Operation rows of docs/api.md: (path, method) → [body / query, answer, key]."""
    rows: dict[tuple[str, str], list[str]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line.strip())
        if match:
            key = (match.group(2), match.group(1).lower())
            assert key not in rows, f"{key} has two rows in docs/api.md"
            rows[key] = [cell.strip() for cell in re.split(r"(?<!\\)\|", match.group(3))]
    return rows


def error_codes(description: str) -> set[str]:
    """The codes an OpenAPI response description declares: ``"a_code (why), other; third"``."""
    codes = set()
    for item in re.split(r"[,;]", description):
        item = re.sub(r"\(.*?\)", "", item).split(":")[0].strip()
        if CODE.fullmatch(item):
            codes.add(item)
    return codes


def _operations(api) -> dict[tuple[str, str], dict]:
    doc = api("reseau").get("/api/v1/openapi.json").get_json()
    return {(path, method): op for path, ops in doc["paths"].items()
            for method, op in ops.items() if method in METHODS}


def test_error_codes_are_read_from_descriptions():
    assert error_codes("already_closed; idempotency_in_progress") == {
        "already_closed", "idempotency_in_progress"}
    assert error_codes("validation_failed (a skill the member does not list), "
                       "cannot_endorse_self") == {"validation_failed", "cannot_endorse_self"}
    assert error_codes("unauthorized: no valid token for this instance") == {"unauthorized"}
    assert error_codes("validation_failed, with fields") == {"validation_failed"}
    assert error_codes("Error; idempotency_key_reused") == {"idempotency_key_reused"}


def test_every_served_operation_has_a_row_and_every_row_is_served(api):
    served = set(_operations(api))
    rows = set(_rows())
    assert served - rows == set(), "served but missing from docs/api.md"
    assert rows - served == set(), "in docs/api.md but not served"


def test_every_path_named_in_the_doc_is_served(api):
    served = {(path, method.upper()) for path, method in _operations(api)}
    named = {(m.group(2), m.group(1)) for m in MENTION.finditer(DOC.read_text(encoding="utf-8"))}
    assert named - served == set()


def test_each_row_lists_the_error_codes_its_operation_declares(api):
    rows = _rows()
    missing = {}
    for key, op in _operations(api).items():
        answer = rows[key][1]
        for status, response in op["responses"].items():
            if int(status) < 400:
                continue
            for code in error_codes(response["description"]) - GENERAL:
                if f"`{code}`" not in answer or status not in answer:
                    missing.setdefault(f"{key[1].upper()} {key[0]}", []).append(
                        f"{status} {code}")
    assert missing == {}


def test_the_conventions_list_the_codes_every_operation_may_answer(api):
    conventions = DOC.read_text(encoding="utf-8").split("## Conventions", 1)[1].split("\n## ")[0]
    declared = set().union(*(error_codes(r["description"]) for op in _operations(api).values()
                             for s, r in op["responses"].items() if int(s) >= 400))
    assert declared >= GENERAL  # each of them is really answered somewhere
    for code in GENERAL:
        assert f"`{code}`" in conventions, code


@pytest.mark.parametrize("column", ["key", "token"])
def test_each_row_says_whether_it_takes_an_idempotency_key_and_a_token(api, column):
    rows = _rows()
    for key, op in _operations(api).items():
        body, _answer, idempotency = rows[key]
        if column == "key":
            honoured = any(p["name"] == "Idempotency-Key" for p in op.get("parameters", []))
            assert (idempotency == "✓") == honoured, key
        else:
            assert body.startswith("no token") == (op["security"] == []), key
