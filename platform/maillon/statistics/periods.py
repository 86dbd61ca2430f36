"""The date range a statistics page covers and the periods its charts count by.

Dates are whole UTC days, ``until`` included. A range of up to 62 days counts by day, up to
two years by ISO week (Monday first), beyond that by month; a period at either end may be
partly outside the range and counts only what falls inside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _

from maillon.errors import ValidationFailed
from maillon.validation import day_arg

DEFAULT_DAYS = 90
#: The widest range one request may ask for (about ten years: at most 120 monthly periods).
MAX_DAYS = 3660
EARLIEST = date(2000, 1, 1)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@dataclass(frozen=True)
class StatsRange:
    since: date
    until: date  # included

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    @property
    def step(self) -> str:
        """``day``, ``week`` or ``month``: what one bar of a chart counts."""
        return "day" if self.days <= 62 else "week" if self.days <= 731 else "month"

    @property
    def start(self) -> datetime:
        return day_start(self.since)

    @property
    def end(self) -> datetime:
        """The first instant after the range."""
        return day_start(self.until + timedelta(days=1))

    def period_of(self, day: date) -> date:
        """The first day of the period ``day`` falls in."""
        if self.step == "day":
            return day
        if self.step == "week":
            return day - timedelta(days=day.weekday())
        return day.replace(day=1)

    def periods(self) -> list[date]:
        """The first day of each period, oldest first, covering the whole range."""
        found, current = [], self.period_of(self.since)
        while current <= self.until:
            found.append(current)
            if self.step == "day":
                current += timedelta(days=1)
            elif self.step == "week":
                current += timedelta(days=7)
            else:
                current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
        return found

    def as_args(self) -> dict[str, str]:
        return {"since": self.since.isoformat(), "until": self.until.isoformat()}


def parse_range(args: Mapping[str, str], today: date | None = None) -> StatsRange:
    """The range from ``since`` and ``until`` (YYYY-MM-DD, both optional: ``until`` is today
    and ``since`` 90 days before ``until`` by default), or ValidationFailed naming each bad
    one."""
    today = today or datetime.now(UTC).date()
    fields: dict[str, str] = {}
    since = day_arg((args.get("since") or "").strip(), "since", fields)
    until = day_arg((args.get("until") or "").strip(), "until", fields)
    until = until or today
    since = since or until - timedelta(days=DEFAULT_DAYS - 1)
    if "since" not in fields and since < EARLIEST:
        fields["since"] = _("Choose a start in the year 2000 or later.")
    if not fields and since > until:
        fields["until"] = _("The end of the range comes before its start.")
    if not fields and (until - since).days + 1 > MAX_DAYS:
        fields["since"] = _("Choose a range of ten years at most.")
    if fields:
        raise ValidationFailed(fields)
    return StatsRange(since=since, until=until)


def presets(today: date | None = None) -> dict[int, dict[str, str]]:
    """The page's quick ranges (30, 90 and 365 days up to today) as query arguments."""
    today = today or datetime.now(UTC).date()
    return {days: StatsRange(today - timedelta(days=days - 1), today).as_args()
            for days in (30, 90, 365)}
