"""Spaces: list, create, discuss, run retros, archive and harvest. Thin views over services."""

from __future__ import annotations

import re

import click
from flask import Blueprint, Response, abort, flash, make_response, request, url_for
from flask_login import current_user, login_required

from marketplace.choices import options
from marketplace.curation.services import kpi_choices
from marketplace.extensions import db
from marketplace.htmx import render, render_fragment, see_other, wants_fragment
from marketplace.people import services as people
from marketplace.policy import require
from marketplace.spaces import asking, services
from marketplace.spaces.forms import (
    AnswerForm,
    AskForm,
    EditPostForm,
    ExperimentForm,
    HarvestForm,
    HideForm,
    LifecycleForm,
    MemberForm,
    ReplyForm,
    RetroForm,
    SpaceForm,
    ThreadForm,
    WhoKnowsForm,
)

bp = Blueprint("spaces", __name__, cli_group="spaces")  # `flask spaces archive-due`
SORTS = ("votes", "newest")


def _sort() -> str:
    sort = request.args.get("sort", "votes")
    return sort if sort in SORTS else "votes"


def _skill_choices() -> list[tuple[int, str]]:
    return [(s.id, s.name) for s in people.all_skills()]


def _who_knows_choices() -> list[tuple[str, str]]:
    return [("", "Choose a skill")] + [(s.slug, s.name) for s in people.all_skills()]


def _space(slug: str):
    """The space, or 404 for anyone who may not read it (a private space looks absent)."""
    space = services.space_by_slug(slug) or abort(404)
    require("view_space", space)
    return space


def _thread(space, thread_id: int):
    thread = services.thread_in(space, thread_id) or abort(404)
    return thread


def _post(slug: str, post_id: int, action: str):
    """The space and one of its posts, once the policy allows `action` on the post."""
    space = _space(slug)
    post = db.session.get(services.Post, post_id)
    if post is None or post.thread.space_id != space.id:
        abort(404)
    require(action, post.thread if action == "accept_answer" else post)
    return space, post


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


def _detail_context(space, **forms) -> dict:
    invite_form = forms.pop("invite_form", None) or WhoKnowsForm()
    invite_form.who_knows.choices = options(_who_knows_choices())
    experiment_form = ExperimentForm()
    return {
        "space": space, "threads": services.thread_rows(space, _sort()), "sort": _sort(),
        "member": services.membership_of(current_user, space), "members": services.memberships(space),
        "experiments": services.experiments(space), "thread_form": forms.pop("thread_form", None) or _thread_form(space),
        "invite_form": invite_form, "experiment_form": experiment_form, "lifecycle_form": LifecycleForm(),
        "answer_form": AnswerForm(), "member_form": MemberForm(), **forms,
    }


def _thread_form(space, **kwargs) -> ThreadForm:
    form = ThreadForm(**kwargs)
    form.skill_ids.choices = options([(s.id, s.name) for s in (space.skills or people.all_skills())])
    return form


@bp.route("/spaces/<slug>")
@login_required
def detail(slug: str) -> Response:
    """A space: pinned post, threads, experiments and members."""
    space = _space(slug)
    return render("spaces/detail.html", "spaces/_threads.html", **_detail_context(space))


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
    space = _space(slug)
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
    space = _space(slug)
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
    space = _space(slug)
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
    space = _space(slug)
    require("export_space", space)
    response = make_response(services.export_markdown(space))
    response.headers["Content-Type"] = "text/markdown; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{space.slug}.md"'
    return response


# -------------------------------------------------------------------- threads


@bp.route("/spaces/<slug>/threads", methods=["POST"])
@login_required
def new_thread(slug: str) -> Response:
    """Ask a question or start a discussion."""
    space = _space(slug)
    require("post_in_space", space)
    form = _thread_form(space)
    if not form.validate_on_submit():
        return render("spaces/detail.html", "spaces/_thread_form.html", status=422, **_detail_context(space, thread_form=form))
    thread = services.create_thread(
        space, current_user, services.ThreadData(form.kind.data, form.title.data, form.body.data, form.skill_ids.data or [])
    )
    return see_other(url_for("spaces.thread", slug=space.slug, thread_id=thread.id))


