"""Opportunities: posting, who relays them, suggestions, relays, answers, referrals, and what
the poster learns (decisions 49-51).

Every active member of the instance sees its opportunities (as on LinkedIn's jobs pages).
Ambassadors relay them: the poster, and for an opportunity of an organisation its members with
a confirmed current affiliation and its admins. A relay goes from an ambassador to one of
their connections, with a note. The contact answers "interested" (the poster is told, with
who relayed it and their notes: the vouch) or "not now" (the poster only ever counts those).
A member connected to an ambassador asks them for a referral; the ambassador refers them in
one click (a relay with the asker's interest, since they asked).

The poster (and the organisation's admins) see counts per opportunity and per ambassador, the
ambassadors in alphabetical order and only those who relayed: no ranking, no zero shown.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload
from werkzeug.exceptions import NotFound

from maillon.db import begin_write, flush_or_find, utcnow
from maillon.errors import Conflict, Forbidden, ServiceError
from maillon.members.models import Member
from maillon.moderation.sanctions import check_not_limited
from maillon.network.services import are_connected, connection_ids
from maillon.opportunities import suggestions as suggesting
from maillon.opportunities.models import (
    CLOSED,
    DECLINED,
    INTERESTED,
    NOT_NOW,
    OPEN,
    OPPORTUNITY,
    PENDING,
    REFERRAL,
    REFERRED,
    Opportunity,
    ReferralRequest,
    Relay,
)
from maillon.opportunities.notifications import (
    tell_interested,
    tell_posted,
    tell_referral_requested,
    tell_referred,
    tell_relayed,
)
from maillon.opportunities.validation import (
    AnswerFields,
    OpportunityFields,
    ReferFields,
    ReferralFields,
    RelayFields,
)
from maillon.organisations.lifecycle import CONFIRMED
from maillon.organisations.models import Affiliation, Organisation, OrganisationAdmin
from maillon.organisations.services import current_member_ids, find_organisation, is_admin_of
from maillon.pagination import MAX_ID, MAX_PAGE, MAX_PER_PAGE
from maillon.tenancy.models import Instance
from maillon.validation import check

#: Opportunities one member may post in 7 days.
WEEKLY_LIMIT = 5
#: Relays one ambassador may send in a day (all opportunities together).
DAILY_RELAYS = 100
#: Referral requests one member may send for one opportunity.
REFERRAL_REQUESTS = 3
#: Members told of a new opportunity of their organisation, at most.
MAX_TOLD = 500
SCOPES = ("open", "posted", "received", "relay")


def _acting(instance: Instance, member: Member | None) -> Member:
    if member is None or member.instance_id != instance.id or member.status != "active":
        raise NotFound()
    return member


def today() -> date:
    return utcnow().date()


def _closed() -> Conflict:
    return Conflict("opportunity_closed", _("This opportunity is closed."))


# ---------------------------------------------------------------------- who relays


def ambassador_ids(session: Session, instance: Instance, opportunity: Opportunity) -> set[int]:
    """The poster, and for an organisation's opportunity its current members and admins
    (active ones)."""
    ids = {opportunity.poster_id}
    if opportunity.organisation_id is not None:
        ids.update(current_member_ids(session, instance, opportunity.organisation_id))
        ids.update(session.scalars(select(OrganisationAdmin.member_id).join(
            Member, Member.id == OrganisationAdmin.member_id).where(
            OrganisationAdmin.instance_id == instance.id,
            OrganisationAdmin.organisation_id == opportunity.organisation_id,
            Member.status == "active")))
    return ids


def _manages(session: Session, instance: Instance, member: Member,
             opportunity: Opportunity) -> bool:
    """The poster, or an admin of the organisation it was posted for."""
    return member.id == opportunity.poster_id or (
        opportunity.organisation_id is not None
        and is_admin_of(session, instance, member, opportunity.organisation_id))


# ---------------------------------------------------------------------- posting


def post_opportunity(session: Session, instance: Instance, poster: Member,
                     data: dict[str, object]) -> Opportunity:
    """Post an opportunity, personally or for an organisation one administers; the
    organisation's members are told (in-app) that there is one to relay."""
    fields = check(OpportunityFields, data)
    poster = _acting(instance, poster)
    if fields.closes_on is not None and fields.closes_on < today():
        raise ServiceError("validation_failed", _("The closing date is past."), status=422,
                           fields={"closes_on": _("The closing date is past.")})
    begin_write(session)
    check_not_limited(session, instance, poster)
    organisation: Organisation | None = None
    if fields.organisation_id is not None:
        if not 0 < fields.organisation_id <= MAX_ID:
            raise NotFound()
        organisation = find_organisation(session, instance, fields.organisation_id)
        if organisation is None:
            raise NotFound()
        if not is_admin_of(session, instance, poster, organisation.id):
            raise Forbidden("not_organisation_admin", _(
                "Only the organisation's admins may post for it."))
    recent = int(session.scalar(select(func.count(Opportunity.id)).where(
        Opportunity.instance_id == instance.id, Opportunity.poster_id == poster.id,
        Opportunity.created_at > utcnow() - timedelta(days=7))) or 0)
    if recent >= WEEKLY_LIMIT:
        raise ServiceError("opportunity_limit_reached", _(
            "You have posted %(n)d opportunities this week: that is the limit for now.",
            n=WEEKLY_LIMIT), status=429)
    row = Opportunity(instance_id=instance.id, poster_id=poster.id,
                      organisation_id=organisation.id if organisation else None,
                      kind=fields.kind, title=fields.title, description=fields.text,
                      location=fields.location, skills=fields.skills,
                      closes_on=fields.closes_on, created_at=utcnow())
    OPPORTUNITY.apply(row, OPEN)
    session.add(row)
    session.flush()
    if organisation is not None:
        told = sorted(ambassador_ids(session, instance, row) - {poster.id})[:MAX_TOLD]
        for member in session.scalars(select(Member).where(
                Member.instance_id == instance.id, Member.id.in_(told))):
            tell_posted(session, instance, member, poster, row, organisation.name)
    session.commit()
    return row


