"""maillon.lifecycle: a table of allowed status changes and the one function that applies them."""

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
