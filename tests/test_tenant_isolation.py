"""Every lookup service, asked through another instance, finds nothing: without a request.

The CLI and the jobs worker call services with no request, so the tenant net of
``maillon.db`` is not there to hide a forgotten filter: each ``access_*``/``get_*``/``find_*``
service must name the instance in its own query. Here everything lives in "reseau", and each
service is called through "acme" with arguments that otherwise point straight at reseau's row
(its own members as actors, or an acme moderator, who may see everything of acme). Another
instance's row must look exactly like a missing one: None, or NotFound.

``test_every_lookup_service_is_listed`` keeps the list whole: a new lookup service fails it
until it gets a case here (or a reason in ``NOT_TENANT_LOOKUPS``).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from maillon.accounts import bulk_invitations
from maillon.accounts import services as accounts
from maillon.db import db
from maillon.errors import ServiceError
from maillon.federation import connections as federation_connections
from maillon.federation import keys as federation_keys
from maillon.federation import membership as federation_members
from maillon.federation import outgoing as federation_outgoing
from maillon.federation import policy as federation_policy
from maillon.hubs import services as hub_services
from maillon.hubs import threads as hub_threads
from maillon.introductions import crossing, incoming, records, routing
from maillon.introductions import services as introductions
from maillon.members import experiences
from maillon.members import services as members
from maillon.members.models import Member
from maillon.moderation import reports, sanctions
from maillon.moderation import services as moderation
from maillon.moderation.models import Report, Sanction
from maillon.network import endorsements, recommendations
from maillon.network import services as network
from maillon.notifications import services as notifications
from maillon.notifications.models import Notification
from maillon.opportunities import services as opportunities
from maillon.organisations import introducers, reach
from maillon.organisations import services as organisations
from maillon.questions import services as questions
from maillon.tenancy.models import Instance
from tests.introductions.world import MESSAGE, World

REMOTE_ACTOR = "https://remote.example/users/bob"
PACKAGE = Path(__file__).resolve().parents[1] / "platform" / "maillon"


@dataclass
class Foreign:
    """Reseau's rows (ids and tokens), and acme's moderator."""

    rita: int  # has a skill, an experience, an education, an API token, a login session
    sam: int  # connected to rita and tom; endorsed and recommended rita
    tom: int
    rita_email: str
    connection: int  # rita - sam
    recommendation: int  # sam -> rita, approved (public)
    notification: int  # rita's
    introduction: int  # rita -> tom through sam
    experience: int
    education: int
    api_token: str
    login_token: str
    moderator: int  # acme's
    moderator_reseau: int
    sanction: int  # a warning of tom's, by reseau's moderator
    appeal: int  # tom's, against it
    report: int  # tom's, about rita
    admin: int  # acme's
    admin_reseau: int
    batch: int  # of invitations, a draft by reseau's admin
    organisation: int  # created by reseau's admin
    affiliation: int  # sam's to it, confirmed
    hub: int  # rita's, open
    thread: int  # rita's, in it
    post: int  # its opening post
    question: int  # rita's, to sam
    opportunity: int  # Reseau Co's, posted by its admin; sam relays it (a member)
    opportunity_relay: int  # sam -> tom
    referral_request: int  # rita asks sam


@pytest.fixture
def foreign(app: Flask, create_member: Callable[..., Member]) -> Foreign:
    world = World(app, create_member, "reseau")
    rita = world.member("Rita Reseau", skills=["Python"])
    sam, tom = world.members("Sam Reseau", "Tom Reseau")
    world.connect(rita, sam, 4, 4)
    world.connect(sam, tom, 4, 4)
    world.call(endorsements.endorse_skill, sam, rita, "Python")
    recommendation, _ = world.call(recommendations.write_recommendation, sam, rita,
                                   relationship="same_team",
                                   text="Rita is a fine engineer and a patient mentor.")
    world.call(recommendations.approve_recommendation, rita, recommendation.id)
    world.call(recommendations.request_recommendation, rita, sam, "A few words?")
    intro = world.call(introductions.request_introduction, rita, tom, message=MESSAGE,
                       purpose="advice")
    with app.app_context():
        member = world.get(rita)
        experience = experiences.add_experience(db.session, member, {
            "title": "Engineer", "start_date": "2020-01-01"})
        education = experiences.add_education(db.session, member, {"school": "École"})
        db.session.commit()
        ids = experience.id, education.id
        api_token = accounts.issue_api_token(db.session, world.get(rita))
        login_token = accounts.start_login_session(db.session, world.get(rita))
        db.session.commit()
        notification = db.session.scalar(select(Notification.id).where(
            Notification.member_id == rita))
        assert notification is not None
        connection = network.find_connection_between(db.session, world.instance(), rita, sam)
        assert connection is not None
        email = world.get(rita).email
    moderator = create_member("acme", name="Mo Acme", role="moderator").id
    moderator_reseau = create_member("reseau", name="Mo Reseau", role="moderator").id
    warning = world.call(sanctions.impose_sanction, moderator_reseau, tom, "warn",
                         reason="A warning to look up.")
    appeal = world.call(sanctions.appeal_sanction, tom, warning.id, "An appeal to look up.")
    report, _ = world.call(reports.file_report, tom, "member", rita, reason="spam")
    admin = create_member("acme", name="Ada Acme", role="admin").id
    admin_reseau = create_member("reseau", name="Ada Reseau", role="admin").id
    batch = world.call(bulk_invitations.preview_batch, admin_reseau, "new@example.org")
    # Reseau federates; Rita is reachable from other servers as @rita.reseau and has a key.
    world.call(federation_policy.change_policy, admin_reseau, {"mode": "blocklist"})
    world.call(federation_members.change_member_federation, rita, {"enabled": True})
    world.call(federation_keys.ensure_key, rita)
    org, _ = world.call(organisations.create_organisation, admin_reseau, {"name": "Reseau Co"})
    affiliation, _ = world.call(organisations.claim_affiliation, sam, org.id, {"role": "Chef"})
    world.call(organisations.confirm_affiliation, admin_reseau, affiliation.id)
    hub, _ = world.call(hub_services.create_hub, rita, {"name": "Lookups"})
    thread, post, _ = world.call(hub_threads.start_thread, rita, hub.id,
                                 {"title": "A thread", "text": "To look up"})
    question, _ = world.call(questions.ask_question, rita,
                             {"text": "A question to look up", "reach": "connections"})
    opportunity = world.call(opportunities.post_opportunity, admin_reseau, {
        "kind": "job", "title": "A job to look up", "text": "Twenty characters at least, here.",
        "organisation_id": org.id})
    opportunity_relay, _ = world.call(opportunities.relay_opportunity, sam, opportunity.id,
                                      {"member_id": tom})
    referral_request, _ = world.call(opportunities.ask_for_referral, rita, opportunity.id,
                                     {"member_id": sam})
    with app.app_context():  # a person on another server asked to connect with Rita
        from maillon.federation.models import RemoteActor, RemoteConnection

        reseau = world.instance()
        remote = RemoteActor(instance_id=reseau.id, uri=REMOTE_ACTOR, inbox=f"{REMOTE_ACTOR}/inbox",
                             handle="bob@remote.example", name="Bob Remote")
        db.session.add(remote)
        db.session.flush()
        db.session.add(RemoteConnection(instance_id=reseau.id, member_id=rita,
                                        remote_actor_id=remote.id, status="requested",
                                        follow_id="https://remote.example/follows/1"))
        from maillon.introductions.models import IncomingIntroduction

        # ... and forwarded her someone's introduction request (decision 56a)
        db.session.add(IncomingIntroduction(instance_id=reseau.id, member_id=rita,
                                            carrier_id=remote.id, requester_id=remote.id,
                                            offer_id="https://remote.example/offers/1",
                                            content="", status="waiting"))
        db.session.commit()
    return Foreign(rita=rita, sam=sam, tom=tom, rita_email=email, connection=connection.id,
                   recommendation=recommendation.id, notification=notification,
                   introduction=intro.id, experience=ids[0], education=ids[1],
                   api_token=api_token, login_token=login_token, moderator=moderator,
                   moderator_reseau=moderator_reseau, sanction=warning.id, appeal=appeal.id,
                   report=report.id, admin=admin, admin_reseau=admin_reseau,
                   batch=batch.id, organisation=org.id, affiliation=affiliation.id,
                   hub=hub.id, thread=thread.id, post=post.id, question=question.id,
                   opportunity=opportunity.id, opportunity_relay=opportunity_relay.id,
                   referral_request=referral_request.id)


@dataclass
class Call:
    """How to call one service through acme: ``call(session, acme, f, member)``."""

    service: str
    call: Callable[[Session, Instance, Foreign, Callable[[int], Member]], Any]
    control: Callable[[Session, Instance, Foreign, Callable[[int], Member]], Any] | None = None


# Each case names the service it calls (``module.function``); ``control`` is the same call
# through reseau, which must find the row: the case then really points at an existing row.
CASES = [
    Call("members.find_member",
         lambda s, i, f, m: members.find_member(s, i, f.rita)),
    Call("members.get_member",
         lambda s, i, f, m: members.get_member(s, i, f.rita)),
    Call("members.access_member",
         lambda s, i, f, m: members.access_member(s, i, m(f.moderator), f.rita)),
    Call("members.access_member (anonymous)",
         lambda s, i, f, m: members.access_member(s, i, None, f.rita)),
    Call("experiences.get_experience",
         lambda s, i, f, m: experiences.get_experience(s, m(f.moderator), f.experience),
         lambda s, i, f, m: experiences.get_experience(s, m(f.rita), f.experience)),
    Call("experiences.get_education",
         lambda s, i, f, m: experiences.get_education(s, m(f.moderator), f.education),
         lambda s, i, f, m: experiences.get_education(s, m(f.rita), f.education)),
    Call("accounts.find_member_by_email",
         lambda s, i, f, m: accounts.find_member_by_email(s, i, f.rita_email)),
    Call("accounts.get_member_for_update",
         lambda s, i, f, m: accounts.get_member_for_update(s, i, f.rita)),
    Call("accounts.find_member_by_api_token",
         lambda s, i, f, m: accounts.find_member_by_api_token(s, i, f.api_token)),
    Call("accounts.load_login_session",
         lambda s, i, f, m: accounts.load_login_session(s, i, f.login_token)),
    Call("network.find_connection_between",
         lambda s, i, f, m: network.find_connection_between(s, i, f.rita, f.sam)),
    Call("network.access_connection",
         lambda s, i, f, m: network.access_connection(s, i, m(f.rita), f.connection)),
    Call("endorsements.find_endorsement",
         lambda s, i, f, m: endorsements.find_endorsement(s, i, f.rita, f.sam, "Python")),
    Call("recommendations.find_recommendation",
         lambda s, i, f, m: recommendations.find_recommendation(s, i, f.sam, f.rita)),
    Call("recommendations.access_recommendation",
         lambda s, i, f, m: recommendations.access_recommendation(s, i, None, f.recommendation)),
    Call("recommendations.find_open_request",
         lambda s, i, f, m: recommendations.find_open_request(s, i, f.rita, f.sam)),
    Call("notifications.access_notification",
         lambda s, i, f, m: notifications.access_notification(s, i, m(f.rita), f.notification)),
    Call("records.access_introduction",
         lambda s, i, f, m: records.access_introduction(s, i, m(f.moderator), f.introduction),
         lambda s, i, f, m: records.access_introduction(s, i, m(f.rita), f.introduction)),
    Call("records.access_introduction (its own requester)",
         lambda s, i, f, m: records.access_introduction(s, i, m(f.rita), f.introduction)),
    Call("moderation.access_staff",
         lambda s, i, f, m: moderation.access_staff(i, m(f.moderator_reseau)),
         lambda s, i, f, m: moderation.access_staff(i, m(f.moderator_reseau))),
    Call("sanctions.access_moderated_member",
         lambda s, i, f, m: sanctions.access_moderated_member(s, i, m(f.moderator), f.tom),
         lambda s, i, f, m: sanctions.access_moderated_member(s, i, m(f.moderator_reseau),
                                                              f.tom)),
    Call("sanctions.access_sanction",
         lambda s, i, f, m: sanctions.access_sanction(s, i, m(f.moderator), f.sanction),
         lambda s, i, f, m: sanctions.access_sanction(s, i, m(f.moderator_reseau), f.sanction)),
    Call("sanctions.access_sanction (its own member)",
         lambda s, i, f, m: sanctions.access_sanction(s, i, m(f.tom), f.sanction)),
    Call("sanctions.access_appeal",
         lambda s, i, f, m: sanctions.access_appeal(s, i, m(f.moderator), f.appeal),
         lambda s, i, f, m: sanctions.access_appeal(s, i, m(f.moderator_reseau), f.appeal)),
    Call("sanctions.find_appeal_of",
         lambda s, i, f, m: sanctions.find_appeal_of(s, i, s.get(Sanction, f.sanction))),
    Call("moderation.access_for_staff",
         lambda s, i, f, m: moderation.access_for_staff(s, i, m(f.moderator), Report, f.report),
         lambda s, i, f, m: moderation.access_for_staff(s, i, m(f.moderator_reseau), Report,
                                                        f.report)),
    Call("reports.access_report",
         lambda s, i, f, m: reports.access_report(s, i, m(f.moderator), f.report),
         lambda s, i, f, m: reports.access_report(s, i, m(f.moderator_reseau), f.report)),
    Call("reports.access_subject",
         lambda s, i, f, m: reports.access_subject(s, i, m(f.moderator), "member", f.rita),
         lambda s, i, f, m: reports.access_subject(s, i, m(f.tom), "member", f.rita)),
    Call("reports.access_subject (an introduction)",
         lambda s, i, f, m: reports.access_subject(s, i, m(f.moderator), "introduction",
                                                   f.introduction),
         lambda s, i, f, m: reports.access_subject(s, i, m(f.sam), "introduction",
                                                   f.introduction)),
    Call("reports.access_subject (a recommendation)",
         lambda s, i, f, m: reports.access_subject(s, i, m(f.moderator), "recommendation",
                                                   f.recommendation),
         lambda s, i, f, m: reports.access_subject(s, i, m(f.tom), "recommendation",
                                                   f.recommendation)),
    Call("bulk.access_batch",
         lambda s, i, f, m: bulk_invitations.access_batch(s, i, m(f.admin), f.batch),
         lambda s, i, f, m: bulk_invitations.access_batch(s, i, m(f.admin_reseau), f.batch)),
    Call("federation_policy.find_policy",
         lambda s, i, f, m: federation_policy.find_policy(s, i),
         lambda s, i, f, m: federation_policy.find_policy(s, i)),
    Call("federation_policy.get_policy",
         lambda s, i, f, m: federation_policy.get_policy(s, i, m(f.admin_reseau)),
         lambda s, i, f, m: federation_policy.get_policy(s, i, m(f.admin_reseau))),
    Call("federation_keys.find_key",
         lambda s, i, f, m: federation_keys.find_key(s, i, m(f.rita))),
    Call("federation_members.find_federated_member",
         lambda s, i, f, m: federation_members.find_federated_member(s, i, f.rita)),
    Call("federation_members.find_published_member",
         lambda s, i, f, m: federation_members.find_published_member(s, i, member_id=f.rita)),
    Call("federation_members.find_published_member (by handle)",
         lambda s, i, f, m: federation_members.find_published_member(s, i,
                                                                     handle="rita.reseau")),
    Call("organisations.find_organisation",
         lambda s, i, f, m: organisations.find_organisation(s, i, f.organisation)),
    Call("organisations.get_organisation",
         lambda s, i, f, m: organisations.get_organisation(s, i, f.organisation)),
    Call("organisations.access_organisation",
         lambda s, i, f, m: organisations.access_organisation(s, i, m(f.admin), f.organisation),
         lambda s, i, f, m: organisations.access_organisation(s, i, m(f.rita), f.organisation)),
    Call("organisations.access_managed_organisation",
         lambda s, i, f, m: organisations.access_managed_organisation(s, i, m(f.admin),
                                                                      f.organisation),
         lambda s, i, f, m: organisations.access_managed_organisation(s, i, m(f.admin_reseau),
                                                                      f.organisation)),
    Call("organisations.find_affiliation",
         lambda s, i, f, m: organisations.find_affiliation(s, i, f.organisation, f.sam)),
    Call("organisations.access_affiliation",
         lambda s, i, f, m: organisations.access_affiliation(s, i, m(f.admin), f.affiliation),
         lambda s, i, f, m: organisations.access_affiliation(s, i, m(f.rita), f.affiliation)),
    Call("reach.access_reach_viewer",
         lambda s, i, f, m: reach.access_reach_viewer(s, i, m(f.admin), f.organisation),
         lambda s, i, f, m: reach.access_reach_viewer(s, i, m(f.sam), f.organisation)),
    Call("introducers.find_introducers",
         lambda s, i, f, m: introducers.find_introducers(s, i, m(f.admin), f.organisation,
                                                         target_id=f.tom),
         lambda s, i, f, m: introducers.find_introducers(s, i, m(f.sam), f.organisation,
                                                         target_id=f.tom)),
    Call("introducers.find_introducers (an organisation target)",
         lambda s, i, f, m: introducers.find_introducers(
             s, i, m(f.admin), f.organisation, target_organisation_id=f.organisation),
         lambda s, i, f, m: introducers.find_introducers(
             s, i, m(f.admin_reseau), f.organisation, target_organisation_id=f.organisation)),
    Call("hubs.find_hub",
         lambda s, i, f, m: hub_services.find_hub(s, i, f.hub)),
    Call("hubs.find_membership",
         lambda s, i, f, m: hub_services.find_membership(s, i, f.hub, f.rita)),
    Call("hubs.access_hub",
         lambda s, i, f, m: hub_services.access_hub(s, i, m(f.moderator), f.hub),
         lambda s, i, f, m: hub_services.access_hub(s, i, m(f.tom), f.hub)),
    Call("hubs.access_hub (its own creator)",
         lambda s, i, f, m: hub_services.access_hub(s, i, m(f.rita), f.hub)),
    Call("threads.access_thread",
         lambda s, i, f, m: hub_threads.access_thread(s, i, m(f.moderator), f.thread),
         lambda s, i, f, m: hub_threads.access_thread(s, i, m(f.tom), f.thread)),
    Call("threads.access_post",
         lambda s, i, f, m: hub_threads.access_post(s, i, m(f.moderator), f.post),
         lambda s, i, f, m: hub_threads.access_post(s, i, m(f.tom), f.post)),
    Call("threads.access_own_post",
         lambda s, i, f, m: hub_threads.access_own_post(s, i, m(f.rita), f.post)),
    Call("reports.access_subject (a post)",
         lambda s, i, f, m: reports.access_subject(s, i, m(f.moderator), "post", f.post),
         lambda s, i, f, m: reports.access_subject(s, i, m(f.tom), "post", f.post)),
    Call("questions.access_question",
         lambda s, i, f, m: questions.access_question(s, i, m(f.moderator), f.question),
         lambda s, i, f, m: questions.access_question(s, i, m(f.sam), f.question)),
    Call("questions.access_question (its own asker)",
         lambda s, i, f, m: questions.access_question(s, i, m(f.rita), f.question)),
    Call("opportunities.get_opportunity",
         lambda s, i, f, m: opportunities.get_opportunity(s, i, m(f.moderator), f.opportunity),
         lambda s, i, f, m: opportunities.get_opportunity(s, i, m(f.rita), f.opportunity)),
    Call("opportunities.access_opportunity",
         lambda s, i, f, m: opportunities.access_opportunity(s, i, m(f.moderator),
                                                             f.opportunity),
         lambda s, i, f, m: opportunities.access_opportunity(s, i, m(f.sam), f.opportunity)),
    Call("opportunities.access_relay",
         lambda s, i, f, m: opportunities.access_relay(s, i, m(f.moderator),
                                                       f.opportunity_relay),
         lambda s, i, f, m: opportunities.access_relay(s, i, m(f.tom), f.opportunity_relay)),
    Call("opportunities.access_referral_request",
         lambda s, i, f, m: opportunities.access_referral_request(s, i, m(f.moderator),
                                                                  f.referral_request),
         lambda s, i, f, m: opportunities.access_referral_request(s, i, m(f.sam),
                                                                  f.referral_request)),
    Call("federation_connections.find_remote_actor",
         lambda s, i, f, m: federation_connections.find_remote_actor(s, i, REMOTE_ACTOR)),
    Call("federation_connections.access_remote_connection",
         lambda s, i, f, m: federation_connections.access_remote_connection(
             s, i, m(f.rita), _remote_connection_id(s))),
    Call("incoming.access_incoming_introduction",
         lambda s, i, f, m: incoming.access_incoming_introduction(
             s, i, m(f.rita), _incoming_introduction_id(s))),
    Call("crossing.find_remote_target",
         lambda s, i, f, m: crossing.find_remote_target(s, i, _remote_actor_id(s))),
    Call("federation_outgoing.connection_state",
         lambda s, i, f, m: federation_outgoing.connection_state(s, i, m(f.rita), REMOTE_ACTOR)),
    Call("federation_outgoing.list_remote_contacts",
         lambda s, i, f, m: federation_outgoing.list_remote_contacts(s, i, m(f.moderator),
                                                                     f.rita),
         lambda s, i, f, m: federation_outgoing.list_remote_contacts(s, i, m(f.rita), f.rita)),
    Call("routing.find_chains",
         lambda s, i, f, m: routing.find_chains(s, i, m(f.moderator), f.tom),
         lambda s, i, f, m: routing.find_chains(s, i, m(f.rita), f.tom)),
]

#: Lookup-named functions that find no tenant-owned row, and why.
NOT_TENANT_LOOKUPS = {
    "tenancy.services.find_instance_by_slug": "finds the tenant itself",
    "tenancy.services.get_instance_by_slug": "finds the tenant itself",
    "tenancy.registry.get_registry": "the app's parsed instance configs",
    "finder.indexing.get_index": "opens the search index named by its instance's slug",
    "notifications.services.get_kind": "a registered notification kind (code, not rows)",
    "api.members.get_me": "HTTP handler, request only: the member resolved from the token",
    "api.members.get_member": "HTTP handler over members.access_member (listed)",
    "api.introductions.get_introduction": "HTTP handler over records.access_introduction",
    "api.reports.get_report": "HTTP handler over reports.access_report (listed)",
    "api.invitations.get_batch": "HTTP handler over bulk_invitations.access_batch (listed)",
    "api.federation.get_federation": "HTTP handler over federation.policy.get_policy (listed)",
    "api.appearance.get_appearance": "HTTP handler over appearance.list_options (no ids)",
    "api.organisations.get_organisation": "HTTP handler over access_organisation (listed)",
    "api.organisations.get_reach": "HTTP handler over reach.access_reach_viewer (listed)",
    "api.organisations.get_introducers": "HTTP handler over find_introducers (listed)",
    "operators.instances.access_instance": "the operator's: every instance, by slug",
    "operators.accounts.find_operator_by_session": "operators belong to the deployment",
    "api.hubs.get_hub": "HTTP handler over hubs.access_hub (listed)",
    "api.hubs.get_thread": "HTTP handler over threads.list_posts / access_thread (listed)",
    "api.questions.get_question": "HTTP handler over questions.access_question (listed)",
    "api.opportunities.get_opportunity": "HTTP handler over "
                                         "opportunities.access_opportunity (listed)",
    "api.federation.get_deliveries": "HTTP handler over delivery.delivery_overview (staff)",
    "federation.remote_keys.find_remote_key": "a cache of remote servers' public keys, shared "
                                              "by the instances (no tenant's rows)",
}

#: Where each case's module lives, to match the functions defined in the package.
MODULES = {
    "members": "members.services", "experiences": "members.experiences",
    "accounts": "accounts.services",
    "network": "network.services", "endorsements": "network.endorsements",
    "recommendations": "network.recommendations", "notifications": "notifications.services",
    "records": "introductions.records", "crossing": "introductions.crossing",
    "incoming": "introductions.incoming",
    "routing": "introductions.routing",
    "moderation": "moderation.services", "sanctions": "moderation.sanctions",
    "reports": "moderation.reports", "bulk": "accounts.bulk_invitations",
    "federation_policy": "federation.policy", "federation_keys": "federation.keys",
    "federation_members": "federation.membership",
    "organisations": "organisations.services", "reach": "organisations.reach",
    "introducers": "organisations.introducers",
    "hubs": "hubs.services", "threads": "hubs.threads", "questions": "questions.services",
    "opportunities": "opportunities.services",
    "federation_connections": "federation.connections",
    "federation_outgoing": "federation.outgoing",
}


def _incoming_introduction_id(session: Session) -> int:
    from maillon.introductions.models import IncomingIntroduction

    found = session.scalar(select(IncomingIntroduction.id))
    assert found is not None
    return found


def _remote_actor_id(session: Session) -> int:
    from maillon.federation.models import RemoteActor

    found = session.scalar(select(RemoteActor.id).where(RemoteActor.uri == REMOTE_ACTOR))
    assert found is not None
    return found


def _remote_connection_id(session: Session) -> int:
    from maillon.federation.models import RemoteConnection

    found = session.scalar(select(RemoteConnection.id))
    assert found is not None
    return found


def _member_getter(session: Session) -> Callable[[int], Member]:
    def get(member_id: int) -> Member:
        member = session.scalar(select(Member).where(Member.id == member_id))
        assert member is not None
        return member

    return get


def _instance(session: Session, slug: str) -> Instance:
    row = session.scalar(select(Instance).where(Instance.slug == slug))
    assert row is not None
    return row


def _not_found(outcome: Callable[[], Any]) -> bool:
    try:
        result = outcome()
    except NotFound:
        return True
    except ServiceError as error:
        return error.status == 404
    return result is None


@pytest.mark.parametrize("case", CASES, ids=[c.service for c in CASES])
def test_another_instances_row_is_not_found_without_a_request(
    app: Flask, foreign: Foreign, case: Call
) -> None:
    with app.app_context():  # no request: no tenant net, as in the CLI and the worker
        session = db.session
        assert session.info.get("instance_id") is None
        get = _member_getter(session)
        assert not _not_found(lambda: (case.control or case.call)(
            session, _instance(session, "reseau"), foreign, get)), "the control finds the row"
        session.rollback()

        assert _not_found(lambda: case.call(session, _instance(session, "acme"), foreign, get))


def test_every_lookup_service_is_listed() -> None:
    listed = {f"{MODULES[c.service.split('.')[0]]}.{c.service.split('.')[1].split(' ')[0]}"
              for c in CASES}
    defined, lookups = set(), set()
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        module = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef):
                defined.add(f"{module}.{node.name}")
                if node.name.startswith(("access_", "get_", "find_")):
                    lookups.add(f"{module}.{node.name}")

    assert lookups - listed - set(NOT_TENANT_LOOKUPS) == set(), "lookups without a case"
    assert listed | set(NOT_TENANT_LOOKUPS) <= defined, "cases of services that no longer exist"