def _thread_context(space, thread, reply_form: ReplyForm | None = None, sort: str | None = None) -> dict:
    return {
        "space": space, "thread": thread, "opening": services.opening_post(thread),
        "replies": services.reply_tree(thread, sort or _sort()), "sort": sort or _sort(),
        "voted": services.voted_post_ids(current_user, thread), "reply_form": reply_form or ReplyForm(),
        "hide_form": HideForm(), "member": services.membership_of(current_user, space),
    }


@bp.route("/spaces/<slug>/threads/<int:thread_id>")
@login_required
def thread(slug: str, thread_id: int) -> Response:
    """A thread: the question, the accepted answer first, then replies."""
    space = _space(slug)
    thread = _thread(space, thread_id)
    return render("spaces/thread.html", "spaces/_discussion.html", **_thread_context(space, thread))


def _discussion_response(space, thread, anchor: str = "", status: int = 200, **context) -> Response:
    if wants_fragment():
        return render("spaces/thread.html", "spaces/_discussion.html", status=status, **_thread_context(space, thread, **context))
    if status == 422:
        return render("spaces/thread.html", status=status, **_thread_context(space, thread, **context))
    return see_other(url_for("spaces.thread", slug=space.slug, thread_id=thread.id) + anchor)


@bp.route("/spaces/<slug>/threads/<int:thread_id>/replies", methods=["POST"])
@login_required
def reply(slug: str, thread_id: int) -> Response:
    """Reply to the thread or to a reply."""
    space = _space(slug)
    thread = _thread(space, thread_id)
    require("post_in_space", space)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _discussion_response(space, thread, status=422, reply_form=form)
    parent = int(form.parent_id.data) if (form.parent_id.data or "").isdigit() else None
    try:
        post = services.reply(thread, current_user, form.body.data, parent)
    except services.SpaceError as error:
        db.session.rollback()
        form.body.errors = [str(error)]
        return _discussion_response(space, thread, status=422, reply_form=form)
    return _discussion_response(space, thread, f"#post-{post.id}")


@bp.route("/spaces/<slug>/posts/<int:post_id>/vote", methods=["POST"])
@login_required
def vote(slug: str, post_id: int) -> Response:
    """Upvote a thread or reply, or withdraw the upvote."""
    space, post = _post(slug, post_id, "vote_post")
    services.toggle_vote(post, current_user)
    if wants_fragment():
        voted = services.voted_post_ids(current_user, post.thread)
        return render_fragment("spaces/_vote.html", post=post, space=space, voted=voted)
    return see_other(url_for("spaces.thread", slug=space.slug, thread_id=post.thread_id) + f"#post-{post.id}")


@bp.route("/spaces/<slug>/posts/<int:post_id>/accept", methods=["POST"])
@login_required
def accept(slug: str, post_id: int) -> Response:
    """Mark (or unmark) the accepted answer: the asker or a host."""
    space, post = _post(slug, post_id, "accept_answer")
    try:
        services.accept(post.thread, post)
    except services.SpaceError as error:
        db.session.rollback()
        abort(400, error)
    return _discussion_response(space, post.thread, f"#post-{post.id}")