def close_opportunity(session: Session, instance: Instance, member: Member,
                      opportunity_id: int) -> Opportunity:
    """Its poster (or an admin of its organisation) closes it; closing again changes nothing."""
    begin_write(session)
    row = get_opportunity(session, instance, member, opportunity_id)
    if not _manages(session, instance, member, row):
        raise Forbidden("forbidden", _("Only the member who posted it may close it."))
    if row.status == OPEN:
        OPPORTUNITY.apply(row, CLOSED)
        row.closed_at = utcnow()
        session.commit()
    return row


# ---------------------------------------------------------------------- reading


def get_opportunity(session: Session, instance: Instance, member: Member | None,
                    opportunity_id: int) -> Opportunity:
    """An opportunity of this instance, for an active member of it; 404 otherwise."""
    member = _acting(instance, member)
    if not 0 < opportunity_id <= MAX_ID:
        raise NotFound()
    row = session.scalar(select(Opportunity).options(
        joinedload(Opportunity.poster), joinedload(Opportunity.organisation)).where(
        Opportunity.instance_id == instance.id, Opportunity.id == opportunity_id))
    if row is None:
        raise NotFound()
    return row


@dataclass(frozen=True)
class AmbassadorCount:
    member: Member
    relays: int
    interested: int


@dataclass(frozen=True)
class Interested:
    """An interested contact, as the poster sees them: with every relay's vouch."""

    contact: Member
    message: str
    relays: list[Relay]


@dataclass(frozen=True)
class Stats:
    reach: int  # distinct contacts who received it
    relays: int
    interested: int
    not_now: int
    waiting: int
    ambassadors: list[AmbassadorCount]  # those who relayed, alphabetically
    interested_people: list[Interested]


