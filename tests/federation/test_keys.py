"""Actor keys: made once when first needed, sealed at rest under the process secret (bound to
their row), rotated by the operator's command."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy import select

from maillon.db import db
from maillon.federation import keys
from maillon.federation.cli import federation_group as main
from maillon.federation.models import ActorKey
from tests.federation.conftest import instance_row, member_row


def test_a_sealed_key_opens_only_with_its_secret_and_its_owner():
    sealed = keys.seal("secret one", b"private pem", "m1")
    assert keys.unseal("secret one", sealed, "m1") == b"private pem"
    with pytest.raises(keys.KeyUnreadable):
        keys.unseal("secret two", sealed, "m1")
    with pytest.raises(keys.KeyUnreadable):
        keys.unseal("secret one", sealed, "m2")  # copied onto another actor's row


def test_the_private_key_signs_what_the_published_key_verifies(ctx, create_member):
    member = member_row(create_member("reseau").id)
    key = keys.ensure_key(db.session, instance_row("reseau"), member)
    assert keys.ensure_key(db.session, instance_row("reseau"), member).id == key.id
    signature = keys.private_key(db.session, key).sign(b"data", padding.PKCS1v15(), hashes.SHA256())
    load_pem_public_key(key.public_pem.encode()).verify(  # type: ignore[union-attr]
        signature, b"data", padding.PKCS1v15(), hashes.SHA256()
    )


def test_the_secret_comes_from_the_setting_when_given(app, create_member):
    app.config["FEDERATION_KEY_SECRET"] = "a dedicated secret"
    with app.app_context():
        key = keys.ensure_key(db.session, instance_row("reseau"), None)
        assert keys.unseal("a dedicated secret", key.private_sealed, "instance")
        with pytest.raises(keys.KeyUnreadable):
            keys.unseal("test-secret", key.private_sealed, "instance")


def test_rotate_keys_gives_new_keys_that_documents_serve(
    app, client_for, create_member, federate, opt_in
):
    federate("reseau")
    rita = create_member("reseau", name="Rita Rotate")
    opt_in(rita)
    client = client_for("reseau")
    accept = {"Accept": "application/activity+json"}
    before = client.get(f"/ap/members/{rita.id}", headers=accept).get_json()["publicKey"]
    instance_before = client.get("/actor", headers=accept).get_json()["publicKey"]
    runner = app.test_cli_runner()
    result = runner.invoke(main, ["rotate-keys", "--instance", "reseau"])
    assert result.exit_code == 0, result.output
    assert "reseau: 2 keys rotated" in result.output
    after = client.get(f"/ap/members/{rita.id}", headers=accept).get_json()["publicKey"]
    assert after["publicKeyPem"] != before["publicKeyPem"]
    assert after["id"] != before["id"]  # a new keyId: caches keyed by it refetch
    assert client.get("/actor", headers=accept).get_json()["publicKey"] != instance_before
    with app.app_context():
        generations = db.session.scalars(
            select(ActorKey.generation)
            .where(ActorKey.member_id == rita.id)
            .order_by(ActorKey.generation)
        ).all()
    assert generations == [1, 2]
    # Other instances' keys are untouched.
    acme = client_for("acme").get("/actor", headers=accept).get_json()["publicKey"]
    assert acme["id"].endswith("#key-1")


def test_rotate_keys_of_one_member(app, create_member):
    member = create_member("reseau", name="One Member")
    result = app.test_cli_runner().invoke(
        main, ["rotate-keys", "--instance", "reseau", "--member", member.email]
    )
    assert result.exit_code == 0, result.output
    assert "reseau: 1 keys rotated" in result.output
    refused = app.test_cli_runner().invoke(main, ["rotate-keys", "--member", member.email])
    assert refused.exit_code != 0 and "exactly one --instance" in refused.output


def test_the_operator_blocks_and_unblocks_from_the_command_line(app):
    runner = app.test_cli_runner()
    assert (
        "bad.example blocked"
        in runner.invoke(main, ["block", "Bad.Example", "--reason", "spam"]).output
    )
    assert "already blocked" in runner.invoke(main, ["block", "bad.example"]).output
    assert "bad.example" in runner.invoke(main, ["blocks"]).output
    assert runner.invoke(main, ["block", "not a domain"]).exit_code != 0
    assert "bad.example unblocked" in runner.invoke(main, ["unblock", "bad.example"]).output
