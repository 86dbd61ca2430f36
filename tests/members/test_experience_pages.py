"""Experience dates are chosen by month: a month input, "2021-09" accepted and shown back."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from maillon.db import db
from maillon.members.models import Experience


def test_experience_dates_are_entered_by_month(app, create_member, login):
    member = create_member("reseau", locale="en")
    client = login(member)
    html = client.get("/profile/experiences/new").get_data(as_text=True)
    assert 'type="month"' in html and 'name="start_date"' in html
    response = client.post("/profile/experiences/new", data={
        "title": "Analyst", "start_date": "2021-09", "end_date": "2023-02"})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    with app.app_context():
        row = db.session.scalar(select(Experience).where(Experience.member_id == member.id))
        assert (row.start_date, row.end_date) == (date(2021, 9, 1), date(2023, 2, 1))
        item_id = row.id
    html = client.get(f"/profile/experiences/{item_id}/edit").get_data(as_text=True)
    assert 'value="2021-09"' in html and 'value="2023-02"' in html
