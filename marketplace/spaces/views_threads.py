"""Spaces' discussion pages: threads, replies, votes, moderation, retros, experiments and harvesting.

The routes sit on the spaces blueprint (views.py imports this module), so endpoints stay `spaces.<name>`.
"""

from __future__ import annotations

from flask import Response, abort, flash, request, url_for
from flask_login import current_user, login_required

from marketplace.choices import options
from marketplace.extensions import db
from marketplace.htmx import render, render_fragment, see_other, wants_fragment
from marketplace.policy import require
from marketplace.spaces import discussions, harvesting, retros, services
from marketplace.spaces.forms import (
    EditPostForm,
    ExperimentForm,
    HarvestForm,
    HideForm,
    ReplyForm,
    RetroForm,
)
from marketplace.spaces.models import Post
from marketplace.spaces.views import bp, detail_context, sort_choice, space_or_404, thread_form


def _thread(space, thread_id: int):
    thread = discussions.thread_in(space, thread_id) or abort(404)
    return thread


def _post(slug: str, post_id: int, action: str):
    """The space and one of its posts, once the policy allows `action` on the post."""
    space = space_or_404(slug)
    post = db.session.get(Post, post_id)
    if post is None or post.thread.space_id != space.id:
        abort(404)
    require(action, post.thread if action == "accept_answer" else post)
    return space, post


# -------------------------------------------------------------------- threads


@bp.route("/spaces/<slug>/threads", methods=["POST"])
@login_required
def new_thread(slug: str) -> Response:
    """Ask a question or start a discussion."""
    space = space_or_404(slug)
    require("post_in_space", space)
    form = thread_form(space)
    if not form.validate_on_submit():
        return render("spaces/detail.html", "spaces/_thread_form.html", status=422, **detail_context(space, thread_form=form))
    thread = discussions.create_thread(
        space, current_user, discussions.ThreadData(form.kind.data, form.title.data, form.body.data, form.skill_ids.data or [])
    )
    return see_other(url_for("spaces.thread", slug=space.slug, thread_id=thread.id))


def _thread_context(space, thread, reply_form: ReplyForm | None = None, sort: str | None = None) -> dict:
    return {
        "space": space, "thread": thread, "opening": discussions.opening_post(thread),
        "replies": discussions.reply_tree(thread, sort or sort_choice()), "sort": sort or sort_choice(),
        "voted": discussions.voted_post_ids(current_user, thread), "reply_form": reply_form or ReplyForm(),
        "hide_form": HideForm(), "member": services.membership_of(current_user, space),
    }


@bp.route("/spaces/<slug>/threads/<int:thread_id>")
@login_required
def thread(slug: str, thread_id: int) -> Response:
    """A thread: the question, the accepted answer first, then replies."""
    space = space_or_404(slug)
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
    space = space_or_404(slug)
    thread = _thread(space, thread_id)
    require("post_in_space", space)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _discussion_response(space, thread, status=422, reply_form=form)
    parent = int(form.parent_id.data) if (form.parent_id.data or "").isdigit() else None
    try:
        post = discussions.reply(thread, current_user, form.body.data, parent)
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
    discussions.toggle_vote(post, current_user)
    if wants_fragment():
        voted = discussions.voted_post_ids(current_user, post.thread)
        return render_fragment("spaces/_vote.html", post=post, space=space, voted=voted)
    return see_other(url_for("spaces.thread", slug=space.slug, thread_id=post.thread_id) + f"#post-{post.id}")


@bp.route("/spaces/<slug>/posts/<int:post_id>/accept", methods=["POST"])
@login_required
def accept(slug: str, post_id: int) -> Response:
    """Mark (or unmark) the accepted answer: the asker or a host."""
    space, post = _post(slug, post_id, "accept_answer")
    try:
        discussions.accept(post.thread, post)
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
        discussions.edit_post(post, form.body.data, form.title.data)
        return see_other(url_for("spaces.thread", slug=space.slug, thread_id=post.thread_id) + f"#post-{post.id}")
    return render("spaces/edit_post.html", status=422 if form.is_submitted() else 200, space=space, post=post, form=form)