@dataclass
class OpportunityView:
    """An opportunity as one member may see it."""

    opportunity: Opportunity
    manages: bool
    is_ambassador: bool
    received: list[Relay] = field(default_factory=list)  # relays to the viewer
    sent: list[Relay] = field(default_factory=list)  # the viewer's relays (no answers)
    stats: Stats | None = None  # the poster and the organisation's admins
    can_refer_me: list[Member] = field(default_factory=list)  # whom the viewer may ask
    my_requests: list[ReferralRequest] = field(default_factory=list)
    requests_to_me: list[ReferralRequest] = field(default_factory=list)  # pending

    @property
    def answer(self) -> str | None:
        return self.received[0].answer if self.received else None


def _stats(session: Session, instance: Instance, opportunity: Opportunity) -> Stats:
    rows = list(session.scalars(select(Relay).options(
        joinedload(Relay.ambassador), joinedload(Relay.contact)).where(
        Relay.instance_id == instance.id, Relay.opportunity_id == opportunity.id)
        .order_by(Relay.id)))
    answers = {r.contact_id: r.answer for r in rows}
    per: dict[int, list[Relay]] = defaultdict(list)
    for r in rows:
        per[r.ambassador_id].append(r)
    ambassadors = sorted(
        (AmbassadorCount(rs[0].ambassador, len(rs), sum(
            1 for r in rs if r.answer == INTERESTED and r.contact.status == "active"))
         for rs in per.values() if rs[0].ambassador.status == "active"),
        key=lambda a: (a.member.name.casefold(), a.member.id))
    by_contact: dict[int, list[Relay]] = defaultdict(list)
    for r in rows:
        if r.answer == INTERESTED and r.contact.status == "active":
            by_contact[r.contact_id].append(r)
    people = [Interested(rs[0].contact, next((r.answer_message for r in rs if r.answer_message),
                                             ""), rs)
              for rs in sorted(by_contact.values(), key=lambda rs: min(
                  r.answered_at or r.created_at for r in rs))]
    values = list(answers.values())
    return Stats(reach=len(answers), relays=len(rows),
                 interested=values.count(INTERESTED), not_now=values.count(NOT_NOW),
                 waiting=values.count(None), ambassadors=ambassadors, interested_people=people)


def access_opportunity(session: Session, instance: Instance, member: Member | None,
                       opportunity_id: int) -> OpportunityView:
    """The opportunity as ``member`` may see it (see the module); 404 for another instance's."""
    row = get_opportunity(session, instance, member, opportunity_id)
    assert member is not None
    ambassadors = ambassador_ids(session, instance, row)
    view = OpportunityView(row, _manages(session, instance, member, row),
                           member.id in ambassadors)
    view.received = list(session.scalars(select(Relay).options(joinedload(Relay.ambassador))
                                         .where(Relay.instance_id == instance.id,
                                                Relay.opportunity_id == row.id,
                                                Relay.contact_id == member.id)
                                         .order_by(Relay.id)))
    if view.is_ambassador:
        view.sent = list(session.scalars(select(Relay).options(joinedload(Relay.contact)).where(
            Relay.instance_id == instance.id, Relay.opportunity_id == row.id,
            Relay.ambassador_id == member.id).order_by(Relay.id)))
        view.requests_to_me = list(session.scalars(select(ReferralRequest).options(
            joinedload(ReferralRequest.asker)).where(
            ReferralRequest.instance_id == instance.id, ReferralRequest.opportunity_id == row.id,
            ReferralRequest.ambassador_id == member.id, ReferralRequest.status == PENDING)
            .order_by(ReferralRequest.id)))
    else:
        view.my_requests = list(session.scalars(select(ReferralRequest).options(
            joinedload(ReferralRequest.ambassador)).where(
            ReferralRequest.instance_id == instance.id, ReferralRequest.opportunity_id == row.id,
            ReferralRequest.asker_id == member.id).order_by(ReferralRequest.id)))
        if not view.received:
            known = sorted(set(connection_ids(session, instance, member.id)) & ambassadors)
            asked = {r.ambassador_id for r in view.my_requests}
            view.can_refer_me = sorted(session.scalars(select(Member).where(
                Member.instance_id == instance.id, Member.id.in_(known),
                Member.id.not_in(asked), Member.status == "active")),
                key=lambda m: (m.name.casefold(), m.id)) if known else []
    if view.manages:
        view.stats = _stats(session, instance, row)
    return view


