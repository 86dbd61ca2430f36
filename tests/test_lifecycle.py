"""maillon.lifecycle: a table of allowed status changes and the one function that applies them."""

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from maillon.lifecycle import IllegalTransition, Lifecycle

DOOR = Lifecycle.of("door", initial={"closed"}, allowed={
    "closed": {"open", "locked"},
    "open": {"closed"},
    "locked": {"closed"},
    "broken": set(),
})


def test_apply_writes_an_allowed_change():
    door = SimpleNamespace(id=1, status="closed")
    DOOR.apply(door, "locked")
    assert door.status == "locked"


def test_apply_refuses_a_change_the_table_does_not_list_and_writes_nothing():
    door = SimpleNamespace(id=7, status="locked")
    with pytest.raises(IllegalTransition, match=r"door 7: 'locked' cannot become 'open'"):
        DOOR.apply(door, "open")
    assert door.status == "locked"


def test_a_final_state_allows_nothing():
    door = SimpleNamespace(id=2, status="broken")
    with pytest.raises(IllegalTransition, match="it is final"):
        DOOR.apply(door, "closed")
    assert DOOR.final("broken") and not DOOR.final("open")


def test_a_new_row_may_only_start_in_an_initial_state():
    assert DOOR.allows(None, "closed")
    with pytest.raises(IllegalTransition):
        DOOR.apply(SimpleNamespace(id=None, status=None), "open")


def test_an_unknown_state_is_neither_a_source_nor_a_target():
    assert not DOOR.allows("ajar", "closed")
    assert not DOOR.allows("closed", "ajar")


def test_a_table_naming_an_undeclared_state_is_refused():
    with pytest.raises(ValueError, match="ajar"):
        Lifecycle.of("door", initial={"closed"}, allowed={"closed": {"ajar"}})


def test_the_check_constraint_lists_every_state():
    constraint = DOOR.check_constraint()
    assert constraint.name == "status_values"
    assert str(constraint.sqltext) == "status IN ('closed', 'open', 'locked', 'broken')"


# Domains whose status columns follow a lifecycle table (or, for recommendations, the model's
# named states): their code names the states, never compares or writes a bare string.
NAMED_STATES = ("federation", "introductions", "moderation", "network", "tenancy")
BARE_STATUS = re.compile(r'(status\s*(==|!=|=)\s*|status\.in_\(\(\s*|status\s+in\s+\(\s*'
                         r'|\.apply\(\w+,\s*)"(?P<state>\w+)"')
MEMBER_ONLY = {"active", "unverified", "suspended", "deleted"}  # members' own statuses


def test_lifecycle_states_are_named_not_spelled_in_domain_code():
    root = Path(__file__).resolve().parents[1] / "platform" / "maillon"
    found = []
    for package in NAMED_STATES:
        for path in sorted((root / package).rglob("*.py")):
            if path.name == "lifecycle.py":
                continue
            for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
                code = line.split("#", 1)[0]
                bare = {m["state"] for m in BARE_STATUS.finditer(code)} - MEMBER_ONLY
                if bare and "member.status" not in code.lower():
                    found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)
