"""Spaces: list, ask, create, join, host and archive. Thin views over services.

Discussion, retro and harvest pages are in views_threads.py, on the same blueprint.
"""

from __future__ import annotations

import re

import click
from flask import Blueprint, Response, abort, flash, make_response, request, url_for
from flask_login import current_user, login_required

from marketplace.choices import options
from marketplace.curation.services import kpi_choices
from marketplace.extensions import db
from marketplace.htmx import render, render_fragment, see_other
from marketplace.people import services as people
from marketplace.policy import require
from marketplace.spaces import asking, discussions, retros, services
from marketplace.spaces.forms import (
    AnswerForm,
    AskForm,
    ExperimentForm,
    LifecycleForm,
    MemberForm,
    SpaceForm,
    ThreadForm,
    WhoKnowsForm,
)

bp = Blueprint("spaces", __name__, cli_group="spaces")  # `flask spaces archive-due`
SORTS = ("votes", "newest")


def sort_choice() -> str:
    """The ?sort= asked for, or "votes"."""
    sort = request.args.get("sort", "votes")
    return sort if sort in SORTS else "votes"


def _skill_choices() -> list[tuple[int, str]]:
    return [(s.id, s.name) for s in people.all_skills()]


def _who_knows_choices() -> list[tuple[str, str]]:
    return [("", "Choose a skill")] + [(s.slug, s.name) for s in people.all_skills()]


def space_or_404(slug: str):
    """The space, or 404 for anyone who may not read it (a private space looks absent)."""
    space = services.space_by_slug(slug) or abort(404)
    require("view_space", space)
    return space


def _candidates(skill_slug: str | None, ticked: list[int]) -> list:
    """Who-knows results plus anyone already ticked, so switching skills keeps earlier choices."""
    experts = people.who_knows(skill_slug, viewer=current_user) if skill_slug else []
    shown = {e.user.id for e in experts}
    kept = [people.Expert(user=u) for u in map(people.get_person, ticked) if u is not None and u.id not in shown]
    return kept + experts


# ---------------------------------------------------------------------- list


@bp.route("/spaces")
@login_required
def index() -> Response:
    """Active, permanent and archived spaces (those matching ?q= when given), and pending invitations."""
    q = (request.args.get("q") or "").strip()[:200]
    matching = asking.matches_clause(q, current_user) if q else None
    return render(
        "spaces/index.html", groups=services.spaces_overview(current_user, matching), q=q,
        invitations=services.pending_invitations(current_user), answer_form=AnswerForm(),
    )


def _ask_form(q: str = "", **kwargs) -> tuple[AskForm, list]:
    form = AskForm(**kwargs)
    spaces = asking.best_spaces(current_user, q or form.title.data or "")
    form.space.choices = options([(s.slug, s.name) for s in spaces] + [("", f"{asking.COMPANY_QA_NAME}: everyone can answer")])
    if form.space.data is None:
        form.space.data = spaces[0].slug if spaces else ""
    return form, spaces


@bp.route("/spaces/ask", methods=["GET", "POST"])
@login_required
def ask() -> Response:
    """Ask a question: the best-matching open space or the company-wide Q&A space, pre-filled from ?q=."""
    q = (request.args.get("q") or "").strip()[:200]
    mention = re.sub(r"[^\w.+-]", "", request.args.get("mention", ""))[:80]
    prefill = {"title": q or None, "body": f"@{mention} " if mention else None}
    form, spaces = _ask_form(q, **prefill) if request.method == "GET" else _ask_form()
    if form.validate_on_submit():
        space = services.space_by_slug(form.space.data) if form.space.data else None
        try:
            thread = asking.ask(current_user, space, form.title.data, form.body.data or "")
        except services.SpaceError as error:
            db.session.rollback()
            form.space.errors = [*form.space.errors, str(error)]
        else:
            flash("Question posted. You'll be notified of answers.", "success")
            return see_other(url_for("spaces.thread", slug=thread.space.slug, thread_id=thread.id))
    status = 422 if form.is_submitted() else 200
    return render("spaces/ask.html", status=status, form=form, spaces=spaces, q=q)