def list_opportunities(session: Session, instance: Instance, member: Member, *,
                       scope: str = "open", page: int = 1, per_page: int = 20
                       ) -> tuple[int, list[Opportunity]]:
    """Newest first: open ones (``open``), the member's own (``posted``), those relayed to
    them (``received``), open ones they are an ambassador of (``relay``)."""
    member = _acting(instance, member)
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, min(page, MAX_PAGE))
    query = select(Opportunity).where(Opportunity.instance_id == instance.id)
    if scope == "posted":
        query = query.where(Opportunity.poster_id == member.id)
    elif scope == "received":
        query = query.where(Opportunity.id.in_(select(Relay.opportunity_id).where(
            Relay.instance_id == instance.id, Relay.contact_id == member.id)))
    elif scope == "relay":
        orgs = select(Affiliation.organisation_id).where(
            Affiliation.instance_id == instance.id, Affiliation.member_id == member.id,
            Affiliation.status == CONFIRMED, Affiliation.current.is_(True)).union(
            select(OrganisationAdmin.organisation_id).where(
                OrganisationAdmin.instance_id == instance.id,
                OrganisationAdmin.member_id == member.id))
        query = query.where(Opportunity.status == OPEN, (
            Opportunity.poster_id == member.id) | Opportunity.organisation_id.in_(orgs))
    else:
        query = query.where(Opportunity.status == OPEN)
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = list(session.scalars(query.options(joinedload(Opportunity.poster),
                                              joinedload(Opportunity.organisation))
                                .order_by(Opportunity.id.desc())
                                .offset((page - 1) * per_page).limit(per_page)))
    return total, rows


# ---------------------------------------------------------------------- suggestions, relays


def _as_ambassador(session: Session, instance: Instance, member: Member,
                   opportunity_id: int) -> tuple[Opportunity, set[int]]:
    row = get_opportunity(session, instance, member, opportunity_id)
    ambassadors = ambassador_ids(session, instance, row)
    if member.id not in ambassadors:
        raise Forbidden("not_ambassador", _(
            "Only the poster and the members of its organisation relay this opportunity."))
    return row, ambassadors


def suggest_contacts(session: Session, instance: Instance, ambassador: Member,
                     opportunity_id: int, limit: int = suggesting.DEFAULT_LIMIT
                     ) -> list[suggesting.Suggestion]:
    """The ambassador's contacts the opportunity fits, best first (module ``suggestions``)."""
    row, ambassadors = _as_ambassador(session, instance, ambassador, opportunity_id)
    if not row.accepts_relays(today()):
        return []
    candidates = suggesting.eligible_contacts(session, instance, ambassador, row, ambassadors)
    return suggesting.rank_contacts(session, instance, row, candidates, limit)


def other_contacts(session: Session, instance: Instance, ambassador: Member,
                   opportunity_id: int, suggested: set[int], limit: int) -> list[Member]:
    """The ambassador's other contacts they may relay it to (not among ``suggested``), by
    name: the same people suggestions are drawn from."""
    row, ambassadors = _as_ambassador(session, instance, ambassador, opportunity_id)
    ids = suggesting.eligible_contacts(session, instance, ambassador, row, ambassadors)
    rest = [i for i in ids if i not in suggested][:limit]
    if not rest:
        return []
    return sorted(session.scalars(select(Member).where(
        Member.instance_id == instance.id, Member.id.in_(rest))),
        key=lambda m: (m.name.casefold(), m.id))


