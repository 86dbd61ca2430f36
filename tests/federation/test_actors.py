"""WebFinger, NodeInfo and actor documents per instance: a member is reachable from other
servers only when the instance federates, the member opted in, and the profile is listed;
otherwise the answer is the 404 of an unknown id. The instance actor is always served."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from maillon.db import db
from maillon.federation.models import ActorKey

ACTOR_JSON = {"Accept": "application/activity+json"}


def _finger(client, resource):
    return client.get("/.well-known/webfinger", query_string={"resource": resource})


def test_webfinger_finds_an_opted_in_member_and_the_reverse_check_holds(
    app, client_for, create_member, federate, opt_in
):
    federate("reseau")
    rita = create_member("reseau", name="Rita Lévesque")
    handle = opt_in(rita)
    assert handle == "rita.levesque"
    client = client_for("reseau")
    answer = _finger(client, f"acct:{handle}@reseau.localhost")
    assert answer.status_code == 200
    assert answer.content_type == "application/jrd+json"
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    jrd = answer.get_json()
    actor_url = f"http://reseau.localhost/ap/members/{rita.id}"
    assert jrd["subject"] == f"acct:{handle}@reseau.localhost"
    assert {"rel": "self", "type": "application/activity+json", "href": actor_url} in jrd["links"]

    actor = client.get(f"/ap/members/{rita.id}", headers=ACTOR_JSON)
    assert actor.status_code == 200
    assert actor.content_type == "application/activity+json"
    document = actor.get_json()
    assert document["id"] == actor_url
    assert document["type"] == "Person"
    assert "https://www.w3.org/ns/activitystreams" in document["@context"]
    assert document["inbox"] == f"{actor_url}/inbox"
    assert document["endpoints"]["sharedInbox"] == "http://reseau.localhost/inbox"
    assert document["manuallyApprovesFollowers"] is True
    assert (document["discoverable"], document["indexable"]) == (False, False)
    key = document["publicKey"]
    assert key["owner"] == actor_url and key["id"].startswith(actor_url + "#")
    public = serialization.load_pem_public_key(key["publicKeyPem"].encode())
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size == 2048
    # Mastodon's reverse check: preferredUsername @ the actor's host gives the same actor.
    host = actor_url.split("/")[2]
    again = _finger(client, f"acct:{document['preferredUsername']}@{host}").get_json()
    assert again["links"][0]["href"] == actor_url
    # By the actor's URL too.
    assert _finger(client, actor_url).get_json()["subject"] == jrd["subject"]
    # The same key the next time (made once, kept).
    assert client.get(f"/ap/members/{rita.id}", headers=ACTOR_JSON).get_json()["publicKey"] == key


def test_nobody_is_reachable_unless_everything_allows_it(
    app, client_for, create_member, federate, opt_in
):
    quiet = create_member("reseau", name="Quiet Member")  # never opted in
    hidden = create_member(
        "reseau",
        name="Hidden Member",
        visibility={"in_directory": False, "contacts_visible_to": "connections"},
    )
    hidden_handle = opt_in(hidden)
    ada = create_member("reseau", name="Ada Lovelace")
    ada_handle = opt_in(ada)
    client = client_for("reseau")
    # The instance federates with nobody yet: even Ada is missing.
    assert _finger(client, f"acct:{ada_handle}@reseau.localhost").status_code == 404
    assert client.get(f"/ap/members/{ada.id}", headers=ACTOR_JSON).status_code == 404
    federate("reseau")
    assert _finger(client, f"acct:{ada_handle}@reseau.localhost").status_code == 200
    # Her handle on another domain is someone else, if anyone: not here.
    assert _finger(client, f"acct:{ada_handle}@elsewhere.example").status_code == 404
    assert _finger(client, f"http://elsewhere.example/ap/members/{ada.id}").status_code == 404
    for member, handle in ((quiet, "quiet.member"), (hidden, hidden_handle)):
        assert _finger(client, f"acct:{handle}@reseau.localhost").status_code == 404
        missing = client.get(f"/ap/members/{member.id}", headers=ACTOR_JSON)
        assert missing.status_code == 404
        assert missing.get_json() == client.get("/ap/members/999999", headers=ACTOR_JSON).get_json()
    # Another instance's host does not answer for reseau's members.
    federate("acme")
    assert _finger(client_for("acme"), f"acct:{ada_handle}@reseau.localhost").status_code == 404
    assert client_for("acme").get(f"/ap/members/{ada.id}", headers=ACTOR_JSON).status_code == 404
    # Withdrawing takes effect at once; the handle stays reserved for Ada.
    with app.app_context():
        from maillon.federation import membership
        from tests.federation.conftest import instance_row, member_row

        state = membership.change_member_federation(
            db.session, instance_row("reseau"), member_row(ada.id), {"enabled": False}
        )
        assert state.handle == ada_handle and not state.enabled
    assert _finger(client, f"acct:{ada_handle}@reseau.localhost").status_code == 404


def test_a_suspended_member_is_not_reachable(app, client_for, create_member, federate, opt_in):
    federate("reseau")
    member = create_member("reseau", name="Sus Pended")
    handle = opt_in(member)
    with app.app_context():
        from tests.federation.conftest import member_row

        member_row(member.id).status = "suspended"
        db.session.commit()
    assert _finger(client_for("reseau"), f"acct:{handle}@reseau.localhost").status_code == 404


def test_handles_are_unique_and_never_the_instance_actors(app, create_member, federate, opt_in):
    first = opt_in(create_member("reseau", name="Jean Dupont"))
    second = opt_in(create_member("reseau", name="Jean  Dupont"))
    other_instance = opt_in(create_member("acme", name="Jean Dupont"))
    actor_name = opt_in(create_member("reseau", name="Instance Actor"))
    assert (first, second, other_instance) == ("jean.dupont", "jean.dupont2", "jean.dupont")
    assert actor_name == "instance.actor2"


def test_webfinger_errors_follow_rfc_7033(client_for, federate):
    federate("reseau")
    client = client_for("reseau")
    missing = client.get("/.well-known/webfinger")
    assert missing.status_code == 400
    assert missing.get_json()["error"]["code"] == "bad_resource"
    assert missing.headers["Access-Control-Allow-Origin"] == "*"
    assert _finger(client, "mailto:someone@reseau.localhost").status_code == 400
    assert _finger(client, "acct:nobody").status_code == 400
    assert _finger(client, "acct:" + "x" * 600 + "@reseau.localhost").status_code == 400
    assert _finger(client, "acct:someone@elsewhere.example").status_code == 404
    assert _finger(client, "acct:someone@reseau.localhost").status_code == 404


def test_the_instance_actor_is_served_unsigned_even_without_federation(client_for):
    client = client_for("acme")
    answer = client.get("/actor", headers=ACTOR_JSON)
    assert answer.status_code == 200
    document = answer.get_json()
    assert document["type"] == "Application"
    assert document["id"] == "http://acme.localhost/actor"
    assert document["publicKey"]["owner"] == document["id"]
    jrd = _finger(client, "acct:instance.actor@acme.localhost").get_json()
    assert jrd["links"][0]["href"] == document["id"]
    # A browser following the link lands on the home page.
    assert client.get("/actor", headers={"Accept": "text/html"}).status_code == 303


def test_each_instance_has_its_own_keys_and_no_private_key_leaves(app, client_for):
    alpha = client_for("acme").get("/actor", headers=ACTOR_JSON).get_json()
    beta = client_for("reseau").get("/actor", headers=ACTOR_JSON).get_json()
    assert alpha["publicKey"]["publicKeyPem"] != beta["publicKey"]["publicKeyPem"]
    for document in (alpha, beta):
        assert "PRIVATE" not in str(document)
    with app.app_context():
        for key in db.session.query(ActorKey).all():
            assert "PRIVATE" not in key.private_sealed and key.private_sealed.startswith("v1:")


def test_nodeinfo_names_the_instance(client_for):
    client = client_for("reseau")
    links = client.get("/.well-known/nodeinfo").get_json()["links"]
    assert links[0]["rel"] == "http://nodeinfo.diaspora.software/ns/schema/2.1"
    assert links[0]["href"] == "http://reseau.localhost/nodeinfo/2.1"
    info = client.get("/nodeinfo/2.1").get_json()
    assert info["version"] == "2.1" and info["protocols"] == ["activitypub"]
    assert info["software"]["name"] == "maillon"
    assert info["metadata"]["nodeName"] == "Réseau Entraide"
    assert client_for("acme").get("/nodeinfo/2.1").get_json()["metadata"]["nodeName"] != (
        "Réseau Entraide"
    )


def test_outboxes_are_empty_and_follow_the_same_rule(client_for, create_member, federate, opt_in):
    member = create_member("reseau", name="Out Box")
    client = client_for("reseau")
    assert client.get(f"/ap/members/{member.id}/outbox").status_code == 404
    federate("reseau")
    opt_in(member)
    outbox = client.get(f"/ap/members/{member.id}/outbox").get_json()
    assert outbox["type"] == "OrderedCollection" and outbox["totalItems"] == 0
