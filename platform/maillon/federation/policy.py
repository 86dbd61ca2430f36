"""Who an instance federates with: its mode, its per-server rules (as Mastodon's domain blocks),
its discovery opt-in, and the operator's deployment-wide blocklist above every instance.

``server_access`` is the one answer every federation path asks (WebFinger, actor documents,
signature checks before any key fetch, delivery); a rule names a domain and covers its
subdomains, the most specific rule winning. Admins change the policy through
``change_policy`` (page and API alike), all or nothing, audited (``federation_changed``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Annotated, Any

from flask_babel import gettext as _
from pydantic import Field
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from maillon.errors import ValidationFailed
from maillon.federation.models import (
    MODES,
    SEVERITIES,
    FederatedServer,
    FederationPolicy,
    OperatorBlock,
)
from maillon.members.models import Member
from maillon.moderation.services import access_staff, record_audit
from maillon.tenancy.models import Instance
from maillon.tenancy.settings import HOST_RE
from maillon.validation import FLAG, Changes, Choice, Line, Rule, Rules, check, fail, given

#: An instance's rules, all told (Mastodon instances run blocklists of a few thousand).
MAX_SERVERS = 5000
#: Rules one change (or one CSV file) may set or remove.
MAX_CHANGED = 1000
MAX_CSV_BYTES = 512 * 1024
ALLOWED, LIMITED, REFUSED = "allowed", "limited", "refused"


@dataclass(frozen=True)
class Domain(Rule):
    """A server's domain name, lower-cased (``@`` and a scheme or path tolerated and dropped)."""

    def clean(self, value: Any) -> str:
        if not isinstance(value, str):
            fail(_("Must be text."))
        return domain_or_fail(value)

    def schema(self) -> dict[str, Any]:
        return {"maxLength": 253, "format": "hostname"}


def normalise_domain(value: str) -> str:
    text = value.strip().lower()
    if "://" in text:
        text = text.split("://", 1)[1]
    text = text.split("/", 1)[0].lstrip("@").rstrip(".")
    try:
        text = text.encode("idna").decode("ascii") if text else text
    except UnicodeError:
        return ""
    return text


def domain_or_fail(value: str) -> str:
    domain = normalise_domain(value)
    if not domain or len(domain) > 253 or "." not in domain or not HOST_RE.match(domain):
        fail(_("Not a domain name: %(value)s.", value=value.strip()[:60]))
    return domain


class ServerRule(Rules):
    domain: Annotated[str, Domain()]
    severity: Annotated[str, Choice(SEVERITIES)] = "none"
    reject_media: Annotated[bool, FLAG] = False
    reject_reports: Annotated[bool, FLAG] = False
    public_comment: Annotated[str, Line(500)] = ""
    private_comment: Annotated[str, Line(500)] = ""


class PolicyChange(Changes):
    mode: Annotated[str | None, Choice(MODES)] = Field(
        None,
        description=(
            "nobody: no federation; allowlist: only servers listed with severity none or limit; "
            "blocklist: every server but those suspended."
        ),
    )
    discoverable: Annotated[bool | None, FLAG] = Field(
        None, description=("Whether other servers may list and search the members who opted in.")
    )
    servers: list[ServerRule] | None = Field(
        None, max_length=MAX_CHANGED, description=("Rules added or replaced, by domain.")
    )
    remove: list[Annotated[str, Domain()]] | None = Field(
        None, max_length=MAX_CHANGED, description="Domains whose rule goes."
    )


@dataclass(frozen=True)
class PolicyView:
    mode: str
    discoverable: bool
    servers: list[FederatedServer]

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "discoverable": self.discoverable,
            "servers": [server_dict(s) for s in self.servers],
        }


def server_dict(server: FederatedServer) -> dict[str, Any]:
    return {
        "domain": server.domain,
        "severity": server.severity,
        "reject_media": server.reject_media,
        "reject_reports": server.reject_reports,
        "public_comment": server.public_comment,
        "private_comment": server.private_comment,
    }


def find_policy(session: Session, instance: Instance) -> FederationPolicy | None:
    return session.scalar(
        select(FederationPolicy).where(FederationPolicy.instance_id == instance.id)
    )


def _servers(session: Session, instance: Instance) -> list[FederatedServer]:
    return list(
        session.scalars(
            select(FederatedServer)
            .where(FederatedServer.instance_id == instance.id)
            .order_by(FederatedServer.domain)
        )
    )