@bp.route("/spaces/<slug>/posts/<int:post_id>/delete", methods=["POST"])
@login_required
def delete_post(slug: str, post_id: int) -> Response:
    """Delete your own post; a "removed" placeholder keeps the thread readable."""
    space, post = _post(slug, post_id, "edit_post")
    discussions.delete_post(post)
    return _discussion_response(space, post.thread, f"#post-{post.id}")


@bp.route("/spaces/<slug>/posts/<int:post_id>/<any(hide, unhide):change>", methods=["POST"])
@login_required
def hide_post(slug: str, post_id: int, change: str) -> Response:
    """A host hides a post with a reason, or shows it again."""
    space, post = _post(slug, post_id, "hide_post")
    if change == "unhide":
        discussions.unhide_post(post)
        return _discussion_response(space, post.thread, f"#post-{post.id}")
    form = HideForm()
    if not form.validate_on_submit():
        flash("Give a reason for hiding the post.", "error")
        return _discussion_response(space, post.thread, f"#post-{post.id}", status=422)
    discussions.hide_post(post, current_user, form.reason.data)
    return _discussion_response(space, post.thread, f"#post-{post.id}")


# ------------------------------------------------------------ retros & experiments


@bp.route("/spaces/<slug>/retro", methods=["GET", "POST"])
@login_required
def retro(slug: str) -> Response:
    """Facilitate a "What? So what? Now what?" retro with a 10-minute timer."""
    space = space_or_404(slug)
    form = RetroForm()
    if form.is_submitted():
        require("post_in_space", space)
        if form.validate():
            try:
                retros.create_retro(space, current_user, retros.RetroData(form.what.data, form.so_what.data, form.now_what.data, form.due_on.data))
            except services.SpaceError as error:
                db.session.rollback()
                form.now_what.errors = [str(error)]
            else:
                flash("Retro saved; its “Now what?” lines are now experiments.", "success")
                return see_other(url_for("spaces.detail", slug=space.slug) + "#experiments")
    status = 422 if form.is_submitted() else 200
    return render("spaces/retro.html", status=status, space=space, form=form, retros=retros.retros(space), experiments=retros.experiments(space))


@bp.route("/spaces/<slug>/experiments/<int:experiment_id>", methods=["POST"])
@login_required
def experiment(slug: str, experiment_id: int) -> Response:
    """Move an experiment along: planned, running, kept or dropped."""
    space = space_or_404(slug)
    experiment = retros.experiment_in(space, experiment_id) or abort(404)
    require("manage_experiment", experiment)
    form = ExperimentForm()
    form.owner_id.choices = options([(0, "")] + [(m.user_id, m.user.name) for m in services.memberships(space)])
    if not form.validate():
        abort(400)
    retros.update_experiment(experiment, form.status.data, form.owner_id.data or None, form.due_on.data)
    if wants_fragment():
        return render_fragment("spaces/_experiments.html", space=space, experiments=retros.experiments(space), experiment_form=ExperimentForm())
    return see_other(url_for("spaces.detail", slug=space.slug) + "#experiments")


# -------------------------------------------------------------------- harvest


@bp.route("/spaces/<slug>/threads/<int:thread_id>/harvest", methods=["GET", "POST"])
@login_required
def harvest(slug: str, thread_id: int) -> Response:
    """A host or champion turns a solved thread into a draft job aid for the champions' queue."""
    space = space_or_404(slug)
    thread = _thread(space, thread_id)
    require("harvest_thread", thread)
    form = HarvestForm()
    posts = harvesting.harvestable_posts(thread)
    form.post_ids.choices = options([(p.id, p.id) for p in posts if not p.accepted])
    if form.validate_on_submit():
        item = harvesting.harvest(thread, current_user, form.post_ids.data or [])
        if item.status == "draft":
            flash(f"Draft job aid “{item.title}” saved in your submissions: finish it there and submit it.", "success")
        else:
            flash(f"Draft job aid “{item.title}” is in the champions' approval queue.", "success")
        return see_other(url_for("spaces.thread", slug=space.slug, thread_id=thread.id))
    return render("spaces/harvest.html", status=422 if form.is_submitted() else 200, space=space, thread=thread,
                  opening=discussions.opening_post(thread), posts=posts, form=form)
