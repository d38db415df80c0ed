"""Search page and as-you-type fragment, the demand log for curators, and the index commands."""

from __future__ import annotations

import secrets

import click
from flask import Blueprint, Response, abort, current_app, flash, request, url_for
from flask_login import current_user, login_required

from marketplace.choices import options
from marketplace.htmx import render, see_other, wants_fragment
from marketplace.policy import require
from marketplace.search import admin, demand, follower, hooks, people, services
from marketplace.search.forms import (
    ContentRequestForm,
    DemandForm,
    ResolveForm,
    parse_request,
    parse_tab,
)

bp = Blueprint("search", __name__, cli_group="search")


@bp.record_once
def _install_hooks(state) -> None:  # noqa: ANN001 - Flask's signature
    hooks.install()
    follower.init_app(state.app)


@bp.route("/search")
@login_required
def search() -> Response:
    """Search results: the whole page on a direct visit, the results fragment while typing."""
    require("search")
    labels = services.facet_labels()
    query, problems = parse_request(request.args, labels)
    tab = parse_tab(request.args)
    thread_limit = query.limit if tab == "discussions" else services.THREAD_PREVIEW
    results = services.search(query, current_user, labels, thread_limit=thread_limit)
    # Names this results page (not the person) so its demand beacon and an opened result meet in one row.
    token = secrets.token_hex(8)
    skills = people.skills_matching(query.text) if tab == "people" else []
    response = render(
        "search/page.html", "search/_results.html",
        status=503 if results.unavailable else 200,
        results=results, problems=problems, tab=tab, skills=skills,
        experts=people.who_knows(skills[0].slug, viewer=current_user) if skills else [],
        related=services.related_collections(query.text) if results.searched and not results.total else [],
        demand_form=DemandForm(), search_token=token,
        # GET never writes: the page posts its own settled search back (search/_demand_beacon.html).
        log_search=demand.worth_logging(query, results, tab), settle_delay=wants_fragment(),
    )
    if results.unavailable:
        response.headers["Retry-After"] = "30"
    return response


@bp.route("/search/demand", methods=["POST"])
@login_required
def log_demand() -> Response:
    """Log a settled search, once per results page (its beacon posts here on load; typing waits to settle)."""
    require("search")
    form = DemandForm()
    if not form.validate():
        return Response(status=204)  # nothing worth logging; the searcher sees no difference
    labels = services.facet_labels()
    query, _ = parse_request(request.form, labels)
    total = services.settled_total(query, current_user, labels)
    demand.record_settled(query.text, query.filters, total or 0, total is not None, token=request.form.get("sid"),
                          department_id=current_user.department_id)
    return Response(status=204)


@bp.route("/search/opened", methods=["POST"])
@login_required
def result_opened() -> Response:
    """A result of a settled search was opened (sent as a beacon on click): that search was met."""
    require("search")
    form = DemandForm()
    if form.validate():
        query, _ = parse_request(request.form, services.facet_labels())
        demand.opened(request.form.get("sid") or "", query.text, query.filters, current_user.department_id)
    return Response(status=204)


@bp.route("/search/request", methods=["POST"])
@login_required
def request_content() -> Response:
    """ "Request this content" from an empty result: logged for curators, anonymously."""
    require("search")
    form = DemandForm()
    if not form.validate():
        abort(400)
    query, _ = parse_request(request.form, services.facet_labels())
    demand.record(query.text, query.filters, 0, explicit=True, department_id=current_user.department_id)
    flash("Thanks: L&D curators will see that people need this.", "success")
    return see_other(url_for("search.search", q=query.text, **query.filters))


def _request_form(**kwargs) -> ContentRequestForm:
    form = ContentRequestForm(**kwargs)
    form.department_id.choices = options([(d.id, d.name) for d in demand.departments()])
    return form


def _demand_page(form: ContentRequestForm | None = None, status: int = 200) -> Response:
    return render(
        "search/demand.html", status=status, entries=demand.report(), form=form or _request_form(),
        resolve_form=ResolveForm(), open_requests=demand.requests_for(current_user),
        department_ids={d.slug: d.id for d in demand.departments()},
    )


@bp.route("/curate/demand")
@login_required
def demand_log() -> Response:
    """Looked for, not found: unmet searches ranked by how often people ran them."""
    require("view_demand")
    return _demand_page()


