"""Edit, retire, confirm and hand over published items; the freshness queue; similar content."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, request, url_for
from flask_login import current_user, login_required

from marketplace.catalog import services as catalog
from marketplace.choices import options
from marketplace.htmx import render, render_fragment, see_other
from marketplace.lifecycle import cli, revisions, services, similar
from marketplace.lifecycle.forms import ConfirmForm, RetireForm, TransferForm
from marketplace.policy import can, require
from marketplace.submissions import views as submission_views

bp = Blueprint("lifecycle", __name__, cli_group="freshness")
cli.register(bp)


@bp.record_once
def _install(state) -> None:
    revisions.install()


def _item(slug: str, action: str):
    item = catalog.item_by_slug(slug) or abort(404)
    require("view_item", item)
    require(action, item)
    return item


def _back(item) -> str:
    """Where a one-click action returns: the freshness queue it came from, or the item."""
    if request.form.get("back") == "freshness":
        return url_for("lifecycle.freshness")
    return url_for("catalog.item", slug=item.slug)


@bp.route("/items/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str) -> Response:
    """Edit a published item: a new version reviewed by a champion while the current one stays live."""
    item = _item(slug, "edit_item")
    waiting = revisions.open_revision(item)
    if waiting is not None:
        if waiting.submitter_id == current_user.id:
            return see_other(url_for("submissions.edit", submission_id=waiting.id))
        flash(f"{waiting.submitter.name} is already editing this item ({waiting.state_label.lower()}); "
              "one edit at a time.", "warning")
        target = "review.detail" if can(current_user, "review_submission", waiting) else None
        return see_other(url_for(target, submission_id=waiting.id) if target else url_for("catalog.item", slug=slug))
    if request.method == "POST":
        return submission_views.save_form(submission_views.form_with_choices(), live=item)
    form = submission_views.form_with_choices(data=submission_views.prefill_item(item, item.department_id))
    return submission_views.form_page(form, live=item)


@bp.route("/items/<slug>/retire", methods=["GET", "POST"])
@login_required
def retire(slug: str) -> Response:
    """Retire an item with a reason and, optionally, a replacement."""
    item = _item(slug, "retire_item")
    form = RetireForm()
    form.replacement_id.choices = options([(0, "No replacement")] + services.replacement_choices(item))
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                services.retire(item, current_user, form.reason.data, form.replacement_id.data or None)
            except services.LifecycleError as problem:
                form.reason.errors = [*form.reason.errors, str(problem)]
            else:
                flash("Retired: it has left search, shelves and collections. You can undo this on its page.", "success")
                return see_other(url_for("catalog.item", slug=item.slug))
        status = 422
    return render("lifecycle/retire.html", status=status, item=item, form=form)


@bp.route("/items/<slug>/unretire", methods=["POST"])
@login_required
def unretire(slug: str) -> Response:
    """Undo a retirement."""
    item = _item(slug, "unretire_item")
    if not ConfirmForm().validate():
        abort(400)
    services.unretire(item, current_user)
    flash("Back in the catalog, exactly as it was.", "success")
    return see_other(url_for("catalog.item", slug=item.slug))


@bp.route("/items/<slug>/verify", methods=["POST"])
@login_required
def verify(slug: str) -> Response:
    """Record "still accurate": the next review date moves on."""
    item = _item(slug, "verify_item")
    if not ConfirmForm().validate():
        abort(400)
    next_date = services.verify(item, current_user, current_app.config)
    flash(f"Thanks: “{item.title}” is confirmed accurate; next review by {next_date.isoformat()}.", "success")
    return see_other(_back(item))


@bp.route("/items/<slug>/owner", methods=["POST"])
@login_required
def transfer(slug: str) -> Response:
    """Hand the item to another owner."""
    item = _item(slug, "transfer_item")
    form = TransferForm()
    form.owner_id.choices = options(services.owner_choices())
    if not form.validate():
        flash("Choose the new owner from the list.", "error")
        return see_other(url_for("catalog.item", slug=item.slug) + "#manage")
    try:
        owner = services.transfer(item, form.owner_id.data, current_user)
    except services.LifecycleError as problem:
        flash(str(problem), "error")
    else:
        flash(f"{owner.name} now owns this item.", "success")
    return see_other(url_for("catalog.item", slug=item.slug) + "#manage")


@bp.route("/review/freshness")
@login_required
def freshness() -> Response:
    """Items due for review in the next 14 days or overdue, by owner or department."""
    require("freshness_queue")
    filters = services.parse_filters(request.args)
    days = current_app.config.get("FRESHNESS_REMIND_DAYS", 14)
    rows, total = services.due_items(current_user, filters, remind_days=days)
    return render("lifecycle/freshness.html", "lifecycle/_freshness_rows.html", filters=filters, days=days,
                  groups=services.grouped(rows, filters.group), count=total, shown=len(rows),
                  options=services.filter_options(current_user),
                  confirm_form=ConfirmForm(), today=services.today())


@bp.route("/similar")
@login_required
def similar_fragment() -> Response:
    """Existing items that look like what is being written (htmx, as the title is typed)."""
    text = " ".join((request.args.get(name) or "")[:300] for name in ("title", "summary", "behaviour"))
    exclude = [int(v) for v in request.args.getlist("exclude") if v.isdigit()]
    return render_fragment("lifecycle/_similar.html", similar=similar.for_text(text, current_user, exclude=exclude))


def item_page_context(item) -> dict:
    """What the item page shows about the item's life: stewardship actions, history, freshness."""
    steward = any(can(current_user, action, item) for action in ("edit_item", "unretire_item"))
    return {
        "steward": steward, "confirm_form": ConfirmForm(), "overdue": services.is_overdue(item),
        "transfer_form": TransferForm(formdata=None, data={"owner_id": item.owner_id}) if steward else None,
        "owner_choices": services.owner_choices() if steward else [],
        "history": revisions.history(item) if steward else [],
    }
