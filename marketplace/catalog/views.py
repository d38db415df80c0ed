"""Home, catalog browsing, item pages, checklists, helpfulness and KPI pages."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, request, url_for
from flask_login import current_user, login_required

from marketplace.catalog import services
from marketplace.catalog.forms import HelpfulForm, TickForm
from marketplace.curation import services as curation
from marketplace.htmx import render, see_other, wants_fragment
from marketplace.policy import require

bp = Blueprint("catalog", __name__)


@bp.route("/")
@login_required
def home() -> Response:
    """Search box, featured collections and one shelf per moment of need."""
    return render(
        "catalog/home.html",
        shelves=services.shelves(),
        featured=curation.featured_collections(),
    )


@bp.route("/catalog")
@login_required
def catalog() -> Response:
    """The filterable, sortable, paginated catalog."""
    filters = services.parse_filters(request.args)
    page = services.list_items(filters, current_app.config["PAGE_SIZE"])
    return render(
        "catalog/index.html",
        "catalog/_results.html",
        filters=filters,
        page=page,
        options=None if wants_fragment() else services.facet_options(),  # only the full page shows the form
    )


def _visible_item(slug: str):
    item = services.item_by_slug(slug) or abort(404)
    require("view_item", item)
    return item


def _item_context(item) -> dict:
    from marketplace.lifecycle.views import item_page_context

    return item_page_context(item) | {
        "item": item,
        "ticked": services.ticked_step_ids(current_user, item) if item.type == "checklist" else set(),
        "helpful": services.helpfulness(item, current_user),
        "tick_form": TickForm(),
        "helpful_form": HelpfulForm(),
    }


@bp.route("/items/<slug>")
@login_required
def item(slug: str) -> Response:
    """One catalog item."""
    return render("catalog/detail.html", **_item_context(_visible_item(slug)))


@bp.route("/items/<slug>/steps/<int:step_id>", methods=["POST"])
@login_required
def tick_step(slug: str, step_id: int) -> Response:
    """Tick or untick a checklist step, saved for this user."""
    item = _visible_item(slug)
    require("tick_checklist", item)
    form = TickForm()
    if not form.validate() or not services.set_step(current_user, item, step_id, form.checked.data == "1"):
        abort(400)
    return _checklist_response(item)


@bp.route("/items/<slug>/checklist/reset", methods=["POST"])
@login_required
def reset_checklist(slug: str) -> Response:
    """Untick every step of a checklist for this user."""
    item = _visible_item(slug)
    require("tick_checklist", item)
    services.reset_checklist(current_user, item)
    return _checklist_response(item)


def _checklist_response(item) -> Response:
    if wants_fragment():
        return render("catalog/detail.html", "catalog/_checklist.html", **_item_context(item))
    return see_other(url_for("catalog.item", slug=item.slug) + "#checklist")


@bp.route("/items/<slug>/helpful", methods=["POST"])
@login_required
def helpful(slug: str) -> Response:
    """Record "was this helpful?" (one answer per person, changeable)."""
    item = _visible_item(slug)
    require("vote_helpful", item)
    form = HelpfulForm()
    if not form.validate():
        abort(400)
    services.vote_helpful(current_user, item, form.answer.data == "yes")
    if wants_fragment():
        return render("catalog/detail.html", "catalog/_helpful.html", **_item_context(item))
    flash("Thanks for telling us.", "success")
    return see_other(url_for("catalog.item", slug=item.slug) + "#helpful")


@bp.route("/kpis")
@login_required
def kpis() -> Response:
    """Every business KPI and how much of the catalog serves it."""
    return render("catalog/kpis.html", kpis=services.kpi_overview())


@bp.route("/kpis/<slug>")
@login_required
def kpi(slug: str) -> Response:
    """What serves one KPI."""
    kpi = services.kpi_by_slug(slug) or abort(404)
    page = services.parse_filters({"page": request.args.get("page", "1")}).page
    return render(
        "catalog/kpi.html", "catalog/_kpi_items.html", kpi=kpi,
        page=services.items_for_kpi(kpi, page, current_app.config["PAGE_SIZE"]),
    )