# -------------------------------------------------------------------- create


def _space_form(**kwargs) -> SpaceForm:
    form = SpaceForm(**kwargs)
    form.kpi_id.choices = options([(0, "No KPI")] + kpi_choices())
    form.skill_ids.choices = options(_skill_choices())
    form.who_knows.choices = options(_who_knows_choices())
    form.invite_ids.choices = options([(u.id, u.name) for u in people.all_people()])
    return form


def _space_data(form: SpaceForm) -> services.SpaceData:
    invitees = list(form.invite_ids.data or []) + people.ids_for_emails(form.invite_emails.data or "")
    return services.SpaceData(
        name=form.name.data, problem=form.problem.data, kpi_id=form.kpi_id.data or None,
        skill_ids=form.skill_ids.data or [], visibility=form.visibility.data,
        chatham_house=form.chatham_house.data, ends_on=form.ends_on.data, invite_ids=invitees,
    )


@bp.route("/spaces/new", methods=["GET", "POST"])
@login_required
def new() -> Response:
    """Create a space; the "Find people" button re-renders with who-knows candidates (no JS needed)."""
    require("create_space")
    form = _space_form()
    finding = "find" in request.form
    if form.is_submitted() and not finding and form.validate():
        try:
            space = services.create_space(_space_data(form), current_user)
        except services.SpaceError as error:
            db.session.rollback()
            form.ends_on.errors = [*form.ends_on.errors, str(error)]
        else:
            flash("Space created. The pinned post says why you are here.", "success")
            return see_other(url_for("spaces.detail", slug=space.slug))
    status = 422 if form.is_submitted() and not finding else 200
    candidates = _candidates(form.who_knows.data, form.invite_ids.data or [])
    return render("spaces/new.html", status=status, form=form, candidates=candidates)


@bp.route("/spaces/candidates")
@login_required
def candidates() -> Response:
    """The who-knows candidate checkboxes, swapped in by htmx while creating or inviting."""
    ticked = [int(v) for v in request.args.getlist("invite_ids") if v.isdigit()]
    return render_fragment("spaces/_candidates.html", candidates=_candidates(request.args.get("who_knows"), ticked), ticked=ticked)


# ---------------------------------------------------------------- one space


def detail_context(space, **forms) -> dict:
    """What the space page renders; `forms` replace the blank ones (e.g. a thread form with errors)."""
    invite_form = forms.pop("invite_form", None) or WhoKnowsForm()
    invite_form.who_knows.choices = options(_who_knows_choices())
    experiment_form = ExperimentForm()
    return {
        "space": space, "threads": discussions.thread_rows(space, sort_choice()), "sort": sort_choice(),
        "member": services.membership_of(current_user, space), "members": services.memberships(space),
        "experiments": retros.experiments(space), "thread_form": forms.pop("thread_form", None) or thread_form(space),
        "invite_form": invite_form, "experiment_form": experiment_form, "lifecycle_form": LifecycleForm(),
        "answer_form": AnswerForm(), "member_form": MemberForm(), **forms,
    }


def thread_form(space, **kwargs) -> ThreadForm:
    """A new-thread form offering the space's skills (or every skill)."""
    form = ThreadForm(**kwargs)
    form.skill_ids.choices = options([(s.id, s.name) for s in (space.skills or people.all_skills())])
    return form


@bp.route("/spaces/<slug>")
@login_required
def detail(slug: str) -> Response:
    """A space: pinned post, threads, experiments and members."""
    space = space_or_404(slug)
    return render("spaces/detail.html", "spaces/_threads.html", **detail_context(space))