def get_policy(session: Session, instance: Instance, admin: Member | None) -> PolicyView:
    """The instance's federation policy with every server rule (admins only)."""
    access_staff(instance, admin, admin=True)
    policy = find_policy(session, instance)
    return PolicyView(
        policy.mode if policy else "nobody",
        policy.discoverable if policy else False,
        _servers(session, instance),
    )


def change_policy(
    session: Session,
    instance: Instance,
    admin: Member | None,
    data: dict[str, Any] | PolicyChange,
    *,
    ip: str = "",
) -> bool:
    """Apply a change at once or not at all; audited when something changed (True)."""
    access_staff(instance, admin, admin=True)
    change = given(check(PolicyChange, data))
    rules = [ServerRule.model_validate(r) for r in change.get("servers") or []]
    removed = list(dict.fromkeys(change.get("remove") or []))
    domains = [r.domain for r in rules]
    fields: dict[str, str] = {}
    if len(set(domains)) != len(domains):
        fields["servers"] = _("A domain is listed twice.")
    if set(domains) & set(removed):
        fields["remove"] = _("A domain cannot be both changed and removed.")
    if fields:
        raise ValidationFailed(fields)
    policy = find_policy(session, instance)
    if policy is None:
        policy = FederationPolicy(instance_id=instance.id, mode="nobody", discoverable=False)
        session.add(policy)
    summary: dict[str, Any] = {}
    for name in ("mode", "discoverable"):
        if name in change and change[name] != getattr(policy, name):
            summary[name] = {"old": getattr(policy, name), "new": change[name]}
            setattr(policy, name, change[name])
    existing = {s.domain: s for s in _servers(session, instance)}
    added, updated = [], []
    for rule in rules:
        row = existing.get(rule.domain)
        values = rule.model_dump()
        if row is None:
            session.add(FederatedServer(instance_id=instance.id, **values))
            added.append(rule.domain)
        elif server_dict(row) != values:
            for name, value in values.items():
                setattr(row, name, value)
            updated.append(rule.domain)
    gone = [d for d in removed if d in existing]
    if gone:
        session.execute(
            delete(FederatedServer).where(
                FederatedServer.instance_id == instance.id, FederatedServer.domain.in_(gone)
            )
        )
    if len(existing) + len(added) - len(gone) > MAX_SERVERS:
        session.rollback()
        raise ValidationFailed(
            {"servers": _("At most %(num)d servers in the lists.", num=MAX_SERVERS)}
        )
    summary.update(
        {k: v[:50] for k, v in (("added", added), ("updated", updated), ("removed", gone)) if v}
    )
    if not summary:
        session.rollback()
        return False
    record_audit(
        session, instance, admin, "federation_changed", subject_type="federation", ip=ip, **summary
    )
    session.commit()
    return True


# ---------------------------------------------------------------------- CSV (Mastodon's shape)

CSV_COLUMNS = (
    "#domain",
    "#severity",
    "#reject_media",
    "#reject_reports",
    "#public_comment",
    "#obfuscate",
)
_MASTODON_SEVERITY = {"noop": "none", "silence": "limit", "suspend": "suspend"}


def export_csv(session: Session, instance: Instance, admin: Member | None) -> str:
    """The server rules as Mastodon exports its domain blocks (it imports this file too)."""
    view = get_policy(session, instance, admin)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s in view.servers:
        severity = {"none": "noop", "limit": "silence"}.get(s.severity, s.severity)
        writer.writerow(
            [
                s.domain,
                severity,
                str(s.reject_media).lower(),
                str(s.reject_reports).lower(),
                _cell(s.public_comment),
                "false",
            ]
        )
    return out.getvalue()


def _cell(value: str) -> str:
    # A spreadsheet would run a cell starting with = + - @ as a formula.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def _truth(value: str) -> bool:
    return value.strip().lower() in ("true", "1", "yes")


