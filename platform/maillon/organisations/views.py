"""Organisation pages: the list, a page with its members, creating and editing one, claims
for its admins, its reach, and who among its members can introduce it to someone.

Every change is a POST with a CSRF token; a refused action comes back as a flash message.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from maillon.db import begin_read, db
from maillon.errors import ServiceError, ValidationFailed
from maillon.forms import refusal_text, show_problems
from maillon.members.models import Member
from maillon.members.services import get_member
from maillon.organisations import introducers, logos, pages, reach, services
from maillon.organisations.forms import (
    ActionForm,
    AdminForm,
    ClaimForm,
    IntroducersForm,
    OrganisationForm,
)
from maillon.organisations.lifecycle import CONFIRMED
from maillon.organisations.models import SECTORS
from maillon.organisations.validation import sector_labels
from maillon.pagination import page_arg
from maillon.statistics.charts import line_chart
from maillon.tenancy import logos as image_logos
from maillon.tenancy.rendering import render

bp = Blueprint("organisations", __name__, template_folder="templates")
PER_PAGE = 20


def _me() -> Member:
    return get_member(db.session, g.instance, current_user.id)


def _refused(exc: ServiceError) -> None:
    db.session.rollback()
    flash(refusal_text(exc), "error")


def _to(org_id: int, view: str = "organisations.show") -> Response:
    return redirect(url_for(view, org_id=org_id))


@bp.app_context_processor
def _template_helpers() -> dict[str, Any]:
    def affiliations_of(member: Member) -> list[Any]:
        cache: dict[int, list[Any]] = g.setdefault("affiliations_of", {})
        if member.id not in cache:
            viewer = current_user if current_user.is_authenticated else None
            cache[member.id] = services.member_affiliations(db.session, g.instance, viewer, member)
        return cache[member.id]

    def asking_from() -> list[Any]:
        """The organisations the viewer may ask "who among us" from (once per request)."""
        if "asking_from" not in g:
            g.asking_from = (
                pages.asking_organisations(db.session, g.instance, _me())
                if current_user.is_authenticated
                else []
            )
        return list(g.asking_from)

    return {
        "affiliations_of": affiliations_of,
        "asking_from": asking_from,
        "sector_labels": sector_labels,
        "organisation_action_form": ActionForm,
    }


@bp.get("/organisations")
@login_required
def index() -> Any:
    q = request.args.get("q", "")[:120]
    asked = request.args.get("sector", "")
    sector = asked if asked in SECTORS else None
    page = page_arg()
    total, rows = services.list_organisations(
        db.session, g.instance, _me(), q=q, sector=sector, page=page, per_page=PER_PAGE
    )
    page_count = max(1, -(-total // PER_PAGE))
    return render(
        "organisations/index.html",
        rows=rows,
        total=total,
        q=q,
        sector=sector,
        page=min(page, page_count),
        pages=page_count,
        sectors=SECTORS,
    )


@bp.route("/organisations/new", methods=["GET", "POST"])
@login_required
def create() -> Any:
    form = OrganisationForm()
    status = 200
    if request.method == "GET":
        form.sector.data = "other"
    elif form.validate_on_submit():
        try:
            org, _created = services.create_organisation(
                db.session, g.instance, _me(), form.changes()
            )
        except ServiceError as exc:
            db.session.rollback()
            message = show_problems(form, exc)
            if message:
                flash(message, "error")
            status = 422
        else:
            flash(
                _("The organisation %(name)s is created: you are its admin.", name=org.name),
                "success",
            )
            return _to(org.id)
    else:
        status = 400
    return render("organisations/form.html", form=form, organisation=None), status


@bp.get("/organisations/<int:org_id>")
@login_required
def show(org_id: int) -> Any:
    data = pages.organisation_page(db.session, g.instance, _me(), org_id, page_arg())
    form = ClaimForm()
    if data.mine is not None:
        form.role.data = data.mine.role
        form.current.data = "current" if data.mine.current else "past"
    ask = IntroducersForm(formdata=None)
    ask.org.choices = [SelectChoice(o.id, o.name) for o in data.asking_from if o.id != org_id]
    return render(
        "organisations/show.html",
        data=data,
        org=data.organisation,
        claim_form=form,
        ask_form=ask,
        action_form=ActionForm(),
    )


@bp.route("/organisations/<int:org_id>/edit", methods=["GET", "POST"])
@login_required
def edit(org_id: int) -> Any:
    managed = services.access_managed_organisation(db.session, g.instance, _me(), org_id)
    form = OrganisationForm()
    status = 200
    if request.method == "GET":
        form.fill_from(managed.organisation)
    elif form.validate_on_submit():
        try:
            services.update_organisation(db.session, g.instance, _me(), org_id, form.changes())
        except ServiceError as exc:
            db.session.rollback()
            message = show_problems(form, exc)
            if message:
                flash(message, "error")
            status = 422
        else:
            flash(_("Saved."), "success")
            return _to(org_id)
    else:
        status = 400
    return render("organisations/form.html", form=form, organisation=managed.organisation), status


@bp.post("/organisations/<int:org_id>/affiliation")
@login_required
def claim(org_id: int) -> Response:
    form = ClaimForm()
    if form.validate_on_submit():
        try:
            row, _new = services.claim_affiliation(
                db.session, g.instance, _me(), org_id, form.claim()
            )
        except ServiceError as exc:
            _refused(exc)
        else:
            flash(
                _("Your affiliation is confirmed.")
                if row.status == CONFIRMED
                else _("Your affiliation waits for the organisation's admins to confirm it."),
                "success",
            )
    return _to(org_id)


def _decide(affiliation_id: int, action: str) -> Response:
    form = ActionForm()
    back = request.form.get("back", "")
    if form.validate_on_submit():
        decide = {
            "confirm": services.confirm_affiliation,
            "decline": services.decline_affiliation,
            "end": services.end_affiliation,
        }[action]
        try:
            row = decide(db.session, g.instance, _me(), affiliation_id)
        except ServiceError as exc:
            _refused(exc)
            return redirect(url_for("organisations.index"))
        messages = {
            "confirm": _("Confirmed."),
            "decline": _("Declined."),
            "end": _("The affiliation is ended."),
        }
        flash(messages[action], "success")
        if back == "claims":
            return _to(row.organisation_id, "organisations.claims")
        if back == "profile":
            return redirect(url_for("members.profile", member_id=row.member_id))
        return _to(row.organisation_id)
    return redirect(url_for("organisations.index"))


@bp.post("/affiliations/<int:affiliation_id>/confirm")
@login_required
def confirm(affiliation_id: int) -> Response:
    return _decide(affiliation_id, "confirm")


@bp.post("/affiliations/<int:affiliation_id>/decline")
@login_required
def decline(affiliation_id: int) -> Response:
    return _decide(affiliation_id, "decline")


@bp.post("/affiliations/<int:affiliation_id>/end")
@login_required
def end(affiliation_id: int) -> Response:
    return _decide(affiliation_id, "end")


@bp.get("/organisations/<int:org_id>/claims")
@login_required
def claims(org_id: int) -> Any:
    data = pages.claims_page(db.session, g.instance, _me(), org_id)
    admin_form = AdminForm()
    admin_form.member_id.choices = [SelectChoice(m.id, m.name) for m in data.candidates]
    return render(
        "organisations/claims.html",
        data=data,
        org=data.organisation,
        admin_form=admin_form,
        action_form=ActionForm(),
    )


@bp.post("/organisations/<int:org_id>/admins")
@login_required
def add_admin(org_id: int) -> Response:
    form = AdminForm()
    form.member_id.choices = None  # type: ignore[assignment]  # any member: the service checks
    if form.validate_on_submit():
        try:
            member = services.add_admin(db.session, g.instance, _me(), org_id, form.member_id.data)
        except ServiceError as exc:
            _refused(exc)
        else:
            flash(_("%(name)s is an admin of the organisation.", name=member.name), "success")
    return _to(org_id, "organisations.claims")


@bp.post("/organisations/<int:org_id>/admins/<int:member_id>/remove")
@login_required
def remove_admin(org_id: int, member_id: int) -> Response:
    if ActionForm().validate_on_submit():
        try:
            services.remove_admin(db.session, g.instance, _me(), org_id, member_id)
        except ServiceError as exc:
            _refused(exc)
            return _to(org_id, "organisations.claims")
        flash(_("Removed."), "success")
    if member_id == current_user.id:
        return _to(org_id)
    return _to(org_id, "organisations.claims")


@bp.get("/organisations/<int:org_id>/reach")
@login_required
def show_reach(org_id: int) -> Any:
    found = reach.organisation_reach(db.session, g.instance, _me(), org_id)
    org = services.get_organisation(db.session, g.instance, org_id)
    history = found.history
    growth = line_chart(len(history), [
        ("members", [s.members for s in history]),
        ("second", [s.second_degree for s in history]),
        ("third", [s.third_degree for s in history])]) if history else None
    return render("organisations/reach.html", org=org, reach=found, growth=growth,
                  days=[s.day for s in history])


@bp.get("/organisations/<int:org_id>/introducers")
@login_required
def show_introducers(org_id: int) -> Any:
    """Who among this organisation's members can introduce it to a member or another
    organisation (``target_id`` or ``target_organisation_id``)."""
    target_org = request.args.get("target_organisation_id", type=int)
    target_member = request.args.get("target_id", type=int)
    if (target_org is None) == (target_member is None):
        abort(404)
    view = introducers.introducers_page(
        db.session,
        g.instance,
        _me(),
        org_id,
        target_id=target_member,
        target_organisation_id=target_org,
    )
    return render("organisations/introducers.html", view=view)


@bp.get("/organisations/ask")
@login_required
def ask() -> Response:
    """The "who among us" form of an organisation page: to the chosen organisation's answer."""
    org_id = request.args.get("org", type=int)
    target_org = request.args.get("target_organisation_id", type=int)
    target_member = request.args.get("target_id", type=int)
    if org_id is None or (target_org is None) == (target_member is None):
        abort(404)
    args = {"target_organisation_id": target_org} if target_org else {"target_id": target_member}
    return redirect(url_for("organisations.show_introducers", org_id=org_id, **args))


