"""The federation policy: who an instance talks to (mode, per-server rules covering
subdomains, the operator's blocklist above all), changed by admins only, all or nothing,
audited, exchanged as Mastodon's CSV."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from maillon.db import db
from maillon.errors import Forbidden, ValidationFailed
from maillon.federation import policy
from maillon.federation.models import FederatedServer
from maillon.federation.policy import ALLOWED, LIMITED, REFUSED
from maillon.moderation.models import AuditEntry
from tests.federation.conftest import instance_row, member_row


@pytest.fixture
def admin(create_member):
    return create_member("reseau", role="admin", name="Ada Admin")


def _change(admin, **change):
    return policy.change_policy(db.session, instance_row("reseau"), member_row(admin.id), change)


def _access(domain, slug="reseau"):
    return policy.server_access(db.session, instance_row(slug), domain)


def test_an_instance_without_a_policy_talks_to_nobody(ctx):
    assert _access("social.example") == REFUSED


def test_blocklist_refuses_suspended_servers_and_their_subdomains(ctx, admin):
    _change(
        admin,
        mode="blocklist",
        servers=[
            {"domain": "bad.example", "severity": "suspend"},
            {"domain": "noisy.example", "severity": "limit"},
            {"domain": "ok.bad.example", "severity": "none"},
        ],
    )
    assert _access("social.example") == ALLOWED
    assert _access("bad.example") == REFUSED
    assert _access("deep.sub.bad.example") == REFUSED
    assert _access("ok.bad.example") == ALLOWED  # the most specific rule wins
    assert _access("noisy.example:8443") == LIMITED
    assert _access("notbad.example") == ALLOWED  # a suffix of the name is not a parent
    assert _access("acme.localhost", slug="acme") == REFUSED  # another instance: its own rules


def test_allowlist_lets_in_only_listed_servers(ctx, admin):
    _change(
        admin,
        mode="allowlist",
        servers=[
            {"domain": "friends.example", "severity": "none"},
            {"domain": "far.example", "severity": "limit"},
            {"domain": "foe.example", "severity": "suspend"},
        ],
    )
    assert _access("friends.example") == ALLOWED
    assert _access("sub.friends.example") == ALLOWED
    assert _access("far.example") == LIMITED
    assert _access("foe.example") == REFUSED
    assert _access("stranger.example") == REFUSED


def test_the_operator_block_wins_over_every_instance_rule(ctx, admin):
    _change(admin, mode="allowlist", servers=[{"domain": "friends.example"}])
    assert policy.block_server(db.session, "https://Friends.Example/", "spam wave")
    assert not policy.block_server(db.session, "friends.example")
    assert _access("friends.example") == REFUSED
    assert _access("a.friends.example") == REFUSED
    assert policy.unblock_server(db.session, "friends.example")
    assert _access("friends.example") == ALLOWED


def test_a_change_is_all_or_nothing_and_audited_once(ctx, admin):
    with pytest.raises(ValidationFailed) as caught:
        _change(
            admin,
            mode="blocklist",
            servers=[{"domain": "good.example"}, {"domain": "not a domain"}],
        )
    assert "servers.1.domain" in caught.value.fields
    db.session.rollback()
    assert db.session.scalars(select(FederatedServer)).all() == []
    assert policy.find_policy(db.session, instance_row("reseau")) is None

    assert _change(
        admin,
        mode="blocklist",
        discoverable=True,
        servers=[{"domain": "Bad.Example", "severity": "suspend", "public_comment": "Spam"}],
    )
    assert not _change(admin, mode="blocklist")  # the same again: nothing to audit
    assert _change(admin, remove=["bad.example"])
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "federation_changed").order_by(AuditEntry.id)
    ).all()
    assert [e.data for e in entries] == [
        {
            "mode": {"old": "nobody", "new": "blocklist"},
            "discoverable": {"old": False, "new": True},
            "added": ["bad.example"],
        },
        {"removed": ["bad.example"]},
    ]
    assert {e.actor_id for e in entries} == {admin.id}


@pytest.mark.parametrize(
    "change",
    [
        {"mode": "everyone"},
        {"servers": [{"domain": "a.example", "severity": "silence"}]},
        {"servers": [{"domain": "a.example"}, {"domain": "A.example"}]},
        {"servers": [{"domain": "a.example"}], "remove": ["a.example"]},
        {"servers": [{"domain": "localhost"}]},
        {"servers": [{"domain": "a.example", "public_comment": "x" * 501}]},
    ],
)
def test_bad_changes_are_refused_with_a_field(ctx, admin, change):
    with pytest.raises(ValidationFailed) as caught:
        _change(admin, **change)
    assert caught.value.fields


def test_only_admins_of_the_instance_see_or_change_it(ctx, create_member):
    moderator = create_member("reseau", role="moderator")
    other_admin = create_member("acme", role="admin")
    with pytest.raises(Forbidden):
        policy.get_policy(db.session, instance_row("reseau"), member_row(moderator.id))
    with pytest.raises(Exception) as caught:
        policy.change_policy(
            db.session, instance_row("reseau"), member_row(other_admin.id), {"mode": "blocklist"}
        )
    assert getattr(caught.value, "status", None) == 404


def test_csv_round_trip_in_mastodons_columns(ctx, admin):
    text = (
        "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"
        "spam.example,suspend,true,true,Spam,false\n"
        "loud.example,silence,false,false,,false\n"
        "fine.example,noop,false,false,,false\n"
    )
    assert (
        policy.import_csv(db.session, instance_row("reseau"), member_row(admin.id), text.encode())
        == 3
    )
    view = policy.get_policy(db.session, instance_row("reseau"), member_row(admin.id))
    assert {s.domain: s.severity for s in view.servers} == {
        "spam.example": "suspend",
        "loud.example": "limit",
        "fine.example": "none",
    }
    exported = policy.export_csv(db.session, instance_row("reseau"), member_row(admin.id))
    assert exported.splitlines()[0] == ",".join(policy.CSV_COLUMNS)
    assert "spam.example,suspend,true,true,Spam,false" in exported
    assert "loud.example,silence,false,false,,false" in exported
    # A plain list of domains means servers to suspend.
    policy.import_csv(db.session, instance_row("reseau"), member_row(admin.id), b"other.example\n")
    view = policy.get_policy(db.session, instance_row("reseau"), member_row(admin.id))
    assert {s.domain: s.severity for s in view.servers}["other.example"] == "suspend"


def test_an_exported_comment_cannot_run_as_a_spreadsheet_formula(ctx, admin):
    _change(admin, servers=[{"domain": "x.example", "public_comment": "=HYPERLINK(1)"}])
    exported = policy.export_csv(db.session, instance_row("reseau"), member_row(admin.id))
    assert "'=HYPERLINK(1)" in exported


@pytest.mark.parametrize(
    "data, problem",
    [
        (b"domain,severity\nok.example,suspend\nnot a domain,suspend\n", "Line 3"),
        (b"\xff\xfe", "UTF-8"),
        (b"", "no server"),
        (b"x" * (policy.MAX_CSV_BYTES + 1), "KiB"),
    ],
)
def test_a_bad_csv_imports_nothing_and_says_why(ctx, admin, data, problem):
    with pytest.raises(ValidationFailed) as caught:
        policy.import_csv(db.session, instance_row("reseau"), member_row(admin.id), data)
    assert problem in caught.value.fields["file"]
    db.session.rollback()
    assert db.session.scalars(select(FederatedServer)).all() == []
