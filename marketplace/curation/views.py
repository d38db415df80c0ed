"""Collections: browse for everyone signed in, curate for curators and admins."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, request, url_for
from flask_login import current_user, login_required

from marketplace.choices import options
from marketplace.curation import services
from marketplace.curation.forms import AddItemForm, CollectionForm, MoveForm
from marketplace.extensions import db
from marketplace.htmx import render, render_fragment, see_other, wants_fragment
from marketplace.policy import can, require

bp = Blueprint("curation", __name__)


@bp.route("/collections")
@login_required
def index() -> Response:
    """Published collections (and drafts for curators)."""
    drafts = can(current_user, "view_drafts")
    return render("curation/index.html", collections=services.list_collections(drafts))


@bp.route("/collections/<slug>")
@login_required
def detail(slug: str) -> Response:
    """One collection with its ordered items."""
    collection = services.collection_by_slug(slug) or abort(404)
    require("view_collection", collection)
    return render("curation/detail.html", collection=collection)


def _collection_form(**kwargs) -> CollectionForm:
    form = CollectionForm(**kwargs)
    form.kpi_id.choices = options(services.kpi_choices())
    return form


def _data(form: CollectionForm) -> services.CollectionData:
    return services.CollectionData(
        title=form.title.data, intent=form.intent.data, kpi_id=form.kpi_id.data,
        featured=form.featured.data, status=form.status.data,
    )


@bp.route("/collections/new", methods=["GET", "POST"])
@login_required
def new() -> Response:
    """Create a collection."""
    require("create_collection")
    form = _collection_form()
    if form.validate_on_submit():
        try:
            collection = services.create_collection(_data(form), current_user)
        except services.CurationError as error:
            db.session.rollback()
            form.kpi_id.errors.append(str(error))
        else:
            flash("Collection created. Now add items to it.", "success")
            return see_other(url_for("curation.edit", slug=collection.slug))
    return render("curation/new.html", status=422 if form.is_submitted() else 200, form=form)


def _editable(slug: str):
    collection = services.collection_by_slug(slug) or abort(404)
    require("view_collection", collection)
    require("edit_collection", collection)
    return collection


def _edit_context(collection, **forms) -> dict:
    add_form = forms.get("add_form") or AddItemForm()
    item_query = (request.args.get("q") or "").strip()[:200]
    candidates = services.addable_items(collection, item_query)
    return {"collection": collection, "add_form": add_form, "move_form": MoveForm(), "item_query": item_query,
            "candidates": candidates, **forms}


@bp.route("/collections/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str) -> Response:
    """Edit a collection's details and its items."""
    collection = _editable(slug)
    form = _collection_form(obj=collection)
    if form.validate_on_submit():
        try:
            services.update_collection(collection, _data(form))
        except services.CurationError as error:
            db.session.rollback()
            form.kpi_id.errors.append(str(error))
        else:
            flash("Collection saved.", "success")
            return see_other(url_for("curation.edit", slug=collection.slug))
    status = 422 if form.is_submitted() else 200
    return render("curation/edit.html", status=status, **_edit_context(collection, form=form))


def _entries_response(collection, error: str | None = None, status: int = 200) -> Response:
    if wants_fragment():
        context = _edit_context(collection, error=error)
        return render("curation/edit.html", "curation/_entries.html", status=status, **context)
    if error:
        flash(error, "error")
    return see_other(url_for("curation.edit", slug=collection.slug) + "#entries")


@bp.route("/collections/<slug>/items/candidates")
@login_required
def candidates(slug: str) -> Response:
    """The picker's matches as you type: published items not yet in the collection."""
    collection = _editable(slug)
    rows = services.addable_items(collection, request.args.get("q", "")[:200])
    return render_fragment("curation/_candidates.html", candidates=rows)


@bp.route("/collections/<slug>/items", methods=["POST"])
@login_required
def add_item(slug: str) -> Response:
    """Append an item to the collection."""
    collection = _editable(slug)
    form = AddItemForm()
    if not form.validate():
        return _entries_response(collection, "Choose an item to add.", 422)
    try:
        services.add_item(collection, form.item_id.data)
    except services.CurationError as error:
        db.session.rollback()
        return _entries_response(collection, str(error), 422)
    return _entries_response(collection)


@bp.route("/collections/<slug>/items/<int:entry_id>/remove", methods=["POST"])
@login_required
def remove_item(slug: str, entry_id: int) -> Response:
    """Remove an item from the collection."""
    collection = _editable(slug)
    try:
        services.remove_item(collection, entry_id)
    except services.CurationError as error:
        db.session.rollback()
        return _entries_response(collection, str(error), 422)
    return _entries_response(collection)


@bp.route("/collections/<slug>/items/<int:entry_id>/move", methods=["POST"])
@login_required
def move_item(slug: str, entry_id: int) -> Response:
    """Move an item up or down."""
    collection = _editable(slug)
    form = MoveForm()
    if not form.validate():
        return _entries_response(collection, "Say whether to move it up or down.", 422)
    try:
        services.move_item(collection, entry_id, form.direction.data)
    except services.CurationError as error:
        db.session.rollback()
        return _entries_response(collection, str(error), 422)
    return _entries_response(collection)
