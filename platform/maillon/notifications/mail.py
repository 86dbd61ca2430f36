"""E-mail: composed in the request, queued in the same transaction, sent over SMTP by a worker."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import formataddr, make_msgid, parseaddr
from typing import Any

from flask_babel import force_locale
from sqlalchemy.orm import Session

from maillon.db import settings
from maillon.jobs.models import Job
from maillon.jobs.services import enqueue, job_handler
from maillon.tenancy.models import Instance
from maillon.tenancy.rendering import render_for


def queue_email(session: Session, instance: Instance, *, to: str, template: str,
                locale: str | None = None, **context: Any) -> None:
    """Render ``<template>.txt`` (subject on the first line) and queue it for sending."""
    with force_locale(locale or instance.setting("locale")):
        text = render_for(instance.slug, f"{template}.txt", instance=instance, **context)
    subject, _, body = text.strip().partition("\n")
    configured = instance.config.get("mail_from") or settings(session)["MAIL_FROM"]
    display, sender = parseaddr(configured)
    enqueue(session, "send_email", {
        "to": to,
        "from": formataddr((display or instance.name, sender)),
        "subject": subject.strip(),
        "body": body.strip() + "\n",
        "message_id": make_msgid(domain=sender.rpartition("@")[2] or "maillon.localhost"),
    }, instance_id=instance.id)


# Headers are not folded below RFC 5322's hard limit: Python's folding of a header line may put
# the space between two encoded words outside them, where readers drop it ("s’estarrêtée").
MAIL_POLICY = default_policy.clone(max_line_length=998)


@job_handler("send_email")
def send_email(session: Session, job: Job) -> None:
    payload = job.payload
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = payload["from"]
    message["To"] = payload["to"]
    message["Subject"] = payload["subject"]
    # The same Message-ID on a retry lets receivers drop a duplicate.
    message["Message-ID"] = payload["message_id"]
    message.set_content(payload["body"])
    config = settings(session)
    with smtplib.SMTP(config["MAIL_HOST"], int(config["MAIL_PORT"]), timeout=20) as smtp:
        if config["MAIL_STARTTLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)
