"""Lifecycles: a table of allowed status changes, one function that applies them, and the CHECK
constraint that keeps the column within the table's states.

A domain declares its table once (``introductions/lifecycle.py``, ``network/lifecycle.py``);
its services ask the table whether an action is possible (``allows``) to refuse it with a
message the user understands, then change the status only through ``apply``. ``apply`` refuses
any change the table does not list with :class:`IllegalTransition` before writing anything: that
is a bug in the caller, never a user's mistake. The database refuses any status outside the
table (the CHECK constraint declared on the model and added by a migration), whoever writes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import CheckConstraint


class IllegalTransition(RuntimeError):
    """A status change the lifecycle does not allow; nothing was written."""


@dataclass(frozen=True)
class Lifecycle:
    """The states of one status column and the changes allowed between them.

    ``allowed`` maps every state to the states it may change to (an empty set: a final state);
    ``initial`` are the states a new row may be given before its first flush.
    """

    name: str
    initial: frozenset[str]
    allowed: Mapping[str, frozenset[str]]
    column: str = field(default="status")

    @classmethod
    def of(cls, name: str, *, initial: Iterable[str],
           allowed: Mapping[str, Iterable[str]], column: str = "status") -> Lifecycle:
        table = cls(name, frozenset(initial),
                    {state: frozenset(targets) for state, targets in allowed.items()}, column)
        unknown = (table.initial | {t for ts in table.allowed.values() for t in ts}) - set(
            table.allowed)
        if unknown:
            raise ValueError(f"{name} lifecycle: {sorted(unknown)} are not states of the table")
        return table

    @property
    def states(self) -> tuple[str, ...]:
        """Every state, in the table's order."""
        return tuple(self.allowed)

    def state(self, name: str) -> str:
        """``name``, checked against the table: the named constants of a domain's states."""
        if name not in self.allowed:
            raise ValueError(f"{self.name} lifecycle: {name!r} is not a state of the table")
        return name

    def final(self, state: str) -> bool:
        return not self.allowed[state]

    def allows(self, source: str | None, target: str) -> bool:
        """Whether a row in ``source`` (None: not yet written) may change to ``target``."""
        if source is None:
            return target in self.initial
        return target in self.allowed.get(source, frozenset())

    def apply(self, row: Any, target: str) -> None:
        """Change ``row``'s status to ``target``, or raise :class:`IllegalTransition`."""
        source = getattr(row, self.column)
        if not self.allows(source, target):
            possible = self.initial if source is None else self.allowed.get(source, frozenset())
            raise IllegalTransition(
                f"{self.name} {getattr(row, 'id', None)}: {source!r} cannot become {target!r} "
                f"(allowed: {', '.join(sorted(possible)) or 'nothing, it is final'})")
        setattr(row, self.column, target)

    def check_constraint(self) -> CheckConstraint:
        """The constraint for the model's ``__table_args__``: ``ck_<table>_<column>_values``."""
        states = ", ".join(f"'{state}'" for state in self.states)
        return CheckConstraint(f"{self.column} IN ({states})", name=f"{self.column}_values")