def parse_csv(data: bytes) -> list[dict[str, Any]]:
    """Rules from a Mastodon-style CSV (``#domain,#severity,...`` header, or a plain list of
    domains), or ValidationFailed naming the first bad line."""
    if len(data) > MAX_CSV_BYTES:
        raise ValidationFailed(
            {"file": _("The file is larger than %(num)d KiB.", num=MAX_CSV_BYTES // 1024)}
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed({"file": _("The file is not UTF-8 text.")}) from None
    rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    header = [c.strip().lstrip("#").lower() for c in rows[0]] if rows else []
    if "domain" in header:
        rows = rows[1:]
    else:
        header = ["domain", "severity", "reject_media", "reject_reports", "public_comment"]
    if len(rows) > MAX_CHANGED:
        raise ValidationFailed({"file": _("At most %(num)d servers per file.", num=MAX_CHANGED)})
    rules: list[dict[str, Any]] = []
    for number, row in enumerate(rows, start=2 if "domain" in header and rows else 1):
        cells = dict(zip(header, row, strict=False))
        severity = cells.get("severity", "").strip().lower() or "suspend"
        rule = {
            "domain": cells.get("domain", ""),
            "severity": _MASTODON_SEVERITY.get(severity, severity),
            "reject_media": _truth(cells.get("reject_media", "")),
            "reject_reports": _truth(cells.get("reject_reports", "")),
            "public_comment": cells.get("public_comment", "").lstrip("'"),
        }
        try:
            rules.append(check(ServerRule, rule).model_dump())
        except ValidationFailed as exc:
            problem = next(iter(exc.fields.values()), "")
            raise ValidationFailed(
                {"file": _("Line %(line)d: %(problem)s", line=number, problem=problem)}
            ) from None
    return rules


def import_csv(
    session: Session, instance: Instance, admin: Member | None, data: bytes, *, ip: str = ""
) -> int:
    """Add or replace the rules of a CSV file (rules not in it stay); the number of rules
    read. A file without a severity column lists servers to suspend."""
    access_staff(instance, admin, admin=True)
    rules = parse_csv(data)
    if not rules:
        raise ValidationFailed({"file": _("The file lists no server.")})
    unique = list({r["domain"]: r for r in rules}.values())
    change_policy(session, instance, admin, {"servers": unique}, ip=ip)
    return len(unique)


# ---------------------------------------------------------------------- who may talk to us


def _suffixes(domain: str) -> list[str]:
    """``a.b.example.org`` → itself and every parent down to ``example.org``."""
    parts = domain.split(".")
    return [".".join(parts[i:]) for i in range(len(parts) - 1)]


def operator_blocked(session: Session, domain: str) -> bool:
    names = _suffixes(normalise_domain(domain))
    return (
        bool(names)
        and session.scalar(
            select(func.count()).select_from(OperatorBlock).where(OperatorBlock.domain.in_(names))
        )
        != 0
    )


def server_access(session: Session, instance: Instance, domain: str) -> str:
    """ALLOWED, LIMITED or REFUSED for a remote server, by the operator's blocklist, then the
    instance's mode and its most specific rule covering ``domain``."""
    domain = normalise_domain(domain.split(":", 1)[0] if domain.count(":") == 1 else domain)
    if not domain or operator_blocked(session, domain):
        return REFUSED
    policy = find_policy(session, instance)
    if policy is None or policy.mode == "nobody":
        return REFUSED
    rows = {
        s.domain: s.severity
        for s in session.scalars(
            select(FederatedServer).where(
                FederatedServer.instance_id == instance.id,
                FederatedServer.domain.in_(_suffixes(domain)),
            )
        )
    }
    severity = next((rows[d] for d in _suffixes(domain) if d in rows), None)
    if severity == "suspend" or (severity is None and policy.mode == "allowlist"):
        return REFUSED
    return LIMITED if severity == "limit" else ALLOWED


def federates(session: Session, instance: Instance) -> bool:
    """Whether the instance talks to any server at all (else it serves no member actor)."""
    policy = find_policy(session, instance)
    return policy is not None and policy.mode != "nobody"


# ---------------------------------------------------------------------- the operator's list


def block_server(session: Session, domain: str, reason: str = "") -> bool:
    """Refuse a server for every instance of the deployment (CLI); False if already blocked."""
    name = domain_or_fail_plain(domain)
    if session.scalar(select(OperatorBlock).where(OperatorBlock.domain == name)) is not None:
        return False
    session.add(OperatorBlock(domain=name, reason=" ".join(reason.split())[:500]))
    session.commit()
    return True


def unblock_server(session: Session, domain: str) -> bool:
    name = domain_or_fail_plain(domain)
    row = session.scalar(select(OperatorBlock).where(OperatorBlock.domain == name))
    if row is not None:
        session.delete(row)
    session.commit()
    return row is not None


def list_operator_blocks(session: Session) -> list[OperatorBlock]:
    return list(session.scalars(select(OperatorBlock).order_by(OperatorBlock.domain)))


def domain_or_fail_plain(value: str) -> str:
    """``domain_or_fail`` for callers outside validation models (ValidationFailed)."""
    try:
        return domain_or_fail(value)
    except ValueError as exc:
        raise ValidationFailed({"domain": str(exc)}) from None
