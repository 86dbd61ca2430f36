"""Prepare one Maillon server of the two-server test, in its own process and database:
``python -m tests.federation.server_setup <slug> <name> <email>`` (with the server's MAILLON_*
environment) migrates, syncs the instances, lets the instance federate (blocklist, as its admin
would), creates a member reachable from other servers and prints ``{member_id, handle, token}``
as JSON, with the admin's token (``admin_token``). Two more arguments (a name and an e-mail)
add a second member, reachable too and connected here with the first (``contact``: their
``{member_id, handle, token}``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]


def main(slug: str, name: str, email: str, contact_name: str = "",
         contact_email: str = "") -> None:
    from sqlalchemy import select

    from maillon import create_app
    from maillon.accounts.services import issue_api_token
    from maillon.db import db
    from maillon.federation import membership, policy
    from maillon.members.models import Member
    from maillon.members.signals import member_changed
    from maillon.migrate import upgrade
    from maillon.network import services as network
    from maillon.security import hash_password
    from maillon.tenancy.models import Instance
    from maillon.tenancy.registry import get_registry
    from maillon.tenancy.services import sync_instances

    app = create_app()
    upgrade(app.config["DATABASE_URL"])
    with app.app_context():
        sync_instances(db.session, list(get_registry(app).file_configs.values()))
        instance = db.session.scalar(select(Instance).where(Instance.slug == slug))
        assert instance is not None, slug
        people = {}
        wanted = [("admin", f"Admin {slug}", f"admin@{slug}.example"), ("member", name, email)]
        if contact_name:
            wanted.append(("contact", contact_name, contact_email))
        for role, who, address in wanted:
            member = Member(instance_id=instance.id, name=who, email=address,
                            role="admin" if role == "admin" else "member",
                            password_hash=hash_password("not-used", app.config[
                                "PASSWORD_HASH_METHOD"]), status="active")
            db.session.add(member)
            db.session.flush()
            member_changed.send(db.session, member=member)
            db.session.commit()
            people[role] = member
        policy.change_policy(db.session, instance, people["admin"], {"mode": "blocklist"})
        state = membership.change_member_federation(
            db.session, instance, people["member"], {"enabled": True, "discoverable": True})
        token = issue_api_token(db.session, people["member"])
        admin_token = issue_api_token(db.session, people["admin"])
        out = {"member_id": people["member"].id, "handle": state.handle, "token": token,
               "admin_token": admin_token}
        if contact_name:
            contact = people["contact"]
            mine = membership.change_member_federation(db.session, instance, contact,
                                                       {"enabled": True})
            row = network.request_connection(db.session, instance, people["member"],
                                             contact.id)
            network.accept_connection(db.session, instance, contact, row.id)
            db.session.commit()
            out["contact"] = {"member_id": contact.id, "handle": mine.handle,
                              "token": issue_api_token(db.session, contact)}
        print(json.dumps(out))


if __name__ == "__main__":
    main(*sys.argv[1:6])