@bp.post("/organisations/<int:org_id>/logo")
@login_required
def upload_logo(org_id: int) -> Any:
    managed = services.access_managed_organisation(db.session, g.instance, _me(), org_id)
    form = OrganisationForm(formdata=None)
    form.fill_from(managed.organisation)
    upload = request.files.get("logo")
    try:
        if upload is None or not upload.filename:
            raise ValidationFailed({"logo": _("Choose an image file.")})
        data = image_logos.read_logo_upload(upload.stream)
        begin_read(db.session)  # decoding takes a while: no write lock meanwhile
        png = image_logos.prepare_logo(data, logos.ORGANISATION_BOX)
        logos.set_logo(db.session, g.instance, _me(), org_id, png, current_app.config["VAR_DIR"])
    except ServiceError as exc:
        db.session.rollback()
        error = exc.fields.get("logo", "") if isinstance(exc, ValidationFailed) else str(exc)
        return render("organisations/form.html", form=form, organisation=managed.organisation,
                      logo_error=error), 422
    flash(_("The logo is updated."), "success")
    return _to(org_id)


@bp.post("/organisations/<int:org_id>/logo/delete")
@login_required
def delete_logo(org_id: int) -> Response:
    logos.remove_logo(db.session, g.instance, _me(), org_id, current_app.config["VAR_DIR"])
    flash(_("The logo is removed."), "success")
    return _to(org_id, "organisations.edit")


@bp.get("/organisations/<int:org_id>/logo/<name>")
@login_required
def logo(org_id: int, name: str) -> Any:
    path = logos.logo_file(db.session, g.instance, _me(), org_id, name,
                           current_app.config["VAR_DIR"])
    # A new logo is a new name; who may see it (members) does not change per file.
    return send_from_directory(path.parent, path.name, max_age=3600)