@bp.route("/spaces/<slug>/join", methods=["POST"])
@login_required
def join(slug: str) -> Response:
    """Join an open space, or ask to join a members-only one (listed, so no 404 here)."""
    space = services.space_by_slug(slug) or abort(404)
    if space.visibility == "private":
        require("view_space", space)
    require("join_space", space)
    state = services.join(space, current_user)
    if state == "requested":
        flash("Asked the hosts to let you in; you'll get a notification.", "success")
        return see_other(url_for("spaces.index"))
    flash("You joined the space.", "success")
    back = request.args.get("next", "")
    if back.startswith(f"/spaces/{space.slug}/threads/") and "//" not in back:  # only back into this space
        return see_other(back + "#reply-form")
    return see_other(url_for("spaces.detail", slug=space.slug))


@bp.route("/spaces/<slug>/invitation", methods=["POST"])
@login_required
def answer(slug: str) -> Response:
    """Accept or decline an invitation."""
    space = services.space_by_slug(slug) or abort(404)
    require("answer_invitation", space)
    form = AnswerForm()
    if not form.validate():
        abort(400)
    services.answer_invitation(space, current_user, form.answer.data == "accept")
    if form.answer.data == "accept":
        flash(f"Welcome to {space.name}.", "success")
        return see_other(url_for("spaces.detail", slug=space.slug))
    flash("Invitation declined.", "success")
    return see_other(url_for("spaces.index"))


@bp.route("/spaces/<slug>/invite", methods=["POST"])
@login_required
def invite(slug: str) -> Response:
    """A host invites people found through "who knows X?" or by e-mail."""
    space = space_or_404(slug)
    require("host_space", space)
    form = WhoKnowsForm()
    form.who_knows.choices = options(_who_knows_choices())
    form.invite_ids.choices = options([(u.id, u.name) for u in people.all_people()])
    ids = list(form.invite_ids.data or []) + people.ids_for_emails(form.invite_emails.data or "")
    if not form.validate_on_submit() and not ids:
        abort(400)
    count = services.invite(space, current_user, ids)
    flash(f"Invited {count} {'person' if count == 1 else 'people'}.", "success")
    return see_other(url_for("spaces.detail", slug=space.slug) + "#members")


@bp.route("/spaces/<slug>/members/<int:user_id>/<any(approve, remove):change>", methods=["POST"])
@login_required
def member(slug: str, user_id: int, change: str) -> Response:
    """A host approves a request to join, or removes someone; it takes effect at once."""
    space = space_or_404(slug)
    require("host_space", space)
    try:
        (services.approve if change == "approve" else services.remove_member)(space, user_id)
    except services.SpaceError as error:
        db.session.rollback()
        flash(str(error), "error")
    return see_other(url_for("spaces.detail", slug=space.slug) + "#members")


@bp.route("/spaces/<slug>/lifecycle", methods=["POST"])
@login_required
def lifecycle(slug: str) -> Response:
    """A host archives, reopens or makes the space permanent."""
    space = space_or_404(slug)
    require("host_space", space)
    form = LifecycleForm()
    if not form.validate():
        abort(400)
    change = {"archive": services.archive, "reopen": services.reopen, "permanent": services.make_permanent}
    try:
        change[form.action.data](space)
    except services.SpaceError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash({"archive": "Space archived: read-only from now on.", "reopen": "Space reopened.",
               "permanent": "This space is now a standing community of practice."}[form.action.data], "success")
    return see_other(url_for("spaces.detail", slug=space.slug))


@bp.route("/spaces/<slug>/export.md")
@login_required
def export(slug: str) -> Response:
    """The space's discussions as markdown, for members (anonymous in Chatham House mode)."""
    space = space_or_404(slug)
    require("export_space", space)
    response = make_response(services.export_markdown(space))
    response.headers["Content-Type"] = "text/markdown; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{space.slug}.md"'
    return response


@bp.cli.command("archive-due")
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Pretend today is this date.")
def archive_due_command(on) -> None:
    """Archive every active space whose end date has come (run daily, e.g. from cron)."""
    count = services.archive_due(on.date() if on else None)
    click.echo(f"Archived {count} space{'s' if count != 1 else ''}.")


from marketplace.spaces import views_threads  # noqa: E402,F401  (registers the thread, retro and harvest routes on bp)