def relay_opportunity(session: Session, instance: Instance, ambassador: Member,
                      opportunity_id: int, data: dict[str, object]) -> tuple[Relay, bool]:
    """An ambassador passes the opportunity to one of their connections, with a note: (the
    relay, whether it is new). Relaying again to the same contact replays the first."""
    fields = check(RelayFields, data)
    begin_write(session)
    row, _ambassadors = _as_ambassador(session, instance, ambassador, opportunity_id)
    check_not_limited(session, instance, ambassador)
    if not 0 < fields.member_id <= MAX_ID:
        raise NotFound()
    contact = session.scalar(select(Member).where(Member.instance_id == instance.id,
                                                  Member.id == fields.member_id,
                                                  Member.status == "active"))
    if contact is None:
        raise NotFound()
    existing = _find_relay(session, instance, row.id, ambassador.id, contact.id)
    if existing is not None:
        return existing, False
    if not row.accepts_relays(today()):
        raise _closed()
    if contact.id == ambassador.id or contact.id == row.poster_id:
        raise ServiceError("cannot_relay_to", _(
            "Relay it to one of your contacts, not to yourself or its poster."), status=422,
            fields={"member_id": _("Not a contact to relay to.")})
    if not are_connected(session, instance, ambassador.id, contact.id):
        raise Forbidden("not_connected", _("You can relay only to your connections."))
    sent = int(session.scalar(select(func.count(Relay.id)).where(
        Relay.instance_id == instance.id, Relay.ambassador_id == ambassador.id,
        Relay.created_at > utcnow() - timedelta(days=1))) or 0)
    if sent >= DAILY_RELAYS:
        raise ServiceError("relay_limit_reached", _(
            "You have relayed %(n)d opportunities today: that is the limit for now.",
            n=DAILY_RELAYS), status=429)
    relay = _new_relay(session, instance, row, ambassador, contact, fields.note)
    replayed = flush_or_find(session, lambda: _find_relay(session, instance, row.id,
                                                          ambassador.id, contact.id))
    if replayed is not None:
        return replayed, False
    if relay.answer is None:
        tell_relayed(session, instance, contact, ambassador, row, fields.note)
    session.commit()
    return relay, True


def _find_relay(session: Session, instance: Instance, opportunity_id: int, ambassador_id: int,
                contact_id: int) -> Relay | None:
    return session.scalar(select(Relay).where(
        Relay.instance_id == instance.id, Relay.opportunity_id == opportunity_id,
        Relay.ambassador_id == ambassador_id, Relay.contact_id == contact_id))


def _new_relay(session: Session, instance: Instance, opportunity: Opportunity,
               ambassador: Member, contact: Member, note: str, *, referral: bool = False
               ) -> Relay:
    """A relay row; a contact who already answered keeps their answer (it is theirs, about
    the opportunity, whoever passed it on)."""
    earlier = session.scalar(select(Relay).where(
        Relay.instance_id == instance.id, Relay.opportunity_id == opportunity.id,
        Relay.contact_id == contact.id, Relay.answer.is_not(None)).limit(1))
    now = utcnow()
    relay = Relay(instance_id=instance.id, opportunity_id=opportunity.id,
                  ambassador_id=ambassador.id, contact_id=contact.id, note=note,
                  referral=referral, created_at=now)
    if earlier is not None:
        relay.answer, relay.answered_at = earlier.answer, earlier.answered_at
        relay.answer_message = earlier.answer_message
    session.add(relay)
    return relay


def access_relay(session: Session, instance: Instance, member: Member, relay_id: int) -> Relay:
    """A relay, for its contact; 404 for anyone else (its ambassador reads it on the
    opportunity's page) and for another instance's."""
    member = _acting(instance, member)
    if not 0 < relay_id <= MAX_ID:
        raise NotFound()
    relay = session.scalar(select(Relay).where(Relay.instance_id == instance.id,
                                               Relay.id == relay_id,
                                               Relay.contact_id == member.id))
    if relay is None:
        raise NotFound()
    return relay


