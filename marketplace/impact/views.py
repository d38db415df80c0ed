"""Impact pages: the balanced scorecard, a KPI's scorecard, the knowledge-flow network, CSV exports."""

from __future__ import annotations

from collections import OrderedDict

from flask import Blueprint, Response, abort, request
from flask_login import current_user, login_required

from marketplace.catalog.services import kpi_by_slug
from marketplace.htmx import render
from marketplace.impact import charts, exports, network, scorecard
from marketplace.impact.models import Dimension
from marketplace.policy import require

bp = Blueprint("impact", __name__)
_CHARTS: OrderedDict = OrderedDict()  # rendered SVG by (chart, data version): pygal takes ~50-100 ms a chart
CHART_CACHE_SIZE = 256


def _cached_chart(key: tuple, build):  # noqa: ANN001
    """Render once per data version in this process; readings, markers or adoption changing make a new key."""
    if key in _CHARTS:
        _CHARTS.move_to_end(key)
        return _CHARTS[key]
    chart = _CHARTS[key] = build()
    while len(_CHARTS) > CHART_CACHE_SIZE:
        _CHARTS.popitem(last=False)
    return chart


@bp.route("/impact")
@login_required
def overview() -> Response:
    """The balanced scorecard: one row per KPI, grouped by dimension."""
    require("view_impact")
    return render("impact/overview.html", groups=scorecard.overview(current_user), dimensions=list(Dimension),
                  cases=scorecard.proficiency_cases(current_user))


def _kpi_or_404(slug: str):
    kpi = kpi_by_slug(slug) or abort(404)
    require("view_scorecard", kpi)
    return kpi


