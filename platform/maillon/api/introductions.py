"""Chains, introduction requests and their relay, and direct messages (docs/api.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from flask import g, request
from pydantic import BaseModel, Field, model_validator

from maillon.api.errors import read_json_object, validate_body, validate_query
from maillon.api.idempotency import Reply
from maillon.api.registry import MAX_ID, operation
from maillon.api.schemas import Profile
from maillon.db import db
from maillon.federation.connections import find_remote_actor
from maillon.federation.outgoing import remember_remote_person
from maillon.introductions import incoming, incoming_relay, services
from maillon.introductions.models import DirectMessage, IncomingIntroduction, Introduction
from maillon.introductions.validation import (
    Advice,
    Answer,
    BlockReason,
    DeclineNote,
    DirectMessageText,
    IntroductionRequest,
    PassOn,
    RelayNote,
    Thanks,
)
from maillon.members.models import Member
from maillon.members.serialisation import load_profiles, profile_dict, profile_dicts
from maillon.validation import Choice

TAG = "introductions"


def _person(member: Member | None, viewer: Member) -> dict[str, Any] | None:
    return None if member is None else profile_dict(member, viewer)


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# ---------------------------------------------------------------------- paths


class PathsArgs(BaseModel):
    limit: int = Field(3, ge=1, le=10)


class PathOut(BaseModel):
    hops: int = Field(description="Links: a direct connection is 1.")
    trust: float = Field(description="The chain's chance as the caller may know it, in "
                         "(0, 1]: the caller's own rating on their link, every other link at "
                         "its coarse level. Paths come best first by this figure.")
    members: list[Profile | None] = Field(description="Intermediaries in order; null where "
                                          "the instance's chain visibility hides them, and "
                                          "next to a target whose contacts are hidden from "
                                          "the caller.")


class PathsOut(BaseModel):
    degree: int | None
    paths: list[PathOut]


@operation("GET", "/members/<int:member_id>/paths", summary="Chains to a member", tag=TAG,
           description="Query: limit (1-10, default 3). Best first.",
           responses={200: ("Chains, as the caller may see them", PathsOut),
                      404: "not_found (also for another instance's id)",
                      422: "validation_failed"})
def member_paths(member: Member, member_id: int) -> Reply:
    args = validate_query(PathsArgs)
    found = services.find_chains(db.session, g.instance, member, member_id, limit=args.limit)
    people = list({m.id: m for p in found.paths for m in p.members if m is not None}.values())
    profiles = dict(zip((m.id for m in people), profile_dicts(db.session, people, member),
                        strict=True))  # the intermediaries' profiles in two plain queries
    return {"degree": found.degree, "paths": [
        {"hops": p.hops, "trust": round(p.trust, 6),
         "members": [None if m is None else profiles[m.id] for m in p.members]}
        for p in found.paths]}, 200


# ---------------------------------------------------------------------- introductions


class IntroductionIn(IntroductionRequest):
    target_id: int | None = Field(None, ge=1, le=MAX_ID, description="A member of the "
                                  "instance; or give remote_target_id.")
    remote_target: str | None = Field(
        None, min_length=1, max_length=500, description="A person on another server, by the "
        "id the API gives them (their actor URL, as in GET /members/{id}/remote-contacts): "
        "the chain runs to one of their contacts here, who forwards it across (decision 56).")
    via_member_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="With remote_target_id: the member here who "
        "should carry it across (one of their contacts); default: the nearest.")
    path: int = Field(0, ge=0, le=9, description="Index into GET /members/{id}/paths.")

    @model_validator(mode="after")
    def _one_target(self) -> IntroductionIn:
        if (self.target_id is None) == (self.remote_target is None):
            raise ValueError("give either target_id or remote_target")
        return self


class IntroductionState(BaseModel):
    id: int
    status: str
    hops: int
    current_hop: int = Field(description="1 is the first intermediary; equals hops once "
                             "delivered to the target.")


class IntroductionOut(IntroductionState):
    model_config = {"extra": "allow"}

    current_hop: int | None = Field(  # type: ignore[assignment]
        description="As in IntroductionState; null for the requester of a declined or expired "
        "request, whose progress would point at who stopped it.")
    role: str
    purpose: str
    message: str
    events: list[dict[str, Any]]


class IntroductionList(BaseModel):
    total: int
    results: list[IntroductionOut]


class ListArgs(BaseModel):
    role: Annotated[str, Choice(services.ROLES)] = "sent"
    page: int = Field(1, ge=1, le=10_000)
    per_page: int = Field(20, ge=1, le=100)


class ForwardIn(RelayNote):
    """``note``: private, for the next member only; ``vouch``: the target will see it."""

    to_member_id: int | None = Field(None, ge=1, le=MAX_ID,
                                     description="Reroute to this contact.")


class DeclineIn(DeclineNote):
    """``reason``: seen upstream only."""


class AdviseIn(Advice):
    pass


class ThankIn(Thanks):
    pass


class AnswerIn(Answer):
    connect: bool = Field(False, description="accept only: also invite the requester to "
                          "connect.")




def _people(data: dict[str, Any]) -> list[Member]:
    """Every member a view shows (its profiles are read in one go)."""
    found = [data["requester"], data["target"], data["holder"], *data["chain"],
             *(v["by"] for v in data["vouches"]),
             *(e["actor"] for e in data["events"]), *(e["data"].get("to") for e in data["events"])]
    return [m for m in found if isinstance(m, Member)]


def _shape(data: dict[str, Any], viewer: Member) -> dict[str, Any]:
    """The JSON shape of ``introduction_view``."""
    out = {key: value for key, value in data.items() if key not in (
        "introduction", "requester", "target", "chain", "holder", "vouches", "events")}
    for key in ("deadline", "created_at", "delivered_at", "closed_at"):
        out[key] = _when(data[key])
    out.update(
        requester=_person(data["requester"], viewer), target=_person(data["target"], viewer),
        chain=[_person(m, viewer) for m in data["chain"]],
        holder=_person(data["holder"], viewer),
        vouches=[{"by": _person(v["by"], viewer), "text": v["text"]} for v in data["vouches"]],
        events=[{**{k: v for k, v in e.items() if k not in ("actor", "at", "data")},
                 "at": _when(e["at"]), "actor": _person(e["actor"], viewer),
                 "data": {k: (_person(v, viewer) if k == "to" else v)
                          for k, v in e["data"].items()}} for e in data["events"]])
    return out


def _views(intros: list[Introduction], viewer: Member) -> list[dict[str, Any]]:
    """The JSON shapes of several requests, in a constant number of queries."""
    views = services.introduction_views(db.session, g.instance, intros, viewer)
    load_profiles(db.session, [m for data in views for m in _people(data)])
    return [_shape(data, viewer) for data in views]


def _view(intro: Introduction, viewer: Member) -> dict[str, Any]:
    return _views([intro], viewer)[0]


def _intro(intro_id: int, member: Member) -> Introduction:
    return services.access_introduction(db.session, g.instance, member, intro_id)


@operation("POST", "/introductions", summary="Ask to be introduced", tag=TAG,
           body=IntroductionIn, idempotent=True,
           description="A first-degree connection receives it at once (status delivered).",
           responses={201: ("The request", IntroductionState),
                      403: "target_not_reachable, purpose_not_accepted, quota_exceeded, "
                      "federation_off, not_federated, server_refused",
                      404: "not_found, remote_not_found", 422: "validation_failed, "
                      "cannot_introduce_self, already_connected",
                      502: "remote_unreachable"})
def create_introduction(member: Member, body: IntroductionIn) -> Reply:
    remote_target_id = None
    if body.remote_target is not None:
        remote = find_remote_actor(db.session, g.instance, body.remote_target)
        if remote is None:  # someone not met yet: looked up on their server, and kept
            remote = remember_remote_person(db.session, g.instance, member,
                                            body.remote_target)
            db.session.commit()
        remote_target_id = remote.id
    intro = services.request_introduction(db.session, g.instance, member, body.target_id,
                                          message=body.message, purpose=body.purpose,
                                          path_index=body.path,
                                          remote_target_id=remote_target_id,
                                          via_member_id=body.via_member_id)
    return {"id": intro.id, "status": intro.status, "hops": intro.hops,
            "current_hop": intro.current_hop}, 201


@operation("GET", "/introductions", summary="The caller's introductions", tag=TAG,
           description="Query: role (sent, relaying, received; default sent), page, per_page.",
           responses={200: ("Newest first", IntroductionList), 422: "validation_failed"})
def list_introductions(member: Member) -> Reply:
    args = validate_query(ListArgs)
    total, rows = services.list_introductions(db.session, g.instance, member, args.role,
                                              args.page, args.per_page)
    return {"total": total, "results": _views(rows, member)}, 200


@operation("GET", "/introductions/<int:intro_id>", summary="An introduction", tag=TAG,
           responses={200: ("The request as the caller may see it, with its events",
                            IntroductionOut),
                      404: "not_found (not the caller's, or another instance's)"})
def get_introduction(member: Member, intro_id: int) -> Reply:
    # Staff who are not part of it: no private texts, and the view is recorded.
    intro = services.open_introduction(db.session, g.instance, member, intro_id,
                                      ip=request.remote_addr or "")
    return _view(intro, member), 200


_RELAY_ERRORS = {403: "not_current_hop", 404: "not_found", 409: "already_closed",
                 422: "validation_failed"}


@operation("POST", "/introductions/<int:intro_id>/forward", summary="Pass it on", tag=TAG,
           body=ForwardIn, idempotent=True,
           responses={200: ("The request", IntroductionOut), **_RELAY_ERRORS,
                      422: "validation_failed, not_a_contact, cannot_reroute_to, "
                      "no_route_from_there"})
def forward_introduction(member: Member, intro_id: int, body: ForwardIn) -> Reply:
    intro = services.forward_introduction(db.session, g.instance, member, intro_id,
                                          note=body.note, vouch=body.vouch,
                                          to_member_id=body.to_member_id)
    return _view(intro, member), 200


@operation("POST", "/introductions/<int:intro_id>/decline", summary="Decline to pass it on",
           tag=TAG, body=DeclineIn, idempotent=True,
           responses={200: ("The request", IntroductionOut), **_RELAY_ERRORS})
def decline_introduction(member: Member, intro_id: int, body: DeclineIn) -> Reply:
    intro = services.decline_introduction(db.session, g.instance, member, intro_id,
                                          reason=body.reason)
    return _view(intro, member), 200


@operation("POST", "/introductions/<int:intro_id>/advise", summary="Advise instead", tag=TAG,
           body=AdviseIn, idempotent=True,
           responses={200: ("The request, ended with advice", IntroductionOut),
                      **_RELAY_ERRORS})
def advise_introduction(member: Member, intro_id: int, body: AdviseIn) -> Reply:
    intro = services.advise_introduction(db.session, g.instance, member, intro_id,
                                         advice=body.advice)
    return _view(intro, member), 200


_TARGET_ERRORS = {403: "not_target", 404: "not_found", 409: "already_closed",
                  422: "validation_failed"}


@operation("POST", "/introductions/<int:intro_id>/accept", summary="Accept (target)", tag=TAG,
           body=AnswerIn, idempotent=True,
           responses={200: ("The request, with the other side's contact", IntroductionOut),
                      **_TARGET_ERRORS})
def accept_introduction(member: Member, intro_id: int, body: AnswerIn) -> Reply:
    intro = services.accept_introduction(db.session, g.instance, member, intro_id,
                                         message=body.message, connect=body.connect)
    return _view(intro, member), 200


@operation("POST", "/introductions/<int:intro_id>/reject", summary="Reject (target)", tag=TAG,
           body=AnswerIn, idempotent=True,
           responses={200: ("The request", IntroductionOut), **_TARGET_ERRORS})
def reject_introduction(member: Member, intro_id: int, body: AnswerIn) -> Reply:
    intro = services.reject_introduction(db.session, g.instance, member, intro_id,
                                         message=body.message)
    return _view(intro, member), 200


@operation("POST", "/introductions/<int:intro_id>/thank", summary="Thank the chain (target)",
           tag=TAG, body=ThankIn, idempotent=True,
           responses={200: ("The request", IntroductionOut), **_TARGET_ERRORS,
                      409: "not_accepted"})
def thank_chain(member: Member, intro_id: int, body: ThankIn) -> Reply:
    intro = services.thank_chain(db.session, g.instance, member, intro_id,
                                 message=body.message)
    return _view(intro, member), 200


@operation("POST", "/introductions/<int:intro_id>/withdraw", summary="Withdraw (requester)",
           tag=TAG, idempotent=True,
           responses={200: ("The request", IntroductionOut), 403: "not_requester",
                      404: "not_found", 409: "already_closed"})
def withdraw_introduction(member: Member, intro_id: int) -> Reply:
    intro = services.withdraw_introduction(db.session, g.instance, member, intro_id)
    return _view(intro, member), 200


class IncomingPerson(BaseModel):
    id: str = Field(description="Their actor URL.")
    name: str
    handle: str
    server: str


class IncomingMember(BaseModel):
    id: int
    name: str


class IncomingVouch(BaseModel):
    by: IncomingMember | None
    text: str


class IncomingTurn(BaseModel):
    status: str = Field(description="waiting, forwarded, declined, expired or withdrawn.")
    position: int = Field(description="0: the member the Offer was addressed to.")
    deadline: str | None
    acted_at: str | None


class IncomingIntroductionOut(BaseModel):
    id: int
    status: str = Field(description="relaying (a relay here holds it), waiting (for the "
                        "target's answer), accepted, declined, withdrawn, or stopped (on the "
                        "way here).")
    role: str = Field(description="target (the caller answers) or relay (the chain continues "
                      "here and the caller passes it on or declines: decision 62).")
    can_act: bool = Field(description="Whether the caller's action is awaited now.")
    requester: IncomingPerson
    carrier: IncomingPerson = Field(description="Who introduced them: a connection, on their "
                                    "server, of the member it was addressed to.")
    target: IncomingMember | None = Field(description="The member they want to meet, when the "
                                          "chain continues here; null: the caller.")
    passed_by: IncomingMember | None = Field(description="The member here who passed it to "
                                             "the caller (null: the carrier).")
    passed_to: IncomingMember | None = Field(description="Whom the caller passed it to.")
    chain: list[IncomingMember] = Field(description="For the target: the members here who "
                                        "passed it on, in order.")
    vouches: list[IncomingVouch] = Field(description="The vouches meant for the caller: the "
                                         "one passed to a relay, every one for the target.")
    turn: IncomingTurn | None = Field(description="The caller's turn as a relay here.")
    content: str = Field(description="Their message and the carrier's vouch, as plain text.")
    created_at: str
    answered_at: str | None


class IncomingIntroductionList(BaseModel):
    results: list[IncomingIntroductionOut]


class PassOnIn(PassOn):
    """``vouch``: read by the next person on the chain and by the target."""


def _incoming_views(rows: list[IncomingIntroduction], viewer: Member) -> list[dict[str, Any]]:
    def person(actor: Any) -> dict[str, Any]:
        return {"id": actor.uri, "name": actor.name, "handle": actor.handle,
                "server": actor.server}

    def ref(member: Member | None) -> dict[str, Any] | None:
        return None if member is None else {"id": member.id, "name": member.name}

    out = []
    for view in incoming_relay.incoming_views(db.session, g.instance, rows, viewer):
        row, turn = view["row"], view["turn"]
        out.append({
            "id": row.id, "status": row.status, "role": view["role"],
            "can_act": view["can_act"], "requester": person(row.requester),
            "carrier": person(row.carrier), "target": ref(view["target"]),
            "passed_by": ref(view["passed_by"]), "passed_to": ref(view["passed_to"]),
            "chain": [ref(m) for m in view["chain"] if m is not None],
            "vouches": [{"by": ref(who), "text": text} for who, text in view["vouches"]],
            "turn": None if turn is None else {
                "status": turn.status, "position": turn.position,
                "deadline": _when(turn.deadline), "acted_at": _when(turn.acted_at)},
            "content": row.content, "created_at": _when(row.created_at),
            "answered_at": _when(row.answered_at)})
    return out


def _incoming(row: IncomingIntroduction, viewer: Member) -> dict[str, Any]:
    return _incoming_views([row], viewer)[0]


@operation("GET", "/introductions/incoming", summary="Introductions from other servers",
           tag=TAG, description="Requests people on other servers sent the caller through "
           "one of the caller's connections there (decision 56a), and those the caller holds "
           "or held as a relay when the chain continues here (decision 62); open ones first, "
           "at most 200.",
           responses={200: ("Open first, then newest", IncomingIntroductionList)})
def list_incoming(member: Member) -> Reply:
    rows = incoming.list_incoming_introductions(db.session, g.instance, member)
    return {"results": _incoming_views(rows, member)}, 200


_ANSWER_ERRORS: dict[int, Any] = {200: ("The request", IncomingIntroductionOut),
                                  404: "not_found", 409: "already_answered"}


@operation("POST", "/introductions/incoming/<int:incoming_id>/accept",
           summary="Accept an introduction from another server", tag=TAG, idempotent=True,
           description="By the member it is for: an Accept of their Offer, signed by the "
           "caller, goes to the carrier's server and the caller's Follow to the requester "
           "(connected once they accept or follow back). Accepting again changes nothing.",
           responses={**_ANSWER_ERRORS, 403: "not_target"})
def accept_incoming(member: Member, incoming_id: int) -> Reply:
    row = incoming.answer_incoming_introduction(db.session, g.instance, member, incoming_id,
                                                accept=True)
    return _incoming(row, member), 200


@operation("POST", "/introductions/incoming/<int:incoming_id>/decline",
           summary="Decline an introduction from another server", tag=TAG, idempotent=True,
           description="By the member it is for: a Reject of their Offer, signed by the "
           "caller. By a relay here who holds it (decision 62): the request ends here and a "
           "Reject signed by the member it was addressed to goes back; an optional JSON body "
           "``{\"reason\": ...}`` stays here (read by nobody else). Declining again changes "
           "nothing.", responses={**_ANSWER_ERRORS, 403: "not_current_hop",
                                  422: "validation_failed"})
def decline_incoming(member: Member, incoming_id: int) -> Reply:
    reason = ""
    if request.get_data(cache=True).strip():
        reason = validate_body(DeclineIn, read_json_object()).reason
    row = incoming_relay.decline_incoming(db.session, g.instance, member, incoming_id,
                                          reason=reason)
    return _incoming(row, member), 200


@operation("POST", "/introductions/incoming/<int:incoming_id>/pass",
           summary="Pass on an introduction from another server", tag=TAG, body=PassOnIn,
           idempotent=True,
           description="By the relay here who holds it (decision 62): to the next member of "
           "the chain here, or to the member it is for, with an optional vouch. If no chain "
           "remains it ends here (status stopped; their server gets a Reject). Passing it on "
           "again changes nothing.",
           responses={**_ANSWER_ERRORS, 403: "not_current_hop", 422: "validation_failed"})
def pass_incoming(member: Member, incoming_id: int, body: PassOnIn) -> Reply:
    row = incoming_relay.pass_on(db.session, g.instance, member, incoming_id, vouch=body.vouch)
    return _incoming(row, member), 200


@operation("POST", "/introductions/<int:intro_id>/retry", summary="Try another chain",
           tag=TAG, idempotent=True,
           description="After a decline or an expiry: the next-best chain, avoiding whoever "
           "stopped the request (never named to the requester).",
           responses={200: ("The request, on its new chain", IntroductionOut),
                      403: "not_requester, target_not_reachable, quota_exceeded",
                      404: "not_found", 409: "not_retryable"})
def retry_introduction(member: Member, intro_id: int) -> Reply:
    intro = services.retry_introduction(db.session, g.instance, member, intro_id)
    return _view(intro, member), 200


# ---------------------------------------------------------------------- staff review


class BlockIn(BlockReason):
    """``reason``: the requester reads it."""


_REVIEW_ERRORS = {403: "forbidden (not staff of this instance)",
                  404: "not_found (also another instance's request)"}


class QueuedRequest(BaseModel):
    id: int
    status: str
    purpose: str
    requester: dict[str, Any] = Field(description="{id, name}")
    target: dict[str, Any] = Field(description="{id, name}")
    created_at: str
    reports: int = Field(description="Open reports on it (0 in held).")


class QueueAlert(BaseModel):
    kind: str = Field(description="fan_out, relay_load or declines.")
    member: dict[str, Any] = Field(description="{id, name}")
    count: int
    introduction_ids: list[int]


class ReviewQueueOut(BaseModel):
    held: list[QueuedRequest]
    reported: list[QueuedRequest]
    alerts: list[QueueAlert]


def _queued(intro: Introduction, reports: int = 0) -> dict[str, Any]:
    return {"id": intro.id, "status": intro.status, "purpose": intro.purpose,
            "requester": {"id": intro.requester.id, "name": intro.requester.name},
            "target": {"id": intro.target.id, "name": intro.target.name} if intro.target
            else {"remote": intro.remote_target.uri if intro.remote_target else None,
                  "name": intro.target_name},
            "created_at": _when(intro.created_at), "reports": reports}


@operation("GET", "/admin/introductions/queue", summary="Introductions to review (staff)",
           tag="moderation", description="Held requests (oldest first), requests with open "
           "reports, and the alerts of the last 24 hours (fan_out, relay_load, declines).",
           responses={200: ("The queue", ReviewQueueOut), **_REVIEW_ERRORS})
def review_queue(member: Member) -> Reply:
    queue = services.review_queue(db.session, g.instance, member)
    return {"held": [_queued(i) for i in queue.held],
            "reported": [_queued(i, n) for i, n in queue.reported],
            "alerts": [{"kind": a.kind, "member": {"id": a.member.id, "name": a.member.name},
                        "count": a.count, "introduction_ids": list(a.introduction_ids)}
                       for a in queue.alerts]}, 200


@operation("POST", "/admin/introductions/<int:intro_id>/approve",
           summary="Approve a held request (staff)", tag="moderation", idempotent=True,
           description="It travels as any request: its first relay (or the target) gets it "
           "and is told. Audited (introduction_approved); approving again changes nothing.",
           responses={200: ("The request", IntroductionOut), **_REVIEW_ERRORS,
                      403: "forbidden, target_not_reachable, purpose_not_accepted",
                      409: "not_held (not waiting for review)"})
def approve_introduction(member: Member, intro_id: int) -> Reply:
    intro = services.approve_introduction(db.session, g.instance, member, intro_id,
                                          ip=request.remote_addr or "")
    return _view(intro, member), 200


@operation("POST", "/admin/introductions/<int:intro_id>/block",
           summary="Block a request (staff)", tag="moderation", body=BlockIn, idempotent=True,
           description="Held, travelling or waiting for the target: it stops for good. The "
           "requester is told the reason (notification and e-mail, in their language); "
           "whoever held it is released. Audited (introduction_blocked).",
           responses={200: ("The request, blocked", IntroductionOut), **_REVIEW_ERRORS,
                      409: "already_closed", 422: "validation_failed"})
def block_introduction(member: Member, intro_id: int, body: BlockIn) -> Reply:
    intro = services.block_introduction(db.session, g.instance, member, intro_id,
                                        reason=body.reason, ip=request.remote_addr or "")
    return _view(intro, member), 200


# ---------------------------------------------------------------------- direct messages


class MessageIn(DirectMessageText):
    to_member_id: int = Field(ge=1, le=MAX_ID)


class MessageOut(BaseModel):
    id: int
    to_member_id: int
    text: str
    created_at: str


def _message(message: DirectMessage) -> dict[str, Any]:
    return {"id": message.id, "to_member_id": message.recipient_id, "text": message.text,
            "created_at": _when(message.created_at)}


@operation("POST", "/messages", summary="Write to a member directly", tag=TAG, body=MessageIn,
           idempotent=True,
           responses={201: ("The message", MessageOut), 403: "direct_contact_not_allowed",
                      404: "not_found", 422: "validation_failed"})
def send_message(member: Member, body: MessageIn) -> Reply:
    message = services.send_direct_message(db.session, g.instance, member, body.to_member_id,
                                           body.text)
    return _message(message), 201
