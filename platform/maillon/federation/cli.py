"""``maillon federation``: keys and the operator's blocklist, for the deployment's operator."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from maillon.db import db


@click.group("federation")
def federation_group() -> None:
    """Federation keys and the deployment-wide server blocklist."""


@federation_group.command("rotate-keys")
@click.option("--instance", "slugs", multiple=True, help="Only this instance (repeatable).")
@click.option(
    "--member",
    "emails",
    multiple=True,
    help="Only this member's key (an e-mail address; with one --instance).",
)
@click.option("--instance-actor", is_flag=True, help="Only the instance actor's key.")
@with_appcontext
def rotate_keys(slugs: tuple[str, ...], emails: tuple[str, ...], instance_actor: bool) -> None:
    """Give actors new keys. By default every actor that has one, in every instance. Remote
    servers fetch the new key when a signature stops verifying with the old one."""
    from maillon.federation.announcements import announce_update
    from maillon.federation.keys import actors_with_keys, rotate_key
    from maillon.members.models import Member
    from maillon.tenancy.services import get_instance_by_slug

    if emails and len(slugs) != 1:
        raise click.ClickException("--member needs exactly one --instance")
    names = slugs or tuple(current_app.extensions["maillon.instances"].configs)
    for slug in names:
        instance = get_instance_by_slug(db.session, slug)
        members: list[Member | None] = []
        if emails:
            for email in emails:
                member = db.session.scalar(
                    select(Member).where(
                        Member.instance_id == instance.id, Member.email == email.strip().lower()
                    )
                )
                if member is None:
                    raise click.ClickException(f"no member {email} in {slug}")
                members.append(member)
        elif instance_actor:
            members = [None]
        else:
            for member_id in actors_with_keys(db.session, instance):
                members.append(
                    None
                    if member_id is None
                    else db.session.scalar(
                        select(Member).where(
                            Member.instance_id == instance.id, Member.id == member_id
                        )
                    )
                )
        for member in members:
            rotate_key(db.session, instance, member)
            if member is not None:  # their remote connections learn the new key
                db.session.flush()
                announce_update(db.session, instance, member)
            db.session.commit()
        click.echo(f"{slug}: {len(members)} keys rotated")


@federation_group.command("block")
@click.argument("domain")
@click.option("--reason", default="", help="Kept with the block, for the operators.")
@with_appcontext
def block(domain: str, reason: str) -> None:
    """Refuse a server (and its subdomains) for every instance of the deployment."""
    from maillon.errors import ValidationFailed
    from maillon.federation.policy import block_server, normalise_domain

    try:
        added = block_server(db.session, domain, reason)
    except ValidationFailed as exc:
        raise click.ClickException(next(iter(exc.fields.values()))) from None
    name = normalise_domain(domain)
    click.echo(f"{name} blocked" if added else f"{name} was already blocked")


@federation_group.command("unblock")
@click.argument("domain")
@with_appcontext
def unblock(domain: str) -> None:
    """Lift the operator's block of a server (instances' own rules still apply)."""
    from maillon.errors import ValidationFailed
    from maillon.federation.policy import normalise_domain, unblock_server

    try:
        removed = unblock_server(db.session, domain)
    except ValidationFailed as exc:
        raise click.ClickException(next(iter(exc.fields.values()))) from None
    name = normalise_domain(domain)
    click.echo(f"{name} unblocked" if removed else f"{name} was not blocked")


@federation_group.command("blocks")
@with_appcontext
def blocks() -> None:
    """List the servers the operator blocks."""
    from maillon.federation.policy import list_operator_blocks

    for row in list_operator_blocks(db.session):
        click.echo(f"{row.domain}\t{row.created_at:%Y-%m-%d}\t{row.reason}")