def _trend_chart(card: scorecard.Scorecard):
    if not card.readings:
        return None
    labels = [r.period_start.isoformat() for r in card.readings]
    series = [("Value", [r.value for r in card.readings])]
    if card.baseline is not None:
        series.append(("Baseline", [card.baseline] * len(labels)))
    if card.target is not None:
        series.append(("Target", [card.target] * len(labels)))
    positions = {r.period_start: r.value for r in card.readings}
    starts = [r.period_start for r in card.readings]
    marked = [None] * len(labels)
    for marker in card.markers:
        index = next((i for i, start in enumerate(starts) if start >= marker.on), None)
        if index is not None:
            marked[index] = positions[starts[index]]
    series.append(("Markers", marked))
    every = max(1, len(labels) // 8)
    return charts.line_chart(f"{card.kpi.name} over time against baseline and target", labels, series, major_every=every, dots={"Markers"})


def _adoption_chart(card: scorecard.Scorecard):
    if not card.adoption:
        return None
    labels = [week.isoformat() for week, _ in card.adoption]
    return charts.line_chart(f"People using items that serve {card.kpi.name}, per week", labels,
                             [("People per week", [n for _, n in card.adoption])], major_every=max(1, len(labels) // 8), height=240)


def _did_chart(card: scorecard.Scorecard):
    did = card.did
    if did.effect is None:
        return None
    return charts.bar_chart("Average KPI value before and after the launch, by adoption group", ["Before launch", "After launch"],
                            [("High adoption", [round(did.before_high, 2), round(did.after_high, 2)]),
                             ("Low adoption", [round(did.before_low, 2), round(did.after_low, 2)])])


@bp.route("/impact/kpis/<slug>")
@login_required
def kpi(slug: str) -> Response:
    """One KPI's scorecard: trend against baseline and target, markers, adoption, behaviour and before/after."""
    kpi = _kpi_or_404(slug)
    scope = (request.args.get("department") or "").strip()[:120]
    card = scorecard.scorecard(kpi, scope, request.args.get("period"), current_user)
    if scope and scope not in {d.slug for d, *_ in card.departments}:
        abort(404)
    version = (kpi.id, card.scope, card.period, kpi.name, card.target, card.baseline, len(card.readings),
               max((r.updated_at for r in card.readings), default=None), tuple((m.on, m.label) for m in card.markers))
    trend = _cached_chart(("trend", *version), lambda: _trend_chart(card))
    adoption = _cached_chart(("adoption", kpi.id, card.scope, hash(tuple(card.adoption))), lambda: _adoption_chart(card))
    did = card.did
    did_chart = _cached_chart(("did", kpi.id, did.before_high, did.after_high, did.before_low, did.after_low), lambda: _did_chart(card))
    return render("impact/kpi.html", card=card, trend=trend, adoption_chart=adoption,
                  did_chart=did_chart, better=scorecard.better, privacy_min=scorecard.PRIVACY_MIN, table_rows=52)


def _period() -> int:
    raw = request.args.get("period", "90")
    return int(raw) if raw.isdigit() and int(raw) in network.PERIODS else 90


def _proxy() -> tuple[float | None, str, list[str]]:
    problems = []
    raw = (request.args.get("value") or "").strip()
    value = None
    if raw:
        try:
            value = float(raw)
            if not 0 <= value <= 1_000_000:
                raise ValueError
        except ValueError:
            problems.append("The value per accepted answer must be a number between 0 and 1,000,000.")
            value = None
    currency = (request.args.get("currency") or "EUR").strip()[:8] or "EUR"
    return value, currency, problems


@bp.route("/impact/network")
@login_required
def network_page() -> Response:
    """Who answers whose questions: critical nodes, bottlenecks, silos, knowledge at risk, value exchanged."""
    require("view_network")
    days = _period()
    value, currency, problems = _proxy()
    return render("impact/network.html", snap=network.snapshot(days), days=days, periods=network.PERIODS,
                  value=value, currency=currency, problems=problems, status=422 if problems else 200)


@bp.route("/impact/export/<table>.csv")
@login_required
def export(table: str) -> Response:
    """Download any impact table as CSV."""
    if table == "scorecard":
        require("view_impact")
        rows = [(d.label, r.kpi.name, r.kpi.unit, r.kpi.direction, *(_summary_cells(r.summary)))
                for d, group in scorecard.overview(current_user).items() for r in group]
        return exports.csv_response("scorecard.csv", ["dimension", "kpi", "unit", "good direction", "latest", "period start", "target",
                                                      "weekly people", "helpful %", "behaviour change %", "overdue reviews", "open requests"], rows)
    if table == "proficiency":
        require("view_impact")
        return exports.csv_response("cost-of-delayed-proficiency.csv", ["role", "days before", "days now", "hires a year", "cost of a day", "currency", "value a year"],
                                    [(c.role, c.days_before, c.days_after, c.hires_per_year, c.daily_cost, c.currency, c.value_per_year)
                                     for c in scorecard.proficiency_cases(current_user)])
    if table in {"readings", "adoption", "did", "answers"}:
        return _kpi_export(table)
    if table in {"network-people", "network-departments", "network-at-risk"}:
        require("view_network")
        return _network_export(table)
    abort(404)


def _summary_cells(summary) -> list:  # noqa: ANN001
    if summary is None:
        return [None] * 8
    return [summary.latest_value, summary.latest_start.isoformat() if summary.latest_start else None, summary.target,
            summary.weekly_people, summary.helpful_rate, summary.change_rate, summary.overdue_reviews, summary.open_requests]


def _kpi_export(table: str) -> Response:
    kpi = _kpi_or_404(request.args.get("kpi", ""))
    card = scorecard.scorecard(kpi, (request.args.get("department") or "")[:120], request.args.get("period"), current_user)
    name = f"{kpi.slug}-{table}.csv"
    if table == "readings":
        return exports.csv_response(name, ["period", "start", "department", "value", "target", "baseline"],
                                    [(r.period.value, r.period_start.isoformat(), r.scope, r.value, r.target, r.baseline) for r in card.readings])
    if table == "adoption":
        return exports.csv_response(name, ["week", "people"], [(w.isoformat(), n if n is not None else scorecard.TOO_FEW) for w, n in card.adoption])
    if table == "answers":
        return exports.csv_response(name, ["answered", "doing differently", "what got in the way"],
                                    [(f.answered_at.date().isoformat(), f.doing_differently, f.got_in_the_way) for f in card.answers])
    did = card.did
    rows = [("high", n, p, s) for n, p, s in did.high] + [("low", n, p, s) for n, p, s in did.low]
    return exports.csv_response(name, ["group", "department", "people", "weekly adoption %"], rows)


def _network_export(table: str) -> Response:
    snap = network.snapshot(_period())
    data = snap.data if snap else {}
    if table == "network-people":
        return exports.csv_response("network-people.csv", ["person", "answers given", "answers received"],
                                    [(p["name"], p["given"], p["received"]) for p in data.get("people", [])])
    if table == "network-at-risk":
        return exports.csv_response("knowledge-at-risk.csv", ["skill", "only answerer", "answers"],
                                    [(r["skill"], r["person"], r["answers"]) for r in data.get("at_risk", [])])
    return exports.csv_response("network-departments.csv", ["from", "to", "accepted answers"],
                                [(e["from"], e["to"], e["count"]) for e in data.get("exchange", [])])