def answer_relay(session: Session, instance: Instance, contact: Member, relay_id: int,
                 data: dict[str, object]) -> Relay:
    """The contact answers: interested (the poster is told, with every vouch) or not now
    (counted only). "Not now" may become "interested" later; "interested" is final."""
    fields = check(AnswerFields, data)
    begin_write(session)
    relay = access_relay(session, instance, contact, relay_id)
    opportunity = relay.opportunity
    target = INTERESTED if fields.interested else NOT_NOW
    if relay.answer == target:
        return relay
    if relay.answer == INTERESTED:
        raise Conflict("already_interested", _(
            "You told the poster you are interested: that answer stays."))
    if not opportunity.accepts_relays(today()):
        raise _closed()
    rows = list(session.scalars(select(Relay).options(joinedload(Relay.ambassador)).where(
        Relay.instance_id == instance.id, Relay.opportunity_id == opportunity.id,
        Relay.contact_id == contact.id).order_by(Relay.id)))
    now = utcnow()
    for row in rows:
        row.answer, row.answered_at = target, now
        row.answer_message = fields.message if target == INTERESTED else ""
    if target == INTERESTED:
        names = [r.ambassador.name for r in rows if r.ambassador.status == "active"]
        tell_interested(session, instance, opportunity.poster, contact, opportunity, names)
    session.commit()
    return relay


# ---------------------------------------------------------------------- referrals


def ask_for_referral(session: Session, instance: Instance, asker: Member, opportunity_id: int,
                     data: dict[str, object]) -> tuple[ReferralRequest, bool]:
    """Ask a connection who is an ambassador of the opportunity to refer oneself: (the
    request, whether it is new)."""
    fields = check(ReferralFields, data)
    begin_write(session)
    row = get_opportunity(session, instance, asker, opportunity_id)
    check_not_limited(session, instance, asker)
    if not 0 < fields.member_id <= MAX_ID:
        raise NotFound()
    ambassador = session.scalar(select(Member).where(Member.instance_id == instance.id,
                                                     Member.id == fields.member_id,
                                                     Member.status == "active"))
    if ambassador is None:
        raise NotFound()
    existing = session.scalar(select(ReferralRequest).where(
        ReferralRequest.instance_id == instance.id, ReferralRequest.opportunity_id == row.id,
        ReferralRequest.asker_id == asker.id, ReferralRequest.ambassador_id == ambassador.id))
    if existing is not None:
        return existing, False
    if not row.accepts_relays(today()):
        raise _closed()
    ambassadors = ambassador_ids(session, instance, row)
    if asker.id in ambassadors:
        raise Conflict("already_ambassador", _("You relay this opportunity yourself."))
    if ambassador.id not in ambassadors or not are_connected(session, instance, asker.id,
                                                              ambassador.id):
        raise Forbidden("cannot_refer", _(
            "Ask one of your connections who relays this opportunity."))
    if session.scalar(select(Relay.id).where(Relay.instance_id == instance.id,
                                             Relay.opportunity_id == row.id,
                                             Relay.contact_id == asker.id).limit(1)):
        raise Conflict("already_received", _(
            "This opportunity was passed on to you already: answer it instead."))
    sent = int(session.scalar(select(func.count(ReferralRequest.id)).where(
        ReferralRequest.instance_id == instance.id, ReferralRequest.opportunity_id == row.id,
        ReferralRequest.asker_id == asker.id)) or 0)
    if sent >= REFERRAL_REQUESTS:
        raise ServiceError("referral_limit_reached", _(
            "You have asked %(n)d people about this opportunity: that is the limit.",
            n=REFERRAL_REQUESTS), status=429)
    request = ReferralRequest(instance_id=instance.id, opportunity_id=row.id,
                              asker_id=asker.id, ambassador_id=ambassador.id, note=fields.note,
                              created_at=utcnow())
    REFERRAL.apply(request, PENDING)
    session.add(request)
    replayed = flush_or_find(session, lambda: session.scalar(select(ReferralRequest).where(
        ReferralRequest.instance_id == instance.id, ReferralRequest.opportunity_id == row.id,
        ReferralRequest.asker_id == asker.id, ReferralRequest.ambassador_id == ambassador.id)))
    if replayed is not None:
        return replayed, False
    tell_referral_requested(session, instance, ambassador, asker, row)
    session.commit()
    return request, True