@bp.route("/spaces/<slug>/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit_post(slug: str, post_id: int) -> Response:
    """Edit your own post; the edit is marked."""
    space, post = _post(slug, post_id, "edit_post")
    form = EditPostForm(obj=post) if request.method == "GET" else EditPostForm()
    if request.method == "GET" and post.is_opening:
        form.title.data = post.thread.title
    if form.validate_on_submit():
        services.edit_post(post, form.body.data, form.title.data)
        return see_other(url_for("spaces.thread", slug=space.slug, thread_id=post.thread_id) + f"#post-{post.id}")
    return render("spaces/edit_post.html", status=422 if form.is_submitted() else 200, space=space, post=post, form=form)


@bp.route("/spaces/<slug>/posts/<int:post_id>/delete", methods=["POST"])
@login_required
def delete_post(slug: str, post_id: int) -> Response:
    """Delete your own post; a "removed" placeholder keeps the thread readable."""
    space, post = _post(slug, post_id, "edit_post")
    services.delete_post(post)
    return _discussion_response(space, post.thread, f"#post-{post.id}")


@bp.route("/spaces/<slug>/posts/<int:post_id>/<any(hide, unhide):change>", methods=["POST"])
@login_required
def hide_post(slug: str, post_id: int, change: str) -> Response:
    """A host hides a post with a reason, or shows it again."""
    space, post = _post(slug, post_id, "hide_post")
    if change == "unhide":
        services.unhide_post(post)
        return _discussion_response(space, post.thread, f"#post-{post.id}")
    form = HideForm()
    if not form.validate_on_submit():
        flash("Give a reason for hiding the post.", "error")
        return _discussion_response(space, post.thread, f"#post-{post.id}", status=422)
    services.hide_post(post, current_user, form.reason.data)
    return _discussion_response(space, post.thread, f"#post-{post.id}")


# ------------------------------------------------------------ retros & experiments


@bp.route("/spaces/<slug>/retro", methods=["GET", "POST"])
@login_required
def retro(slug: str) -> Response:
    """Facilitate a "What? So what? Now what?" retro with a 10-minute timer."""
    space = _space(slug)
    form = RetroForm()
    if form.is_submitted():
        require("post_in_space", space)
        if form.validate():
            try:
                services.create_retro(space, current_user, services.RetroData(form.what.data, form.so_what.data, form.now_what.data, form.due_on.data))
            except services.SpaceError as error:
                db.session.rollback()
                form.now_what.errors = [str(error)]
            else:
                flash("Retro saved; its “Now what?” lines are now experiments.", "success")
                return see_other(url_for("spaces.detail", slug=space.slug) + "#experiments")
    status = 422 if form.is_submitted() else 200
    return render("spaces/retro.html", status=status, space=space, form=form, retros=services.retros(space), experiments=services.experiments(space))


@bp.route("/spaces/<slug>/experiments/<int:experiment_id>", methods=["POST"])
@login_required
def experiment(slug: str, experiment_id: int) -> Response:
    """Move an experiment along: planned, running, kept or dropped."""
    space = _space(slug)
    experiment = services.experiment_in(space, experiment_id) or abort(404)
    require("manage_experiment", experiment)
    form = ExperimentForm()
    form.owner_id.choices = options([(0, "")] + [(m.user_id, m.user.name) for m in services.memberships(space)])
    if not form.validate():
        abort(400)
    services.update_experiment(experiment, form.status.data, form.owner_id.data or None, form.due_on.data)
    if wants_fragment():
        return render_fragment("spaces/_experiments.html", space=space, experiments=services.experiments(space), experiment_form=ExperimentForm())
    return see_other(url_for("spaces.detail", slug=space.slug) + "#experiments")


# -------------------------------------------------------------------- harvest


@bp.route("/spaces/<slug>/threads/<int:thread_id>/harvest", methods=["GET", "POST"])
@login_required
def harvest(slug: str, thread_id: int) -> Response:
    """A host or champion turns a solved thread into a draft job aid for the champions' queue."""
    space = _space(slug)
    thread = _thread(space, thread_id)
    require("harvest_thread", thread)
    form = HarvestForm()
    posts = services.harvestable_posts(thread)
    form.post_ids.choices = options([(p.id, p.id) for p in posts if not p.accepted])
    if form.validate_on_submit():
        item = services.harvest(thread, current_user, form.post_ids.data or [])
        if item.status == "draft":
            flash(f"Draft job aid “{item.title}” saved in your submissions: finish it there and submit it.", "success")
        else:
            flash(f"Draft job aid “{item.title}” is in the champions' approval queue.", "success")
        return see_other(url_for("spaces.thread", slug=space.slug, thread_id=thread.id))
    return render("spaces/harvest.html", status=422 if form.is_submitted() else 200, space=space, thread=thread,
                  opening=services.opening_post(thread), posts=posts, form=form)



@bp.cli.command("archive-due")
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Pretend today is this date.")
def archive_due_command(on) -> None:
    """Archive every active space whose end date has come (run daily, e.g. from cron)."""
    count = services.archive_due(on.date() if on else None)
    click.echo(f"Archived {count} space{'s' if count != 1 else ''}.")