@bp.route("/curate/demand/requests", methods=["POST"])
@login_required
def create_request() -> Response:
    """Turn a demand entry into a content request for a department's champions."""
    require("manage_content_requests")
    form = _request_form()
    department = None
    if form.validate():
        department = next((d for d in demand.departments() if d.id == form.department_id.data), None)
        if department is None:
            form.department_id.errors.append("Choose a department.")
    if department is None:
        flash("The request needs a query and a department.", "error")
        return _demand_page(form, status=422)
    demand.create_request(form.query.data, form.filters.data or "", department, form.note.data or "", current_user)
    flash(f"Requested from the {department.name} champions.", "success")
    return see_other(url_for("search.demand_log"))


@bp.route("/curate/requests")
@login_required
def content_requests() -> Response:
    """Open content requests: a champion's own departments, or all of them for curators."""
    require("view_content_requests")
    return render("search/requests.html", requests=demand.requests_for(current_user), resolve_form=ResolveForm())


@bp.route("/curate/requests/<int:request_id>/resolve", methods=["POST"])
@login_required
def resolve_request(request_id: int) -> Response:
    """Mark a content request resolved once the content has landed."""
    require("manage_content_requests")
    content_request = demand.request_by_id(request_id) or abort(404)
    if not ResolveForm().validate():
        abort(400)
    demand.resolve(content_request)
    flash(f"“{content_request.query}” marked resolved.", "success")
    target = request.form.get("next") == "requests"
    return see_other(url_for("search.content_requests" if target else "search.demand_log"))


@bp.cli.command("reindex")
@click.option("--procs", type=int, default=None, help="Indexing processes (default: SEARCH_BUILD_PROCS, else one per core up to 4 from 5,000 items).")
def reindex_command(procs: int | None) -> None:
    """Rebuild the index into a fresh directory and swap it in atomically."""
    total = admin.published_count()
    with click.progressbar(length=total, label=f"Indexing {total} published items and discussion threads") as bar:
        name = admin.rebuild(procs=procs, on_batch=bar.update)
    click.echo(f"Search index rebuilt: {name}")


@bp.cli.command("check")
@click.option("--fix", is_flag=True, help="Re-index the items that drifted.")
def check_command(fix: bool) -> None:
    """Compare the database and the index, and report drift."""
    drift = admin.check()
    if drift is None:
        raise click.ClickException("No readable search index: run `flask --app marketplace search reindex`.")
    for label, ids in (("missing from the index", drift.missing), ("in the index but not published or gone", drift.extra),
                       ("indexed from an older version", drift.stale)):
        click.echo(f"{len(ids):6d} {label}" + (f": {ids[:20]}" if ids else ""))
    if drift.clean:
        click.echo("Index and database agree.")
    elif fix:
        admin.fix(drift)
        click.echo("Drifted items and threads re-indexed.")
    else:
        raise SystemExit(1)


@bp.cli.command("ensure")
def ensure_command() -> None:
    """Build the index if it is missing, unreadable or from an older schema (used by `make run`)."""
    backend = hooks.backend_for(current_app)
    if backend.exists() and backend.schema_current():
        click.echo("Search index present.")
        return
    name = admin.rebuild()
    click.echo(f"Search index built: {name}")


@bp.cli.command("lag")
def lag_command() -> None:
    """Print how far this index directory trails the change feed (as /healthz reports it)."""
    from marketplace.search.health import search_health

    for key, value in search_health(current_app).items():
        click.echo(f"{key}: {value}")


@bp.cli.command("catch-up")
def catch_up_command() -> None:
    """Apply the change feed to this index directory now (the follower does this every few seconds)."""
    from marketplace.search import feed

    click.echo(f"Applied {feed.catch_up(current_app)} changes.")


@bp.cli.command("forget-consumer")
@click.argument("name")
def forget_consumer_command(name: str) -> None:
    """Stop pruning from waiting for a retired index directory (NAME as /healthz or `search lag` shows it)."""
    from marketplace import changes
    from marketplace.extensions import db

    changes.forget_consumer(db.session, name)
    db.session.commit()
    click.echo(f"Forgot {name}.")


from marketplace.search import vocabulary_views  # noqa: E402,F401  (registers the vocabulary routes on bp)