def access_referral_request(session: Session, instance: Instance, ambassador: Member,
                            request_id: int) -> ReferralRequest:
    """A referral request, for the ambassador it was sent to; 404 otherwise."""
    ambassador = _acting(instance, ambassador)
    if not 0 < request_id <= MAX_ID:
        raise NotFound()
    row = session.scalar(select(ReferralRequest).where(
        ReferralRequest.instance_id == instance.id, ReferralRequest.id == request_id,
        ReferralRequest.ambassador_id == ambassador.id))
    if row is None:
        raise NotFound()
    return row


def refer(session: Session, instance: Instance, ambassador: Member, request_id: int,
          data: dict[str, object]) -> Relay:
    """The ambassador refers the asker in one click: a relay to them, already interested (they
    asked), so the poster is told with this vouch. Referring again replays the relay."""
    fields = check(ReferFields, data)
    begin_write(session)
    request = access_referral_request(session, instance, ambassador, request_id)
    opportunity = request.opportunity
    if request.status == REFERRED:
        relay = _find_relay(session, instance, opportunity.id, ambassador.id, request.asker_id)
        if relay is not None:
            return relay
    if request.status != PENDING:
        raise Conflict("referral_decided", _("You already answered this request."))
    if not opportunity.accepts_relays(today()):
        raise _closed()
    if ambassador.id not in ambassador_ids(session, instance, opportunity):
        raise Forbidden("not_ambassador", _(
            "Only the poster and the members of its organisation relay this opportunity."))
    check_not_limited(session, instance, ambassador)
    asker = request.asker
    if asker.status != "active":
        raise NotFound()
    relay = _find_relay(session, instance, opportunity.id, ambassador.id, asker.id) or \
        _new_relay(session, instance, opportunity, ambassador, asker, fields.note,
                   referral=True)
    relay.referral = True
    if fields.note:
        relay.note = fields.note
    REFERRAL.apply(request, REFERRED)
    request.decided_at = utcnow()
    became_interested = relay.answer != INTERESTED
    session.flush()
    if became_interested:
        rows = list(session.scalars(select(Relay).options(joinedload(Relay.ambassador)).where(
            Relay.instance_id == instance.id, Relay.opportunity_id == opportunity.id,
            Relay.contact_id == asker.id)))
        now = utcnow()
        for row in rows:
            row.answer, row.answered_at = INTERESTED, now
        tell_interested(session, instance, opportunity.poster, asker, opportunity,
                        [r.ambassador.name for r in rows if r.ambassador.status == "active"])
    tell_referred(session, instance, asker, ambassador, opportunity)
    session.commit()
    return relay


def decline_referral(session: Session, instance: Instance, ambassador: Member,
                     request_id: int) -> ReferralRequest:
    """The ambassador declines to refer; the asker sees the request as not taken up (nobody is
    notified). Declining again changes nothing."""
    begin_write(session)
    request = access_referral_request(session, instance, ambassador, request_id)
    if request.status == PENDING:
        REFERRAL.apply(request, DECLINED)
        request.decided_at = utcnow()
        session.commit()
    elif request.status != DECLINED:
        raise Conflict("referral_decided", _("You already answered this request."))
    return request
