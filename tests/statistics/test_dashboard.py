"""The statistics dashboard: ranges and periods, counts per period (only this instance's rows,
only inside the range), staff only, the page, the CSV file and the old address."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from maillon.db import db
from maillon.errors import Forbidden, ServiceError, ValidationFailed
from maillon.members.models import Member
from maillon.moderation.models import Sanction
from maillon.network.models import Connection
from maillon.statistics import charts
from maillon.statistics.periods import StatsRange, parse_range
from maillon.statistics.services import dashboard, dashboard_csv
from tests.introductions.world import World

TODAY = date(2026, 12, 7)  # a Monday


def at(day: str, hour: int = 12) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC).replace(hour=hour)


# --- ranges and periods ---------------------------------------------------------------------

def test_the_default_range_is_the_last_90_days():
    rng = parse_range({}, today=TODAY)
    assert (rng.since, rng.until, rng.days) == (date(2026, 9, 9), TODAY, 90)
    assert parse_range({"since": "2026-01-01"}, today=TODAY).until == TODAY
    assert parse_range({"until": "2026-06-30"}, today=TODAY).since == date(2026, 4, 2)


@pytest.mark.parametrize(("args", "field"), [
    ({"since": "2026-13-01"}, "since"), ({"until": "yesterday"}, "until"),
    ({"since": "2026-05-02", "until": "2026-05-01"}, "until"),
    ({"since": "1999-12-31", "until": "2000-01-31"}, "since"),
    ({"since": "2000-01-01", "until": "2026-01-01"}, "since"),
])
def test_bad_ranges_name_the_field(args, field):
    with pytest.raises(ValidationFailed) as caught:
        parse_range(args, today=TODAY)
    assert set(caught.value.fields) == {field}


def test_periods_by_day_week_and_month_cover_the_range():
    days = StatsRange(date(2026, 11, 30), date(2026, 12, 2))
    assert days.step == "day"
    assert days.periods() == [date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)]
    weeks = StatsRange(date(2026, 9, 10), TODAY)  # a Thursday to a Monday
    assert weeks.step == "week"
    assert weeks.periods()[0] == date(2026, 9, 7) and weeks.periods()[-1] == TODAY
    assert all(p.weekday() == 0 for p in weeks.periods())
    assert weeks.period_of(date(2026, 12, 6)) == date(2026, 11, 30)
    months = StatsRange(date(2023, 11, 15), date(2026, 2, 1))
    assert months.step == "month"
    periods = months.periods()
    assert periods[0] == date(2023, 11, 1) and periods[-1] == date(2026, 2, 1)
    assert date(2024, 1, 1) in periods and date(2025, 12, 1) in periods and len(periods) == 28


# --- what is counted ------------------------------------------------------------------------

@pytest.fixture
def worlds(app, create_member):
    return World(app, create_member, slug="reseau"), World(app, create_member, slug="acme")


def _set(model, row_id, **values):
    db.session.execute(update(model).where(model.id == row_id).values(**values))


def _sanction(world, member_id, kind, created):
    db.session.add(Sanction(instance_id=world.instance().id, member_id=member_id, kind=kind,
                            status="active", reason="Spam.", created_at=at(created)))


def test_counts_fall_in_their_period_inside_the_range_only(app, worlds):
    reseau, acme = worlds
    staff = reseau.member("Mo Derator", role="moderator")
    old, early, late, pending = (reseau.member(n) for n in ("Old", "Early", "Late", "Pending"))
    outsider = acme.member("Acme Person")
    reseau.connect(early, late)
    acme.connect(outsider, acme.member("Other"))
    with app.app_context():
        for member_id, created in ((staff, "2026-01-01"), (old, "2026-02-01"),
                                   (early, "2026-11-30"), (late, "2026-12-02"),
                                   (pending, "2026-12-01"), (outsider, "2026-12-01")):
            _set(Member, member_id, created_at=at(created))
        _set(Member, pending, status="pending")  # not (yet) a member
        db.session.execute(update(Connection).values(connected_at=at("2026-12-02")))
        _sanction(reseau, early, "warn", "2026-12-01")
        _sanction(reseau, early, "warn", "2026-11-29")  # before the range
        _sanction(acme, outsider, "warn", "2026-12-01")  # another instance
        db.session.commit()
        viewer = db.session.get(Member, staff)
        data = dashboard(db.session, reseau.instance(), viewer,
                         StatsRange(date(2026, 11, 30), date(2026, 12, 2)))
    assert data["periods"] == [date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 2)]
    assert data["members"]["joined"] == [1, 0, 1]
    assert data["members"]["total"] == [3, 3, 4]  # staff and Old joined before
    assert data["activity"]["connections"] == [0, 0, 1]
    assert data["moderation"]["warn"] == [0, 1, 0]
    assert data["moderation"]["suspend"] == [0, 0, 0]
    text = dashboard_csv(data)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["period_start", "members_joined", "members_total"]
    assert "sanctions_warn" in rows[0] and "reports" in rows[0]
    assert rows[1][:3] == ["2026-11-30", "1", "3"] and rows[3][:3] == ["2026-12-02", "1", "4"]


def test_only_staff_see_the_numbers(app, worlds):
    reseau, acme = worlds
    member = reseau.member("Plain Member")
    acme_admin = acme.member("Acme Admin", role="admin")
    rng = StatsRange(date(2026, 11, 1), TODAY)
    with app.app_context():
        with pytest.raises(Forbidden):
            dashboard(db.session, reseau.instance(), db.session.get(Member, member), rng)
        for viewer in (db.session.get(Member, acme_admin), None):  # nobody in reseau
            with pytest.raises(ServiceError) as caught:
                dashboard(db.session, reseau.instance(), viewer, rng)
            assert caught.value.status == 404


# --- the page, the file ---------------------------------------------------------------------

def _client(world, login, member_id):
    with world.app.app_context():
        row = db.session.get(Member, member_id)
        db.session.expunge(row)
    return login(row, world.slug)


def test_the_page_the_file_and_bad_dates(app, worlds, login):
    reseau, _acme = worlds
    admin = _client(reseau, login, reseau.member("Ad Min", role="admin", locale="en"))
    html = admin.get("/admin/statistics?since=2026-11-01&until=2026-12-07").get_data(as_text=True)
    for heading in ("Members", "Activity", "Introductions", "Moderation",
                    "Success rate by chain length", "Drop-off per hop"):
        assert f">{heading}<" in html
    assert html.count('role="img"') >= 4 and "<polyline" in html
    assert "counted per day" in html
    answer = admin.get("/admin/statistics.csv?since=2026-11-01&until=2026-12-07")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "statistics-reseau-2026-11-01-2026-12-07.csv" in answer.headers["Content-Disposition"]
    assert answer.get_data(as_text=True).startswith("period_start,members_joined")
    bad = admin.get("/admin/statistics?since=2026-02-30")
    assert bad.status_code == 422
    assert "Give a date as YYYY-MM-DD." in bad.get_data(as_text=True)
    member = _client(reseau, login, reseau.member("Plain", locale="en"))
    assert member.get("/admin/statistics").status_code == 403
    assert member.get("/admin/statistics.csv").status_code == 403


def test_french_page(app, worlds, login):
    reseau, _acme = worlds
    moderator = _client(reseau, login, reseau.member("Modé", role="moderator", locale="fr"))
    html = moderator.get("/admin/statistics?since=2026-01-01&until=2026-12-07").get_data(
        as_text=True)
    assert "comptés par semaine" in html and "Taux de réussite selon la longueur" in html


# --- chart geometry -------------------------------------------------------------------------

def test_axes_end_on_round_numbers_above_the_largest_value():
    assert [charts.nice_ceiling(v) for v in (0, 0.3, 1, 3, 7, 12, 360)] == [
        1, 0.5, 1, 5, 10, 20, 500]
    bars = charts.bar_chart([("a", 3), ("b", 6), ("c", 0)])
    assert bars.axis.top == 8  # steps of 2
    heights = [b.height for b in bars.bars]
    assert heights[1] == pytest.approx(2 * heights[0]) and heights[2] == 0
    rates = charts.bar_chart([("1", 0.5)], top=1.0)
    assert rates.axis.top == 1.0 and [v for _y, v in rates.axis.ticks][1] == 0.25
    lines = charts.line_chart(3, [("x", [0, 4, 2])])
    ys = [float(p.split(",")[1]) for p in lines.lines[0].points.split()]
    assert ys[1] < ys[2] < ys[0]  # higher values are drawn higher up
