"""Reports: members report a member, an introduction, a recommendation or a direct message;
staff decide on each reported subject, and the reporters are told the outcome.

Who may report what: only what the reporter can see (a profile they may view, a request they
take part in, a recommendation they may read, a message they received). Anything else answers
404, exactly as the thing itself does. Oneself and one's own content cannot be reported.

Mass reporting: one open report per reporter and subject (a repeat updates it), at most
``DAILY_LIMIT`` new reports per reporter in 24 hours, and staff may ignore a reporter about
one subject: their later reports on it are accepted (the reporter sees nothing different) but
never reach the queue.

The reported member never learns who reported them: nothing here tells them anything; a
sanction they receive carries only the moderator's reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload
from werkzeug.exceptions import NotFound

from maillon.db import begin_write, flush_or_find, utcnow
from maillon.errors import Conflict, Forbidden, ServiceError, ValidationFailed
from maillon.hubs.lifecycle import PUBLISHED
from maillon.hubs.models import Post
from maillon.hubs.threads import access_post, erase_reported_post
from maillon.introductions.models import DirectMessage, Introduction
from maillon.introductions.records import takes_part
from maillon.members.models import Member
from maillon.members.services import access_member
from maillon.moderation.lifecycle import REPORT
from maillon.moderation.models import (
    REPORT_REASONS,
    REPORT_SUBJECTS,
    SANCTION_KINDS,
    Report,
    ReportIgnore,
)
from maillon.moderation.services import access_for_staff, access_staff, record_audit
from maillon.network.recommendation_models import Recommendation
from maillon.network.recommendations import access_recommendation
from maillon.opportunities.models import Opportunity, Relay
from maillon.opportunities.services import access_relay, get_opportunity
from maillon.pagination import MAX_ID
from maillon.tenancy.models import Instance

#: New reports one member may file in 24 hours (a repeat on an open report does not count).
DAILY_LIMIT = 20
MAX_DETAILS = 2000
MAX_RESOLUTION = 2000
MIN_RESOLUTION = 5
SNAPSHOT_LIMIT = 5000
OPEN, ACTIONED, DISMISSED = (REPORT.state(s) for s in ("open", "actioned", "dismissed"))
#: Subjects whose reported content staff may delete with their decision.
DELETABLE = ("recommendation", "message", "post", "opportunity", "relay")


@dataclass(frozen=True)
class Subject:
    """What a report is about, as the reporter sees it: who is reported (the member, or the
    content's author), a name to show, and the reported text."""

    type: str
    id: int
    member: Member | None
    name: str
    snapshot: str


# ---------------------------------------------------------------------- what may be reported


def _refuse_own(reporter: Member, author_id: int | None) -> None:
    if author_id == reporter.id:
        raise ServiceError("cannot_report_own_content", _(
            "You cannot report what you wrote yourself: edit or delete it instead."),
            status=422, fields={"subject_id": "yours"})


def access_subject(session: Session, instance: Instance, reporter: Member, subject_type: str,
                   subject_id: int) -> Subject:
    """The subject ``reporter`` may report; 404 for what they cannot see (or another
    instance's), 422 for themselves or their own content."""
    if reporter.instance_id != instance.id:
        raise NotFound()
    if subject_type not in REPORT_SUBJECTS:
        raise ValidationFailed({"subject_type": _("Choose what you report.")})
    if not 0 < subject_id <= MAX_ID:
        raise NotFound()
    if subject_type == "member":
        member = access_member(session, instance, reporter, subject_id)
        if member.id == reporter.id:
            raise ServiceError("cannot_report_self", _("You cannot report yourself."),
                               status=422, fields={"subject_id": "yourself"})
        return Subject("member", member.id, member, member.name,
                       "\n".join(t for t in (member.name, member.headline or "") if t))
    if subject_type == "introduction":
        # Only a request the reporter takes part in, staff included (they report as members).
        intro = session.scalar(select(Introduction).where(
            Introduction.instance_id == instance.id, Introduction.id == subject_id,
            takes_part(reporter)))
        if intro is None:
            raise NotFound()
        _refuse_own(reporter, intro.requester_id)
        return Subject("introduction", intro.id, intro.requester, intro.requester.name,
                       intro.message)
    if subject_type == "recommendation":
        rec = access_recommendation(session, instance, reporter, subject_id)
        _refuse_own(reporter, rec.author_id)
        return Subject("recommendation", rec.id, rec.author, rec.author.name, rec.text)
    if subject_type == "post":
        # A post of a thread the reporter may read, still published (a removed one is gone).
        post, _seen = access_post(session, instance, reporter, subject_id)
        if post.status != PUBLISHED:
            raise NotFound()
        _refuse_own(reporter, post.author_id)
        author = post.author
        return Subject("post", post.id, author, author.name if author else "", post.text)
    if subject_type == "opportunity":
        # Every member sees the instance's opportunities.
        opportunity = get_opportunity(session, instance, reporter, subject_id)
        _refuse_own(reporter, opportunity.poster_id)
        poster = opportunity.poster
        return Subject("opportunity", opportunity.id, poster, poster.name,
                       f"{opportunity.title}\n{opportunity.description}")
    if subject_type == "relay":
        # The note that came with an opportunity: only its contact reads it.
        relay = access_relay(session, instance, reporter, subject_id)
        if not relay.note:
            raise NotFound()
        return Subject("relay", relay.id, relay.ambassador, relay.ambassador.name, relay.note)
    message = session.scalar(select(DirectMessage).where(
        DirectMessage.instance_id == instance.id, DirectMessage.id == subject_id,
        (DirectMessage.recipient_id == reporter.id) | (DirectMessage.sender_id == reporter.id)))
    if message is None:
        raise NotFound()
    _refuse_own(reporter, message.sender_id)
    return Subject("message", message.id, message.sender, message.sender.name, message.text)


# ---------------------------------------------------------------------- filing


def _open_report(session: Session, instance: Instance, reporter_id: int, subject_type: str,
                 subject_id: int) -> Report | None:
    return session.scalar(select(Report).where(
        Report.instance_id == instance.id, Report.reporter_id == reporter_id,
        Report.subject_type == subject_type, Report.subject_id == subject_id,
        Report.status == OPEN))


def file_report(session: Session, instance: Instance, reporter: Member, subject_type: str,
                subject_id: int, *, reason: str, details: str = "") -> tuple[Report, bool]:
    """Report a subject the reporter can see: (the report, whether it is new).

    A repeat while the first is open updates it (no duplicate); past ``DAILY_LIMIT`` new
    reports in 24 hours, 429 ``report_limit_reached``."""
    if reason not in REPORT_REASONS:
        raise ValidationFailed({"reason": _("Choose a reason.")})
    details = (details or "").replace("\x00", "").strip()
    if len(details) > MAX_DETAILS:
        raise ValidationFailed({"details": _("Use at most %(n)d characters.", n=MAX_DETAILS)})
    begin_write(session)
    subject = access_subject(session, instance, reporter, subject_type, subject_id)
    now = utcnow()
    existing = _open_report(session, instance, reporter.id, subject.type, subject.id)
    if existing is not None:
        existing.reason, existing.updated_at = reason, now
        if details:
            existing.details = details
        session.commit()
        return existing, False
    recent = int(session.scalar(select(func.count(Report.id)).where(
        Report.instance_id == instance.id, Report.reporter_id == reporter.id,
        Report.created_at > now - timedelta(hours=24))) or 0)
    if recent >= DAILY_LIMIT:
        raise ServiceError("report_limit_reached", _(
            "You have sent many reports today: the moderators are looking at them. Try "
            "again tomorrow."), status=429)
    ignored = session.scalar(select(ReportIgnore.id).where(
        ReportIgnore.instance_id == instance.id, ReportIgnore.reporter_id == reporter.id,
        ReportIgnore.subject_type == subject.type, ReportIgnore.subject_id == subject.id))
    report = Report(instance_id=instance.id, reporter_id=reporter.id, subject_type=subject.type,
                    subject_id=subject.id,
                    subject_member_id=subject.member.id if subject.member else None,
                    subject_name=subject.name[:120], reason=reason, details=details,
                    snapshot=subject.snapshot[:SNAPSHOT_LIMIT], status=OPEN,
                    ignored=ignored is not None, created_at=now, updated_at=now, actions=[])
    session.add(report)
    replayed = flush_or_find(session, lambda: _open_report(
        session, instance, reporter.id, subject_type, subject_id))
    if replayed is not None:  # a double click raced us: theirs is the report
        return replayed, False
    session.commit()
    return report, True


def list_own_reports(session: Session, instance: Instance, member: Member) -> list[Report]:
    """The member's reports, newest first."""
    if member.instance_id != instance.id:
        return []
    return list(session.scalars(select(Report).where(
        Report.instance_id == instance.id, Report.reporter_id == member.id)
        .order_by(Report.id.desc()).limit(200)))


# ---------------------------------------------------------------------- the queue (staff)


@dataclass
class ReportGroup:
    """The reports on one subject with one status: how many, why, when."""

    subject_type: str
    subject_id: int
    subject_member_id: int | None
    subject_name: str
    count: int
    first_at: datetime
    last_at: datetime
    latest_id: int
    reasons: dict[str, int] = field(default_factory=dict)


def _queued(instance: Instance, status: str) -> Any:
    return (Report.instance_id == instance.id) & (Report.status == status) & Report.ignored.is_(
        False)


def list_report_groups(session: Session, instance: Instance, staff: Member, *,
                       status: str = OPEN, page: int = 1, per_page: int = 20
                       ) -> tuple[int, list[ReportGroup]]:
    """The queue: reports of one status grouped by subject, latest report first (staff).
    Reports from a reporter staff ignore about the subject are left out."""
    access_staff(instance, staff)
    if status not in REPORT.states:
        raise ValidationFailed({"status": _("Choose open, actioned or dismissed.")})
    keys = (Report.subject_type, Report.subject_id)
    grouped = select(*keys, func.count(Report.id), func.min(Report.created_at),
                     func.max(Report.created_at), func.max(Report.id),
                     func.max(Report.subject_member_id), func.max(Report.subject_name)
                     ).where(_queued(instance, status)).group_by(*keys)
    total = int(session.scalar(select(func.count()).select_from(grouped.subquery())) or 0)
    rows = session.execute(grouped.order_by(func.max(Report.id).desc())
                           .limit(per_page).offset((page - 1) * per_page)).all()
    groups = {(t, i): ReportGroup(t, i, m, n or "", c, first, last, latest)
              for t, i, c, first, last, latest, m, n in rows}
    if groups:
        for t, i, reason, count in session.execute(
                select(*keys, Report.reason, func.count(Report.id))
                .where(_queued(instance, status),
                       Report.subject_id.in_({i for _t, i in groups}))
                .group_by(*keys, Report.reason)):
            if (t, i) in groups:
                groups[(t, i)].reasons[reason] = int(count)
    return total, list(groups.values())


def count_open_subjects(session: Session, instance: Instance, staff: Member) -> int:
    """How many subjects wait in the queue (the staff menu's badge)."""
    access_staff(instance, staff)
    return int(session.scalar(select(func.count()).select_from(
        select(Report.subject_type, Report.subject_id).where(_queued(instance, OPEN))
        .group_by(Report.subject_type, Report.subject_id).subquery())) or 0)


def access_report(session: Session, instance: Instance, staff: Member, report_id: int
                  ) -> Report:
    """A report of this instance, for its staff (403 for a member, 404 if absent here)."""
    return access_for_staff(session, instance, staff, Report, report_id)


def list_subject_reports(session: Session, instance: Instance, staff: Member,
                         subject_type: str, subject_id: int) -> list[Report]:
    """Every report about one subject, oldest first, with their reporters (staff); 404 when
    there is none here."""
    access_staff(instance, staff)
    if subject_type not in REPORT_SUBJECTS or not 0 < subject_id <= MAX_ID:
        raise NotFound()
    rows = list(session.scalars(select(Report).options(joinedload(Report.reporter)).where(
        Report.instance_id == instance.id, Report.subject_type == subject_type,
        Report.subject_id == subject_id).order_by(Report.id)))
    if not rows:
        raise NotFound()
    return rows


def content_exists(session: Session, instance: Instance, subject_type: str,
                   subject_id: int) -> bool:
    """Whether reported content is still there (staff may delete a recommendation or a
    message with their decision)."""
    if subject_type not in DELETABLE:
        return False
    return _find_content(session, instance, subject_type, subject_id) is not None


def _find_content(session: Session, instance: Instance, subject_type: str, subject_id: int
                  ) -> Recommendation | DirectMessage | Post | Opportunity | Relay | None:
    if subject_type == "opportunity":
        return session.scalar(select(Opportunity).where(
            Opportunity.instance_id == instance.id, Opportunity.id == subject_id))
    if subject_type == "relay":
        return session.scalar(select(Relay).where(
            Relay.instance_id == instance.id, Relay.id == subject_id, Relay.note != ""))
    if subject_type == "post":
        return session.scalar(select(Post).where(
            Post.instance_id == instance.id, Post.id == subject_id, Post.status == PUBLISHED))
    if subject_type == "recommendation":
        return session.scalar(select(Recommendation).where(
            Recommendation.instance_id == instance.id, Recommendation.id == subject_id))
    return session.scalar(select(DirectMessage).where(
        DirectMessage.instance_id == instance.id, DirectMessage.id == subject_id))


# ---------------------------------------------------------------------- deciding


@dataclass(frozen=True)
class Decision:
    """What staff decide on a reported subject: dismiss (optionally ignoring these reporters
    about it from now on), or act: a sanction of the reported member and/or deleting the
    reported content."""

    dismiss: bool
    reason: str
    sanction: str | None = None
    until: datetime | None = None
    delete_content: bool = False
    ignore_reporters: bool = False


def _delete_content(session: Session, instance: Instance, subject_type: str,
                    subject_id: int) -> bool:
    row = _find_content(session, instance, subject_type, subject_id)
    if row is None:
        return False
    if isinstance(row, Post):  # erased, not deleted: its thread keeps a placeholder
        return erase_reported_post(session, instance, row)
    if isinstance(row, Relay):  # the note goes; the contact keeps the opportunity
        row.note = ""
        return True
    session.delete(row)
    return True


def decide_report(session: Session, instance: Instance, staff: Member, report_id: int,
                  decision: Decision, *, ip: str = "") -> list[Report]:
    """Close every open report on the subject of ``report_id`` with one decision (staff),
    audited in the same transaction; each reporter is told the outcome (not the sanction)."""
    from maillon.moderation.notifications import tell_report_decided
    from maillon.moderation.sanctions import add_sanction

    reason = (decision.reason or "").replace("\x00", "").strip()
    if len(reason) < MIN_RESOLUTION:
        raise ValidationFailed({"reason": _("Write at least %(n)d characters.",
                                            n=MIN_RESOLUTION)})
    if len(reason) > MAX_RESOLUTION:
        raise ValidationFailed({"reason": _("Use at most %(n)d characters.", n=MAX_RESOLUTION)})
    if not decision.dismiss:
        if decision.sanction is not None and decision.sanction not in SANCTION_KINDS:
            raise ValidationFailed({"sanction": _("Choose warn, limit or suspend.")})
        if decision.sanction is None and not decision.delete_content:
            raise ValidationFailed({"action": _(
                "Choose a sanction, delete the content, or both.")})
    begin_write(session)
    report = access_report(session, instance, staff, report_id)
    if report.subject_member_id == staff.id:
        raise Forbidden("cannot_decide_own_report", _(
            "Another moderator must decide on a report about you."))
    query = select(Report).where(
        Report.instance_id == instance.id, Report.subject_type == report.subject_type,
        Report.subject_id == report.subject_id, Report.status == OPEN).order_by(Report.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    reports = list(session.scalars(query.execution_options(populate_existing=True)))
    if not reports:
        raise Conflict("report_decided", _("The reports on this subject are already decided."))
    subject = (report.subject_type, report.subject_id)
    actions: list[str] = []
    if decision.dismiss:
        actions.append("dismiss")
    else:
        if decision.delete_content:
            if report.subject_type not in DELETABLE:
                raise ValidationFailed({"delete_content": _(
                    "Only written content can be deleted: a recommendation, a message, a "
                    "post, an opportunity or a relay note.")})
            if _delete_content(session, instance, *subject):
                actions.append("delete_content")
        if decision.sanction is not None:
            if report.subject_member_id is None:
                raise Conflict("subject_gone", _("The reported member's account is gone."))
            add_sanction(session, instance, staff, report.subject_member_id, decision.sanction,
                         reason=reason, until=decision.until, ip=ip,
                         report_ids=[r.id for r in reports])
            actions.append(decision.sanction)
        if not actions:
            raise Conflict("content_gone", _("The reported content is already deleted."))
    now = utcnow()
    status = DISMISSED if decision.dismiss else ACTIONED
    for row in reports:
        REPORT.apply(row, status)
        row.decided_at, row.decided_by_id, row.resolution = now, staff.id, reason
        row.actions = actions
        row.updated_at = now
    ignored: list[int] = []
    if decision.dismiss and decision.ignore_reporters:
        for reporter_id in sorted({r.reporter_id for r in reports}):
            if session.scalar(select(ReportIgnore.id).where(
                    ReportIgnore.instance_id == instance.id,
                    ReportIgnore.reporter_id == reporter_id,
                    ReportIgnore.subject_type == subject[0],
                    ReportIgnore.subject_id == subject[1])) is None:
                session.add(ReportIgnore(instance_id=instance.id, reporter_id=reporter_id,
                                         subject_type=subject[0], subject_id=subject[1],
                                         created_by_id=staff.id, created_at=now))
            ignored.append(reporter_id)
    record_audit(session, instance, staff,
                 "report_dismissed" if decision.dismiss else "report_actioned",
                 subject=report.subject_member, subject_type=subject[0], subject_id=subject[1],
                 subject_name=report.subject_name, reason=reason, ip=ip,
                 report_ids=[r.id for r in reports], actions=actions,
                 ignored_reporters=ignored)
    told: set[int] = set()
    for row in reports:
        if row.reporter_id not in told:
            told.add(row.reporter_id)
            tell_report_decided(session, instance, row.reporter, row)
    session.commit()
    return reports


def report_dict(report: Report, *, staff: bool) -> dict[str, Any]:
    """A report as the API shows it: to its reporter (``staff=False``: their own words and
    the outcome, never the moderator's reason or the sanction), or to staff (everything)."""
    out: dict[str, Any] = {
        "id": report.id, "status": report.status,
        "subject": {"type": report.subject_type, "id": report.subject_id,
                    "name": report.subject_name},
        "reason": report.reason, "details": report.details,
        "created_at": report.created_at.isoformat(),
        "decided_at": report.decided_at.isoformat() if report.decided_at else None,
        "outcome": {ACTIONED: "action_taken", DISMISSED: "no_action"}.get(report.status),
    }
    if staff:
        out["subject"]["member_id"] = report.subject_member_id
        out.update({"reporter": {"id": report.reporter_id, "name": report.reporter.name},
                    "snapshot": report.snapshot, "ignored": report.ignored,
                    "resolution": report.resolution, "actions": list(report.actions or [])})
    return out
