"""Bulk invitations in the browser: an admin uploads a CSV file of 500 rows, reads the
preview (two rows with a problem), sends, watches the progress move to done; the invited
receive their e-mail."""

import re
import time

import pytest

from tests.browser.a11y import problems
from tests.browser.conftest import _log_in

pytestmark = pytest.mark.browser


def test_500_rows_from_a_csv_file_with_progress(live_server, browser, mail, create_member,
                                                tmp_path, axe):
    base = f"http://acme.localhost:{live_server}"
    admin = create_member("acme", name="Ada Admin", role="admin", locale="en")
    create_member("acme", email="already.here@acme.example")
    rows = [f"person{i}@acme.example" for i in range(497)]
    path = tmp_path / "people.csv"
    path.write_text("Name;Email\n" + "\n".join(
        [f"Person {i};{email}" for i, email in enumerate(rows)]
        + ["Here;already.here@acme.example", "Twice;person7@acme.example", "Bad;nope"]) + "\n")

    page = _log_in(browser, base, admin.email, bypass_csp=True)
    page.goto(f"{base}/admin/approvals")
    page.click("text=Invite many people from a CSV file")
    page.set_input_files("input[type=file]", str(path))
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/invitations/batches/\d+$"))
    text = page.inner_text("main")
    assert "497 addresses are ready to be invited." in text
    assert "3 rows will be skipped:" in text
    for problem in ("Already a member", "Already in the file", "Not an e-mail address"):
        assert problem in text
    found = problems(page)
    assert not found, found

    page.click("text=Send 497 invitations")
    seen = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        page.wait_for_load_state()
        status = page.locator("[role=status]")
        if status.count():
            seen.add(int(status.get_attribute("data-handled")))
            if "Done" in page.inner_text("h2#progress-heading"):
                break
        time.sleep(0.5)
    assert "500 of 500 rows handled: 497 invited, 3 skipped, 0 failed." in page.inner_text(
        "main")
    assert len(seen) >= 2  # the progress was seen moving (the page refreshes itself)
    found = problems(page)
    assert not found, found
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not mail.to("person496@acme.example"):
        time.sleep(0.2)
    assert mail.to("person0@acme.example") and mail.to("person496@acme.example")
    assert not mail.to("already.here@acme.example")
