"""The knowledge-flow network: measured with networkx, drawn with Graphviz, from the flow rollups.

Snapshots per period are computed by the rollup job, so the page reads one row.
"""

from __future__ import annotations

import html
import re
import subprocess
from collections import Counter, defaultdict
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from marketplace.accounts.models import Department, User
from marketplace.catalog.models import Skill
from marketplace.extensions import db
from marketplace.impact.rollup_models import Flow, NetworkSnapshot, SkillAnswer
from marketplace.impact.rollups import week_of
from marketplace.timeutil import today, utcnow

if TYPE_CHECKING:
    import networkx as nx

PERIODS = {30: "Last 30 days", 90: "Last 90 days", 365: "Last 12 months", 1095: "Last 3 years"}
KNOWLEDGE_KINDS = ("answered", "accepted")
DRAW_LIMIT = 40
BOTTLENECK_MIN_IN = 3


def _flows(period_days: int) -> list[tuple]:
    since = week_of(today() - timedelta(days=period_days))
    query = select(Flow.kind, Flow.source_user_id, Flow.target_user_id, Flow.source_department, Flow.target_department,
                   func.sum(Flow.count)).where(Flow.week >= since).group_by(
        Flow.kind, Flow.source_user_id, Flow.target_user_id, Flow.source_department, Flow.target_department)
    return list(db.session.execute(query).all())


def measure(flows: list[tuple], names: dict[int, str], departments: dict[int, str], skills_single: list[dict]) -> dict:
    """Critical nodes, bottlenecks, silos, knowledge at risk and the exchange between departments."""
    import networkx as nx  # here, not at import: 12 MB per web worker that never draws the network

    people = nx.DiGraph()
    depts = nx.DiGraph()
    totals: Counter = Counter()
    accepted_between: Counter = Counter()
    anonymous = 0
    for kind, source, target, source_dept, target_dept, count in flows:
        totals[kind] += count
        if kind in KNOWLEDGE_KINDS:
            depts.add_edge(source_dept, target_dept, weight=depts.get_edge_data(source_dept, target_dept, {}).get("weight", 0) + count)
            if kind == "accepted":
                accepted_between[(source_dept, target_dept)] += count
        if not source or not target:
            anonymous += count
            continue
        weight = people.get_edge_data(source, target, {}).get("weight", 0) + count
        people.add_edge(source, target, weight=weight, kind=kind)
    critical = _critical(people, names)
    return {
        "totals": dict(totals), "anonymous": anonymous, "critical": critical,
        "bottlenecks": _bottlenecks(people, names) + _bottlenecks(depts, departments, group=True),
        "silos": _silos(depts, departments), "at_risk": skills_single,
        "exchange": [{"from": departments.get(s, "No department"), "to": departments.get(t, "No department"), "count": n}
                     for (s, t), n in sorted(accepted_between.items(), key=lambda x: -x[1])],
        "people": _people_rows(people, names),
        "department_edges": [(departments.get(s, "No department"), departments.get(t, "No department"), d["weight"])
                             for s, t, d in depts.edges(data=True)],
    }


def _critical(graph: nx.DiGraph, names: dict[int, str], top: int = 5) -> list[dict]:
    if graph.number_of_nodes() < 3:
        return []
    k = min(graph.number_of_nodes(), 120)  # sampled betweenness above 120 people (seeded: stable names between runs)
    import networkx as nx

    scores = nx.betweenness_centrality(graph.to_undirected(), k=k if k < graph.number_of_nodes() else None, seed=7)
    ranked = sorted(((v, n) for n, v in scores.items() if v > 0), reverse=True)[:top]
    return [{"id": n, "name": names.get(n, "Someone"), "betweenness": round(v, 3)} for v, n in ranked]


def _bottlenecks(graph: nx.DiGraph, names: dict[int, str], group: bool = False) -> list[dict]:
    """Knowledge comes in (answers received) but does not leave (few answers given)."""
    found = []
    for node in graph.nodes:
        incoming = sum(d["weight"] for u, v, d in graph.in_edges(node, data=True) if u != v)
        outgoing = sum(d["weight"] for u, v, d in graph.out_edges(node, data=True) if u != v)
        if incoming >= BOTTLENECK_MIN_IN and outgoing * 4 <= incoming:
            found.append({"name": names.get(node, "No department" if group else "Someone"), "in": incoming, "out": outgoing,
                          "group": group})
    return sorted(found, key=lambda b: -b["in"])[:8]


def _silos(graph: nx.DiGraph, departments: dict[int, str]) -> list[str]:
    exchanging = {n for s, t in graph.edges if s != t for n in (s, t)}
    return sorted(name for dept_id, name in departments.items() if dept_id not in exchanging)


def _people_rows(graph: nx.DiGraph, names: dict[int, str]) -> list[dict]:
    rows = [{"name": names.get(n, "Someone"), "given": int(graph.out_degree(n, weight="weight")),
             "received": int(graph.in_degree(n, weight="weight"))} for n in graph.nodes]
    return sorted(rows, key=lambda r: -(r["given"] + r["received"]))[:50]


def _single_answerers(period_days: int, names: dict[int, str]) -> list[dict]:
    """Skills that only one person answers for in the period (knowledge at risk)."""
    since = week_of(today() - timedelta(days=period_days))
    rows = db.session.execute(
        select(SkillAnswer.skill_id, SkillAnswer.user_id, func.sum(SkillAnswer.count)).where(SkillAnswer.week >= since)
        .group_by(SkillAnswer.skill_id, SkillAnswer.user_id)).all()
    by_skill: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for skill_id, user_id, count in rows:
        by_skill[skill_id].append((user_id, count))
    skills = dict(db.session.execute(select(Skill.id, Skill.name)).all())
    return [{"skill": skills.get(s, "?"), "person": names.get(who[0][0], "someone in a Chatham House space") if who[0][0] else "someone in a Chatham House space",
             "answers": int(who[0][1])} for s, who in sorted(by_skill.items()) if len(who) == 1]


def _harvest_contributors(period_days: int) -> list[dict]:
    """People whose accepted answers were harvested into job aids (Chatham House spaces: counted, not named)."""
    from marketplace.spaces.models import Post, Space, Thread

    since = utcnow() - timedelta(days=period_days)
    rows = db.session.execute(
        select(Space.chatham_house, User.name, func.count(Post.id)).select_from(Post)
        .join(Thread, Thread.id == Post.thread_id).join(Space, Space.id == Thread.space_id).join(User, User.id == Post.author_id)
        .where(Thread.harvested_item_id.is_not(None), Post.accepted.is_(True), Thread.created_at >= since)
        .group_by(Space.chatham_house, User.name)
    ).all()
    named = Counter({name: n for hidden, name, n in rows if not hidden})
    hidden = sum(n for hidden, _, n in rows if hidden)
    found = [{"name": name, "count": n} for name, n in named.most_common(20)]
    return found + ([{"name": "People in Chatham House spaces", "count": hidden}] if hidden else [])


def draw(measures: dict) -> str:
    """The department network (and the busiest people) as SVG from Graphviz `dot`; '' when dot is missing."""
    lines = ['digraph flows {', 'graph [rankdir=LR, bgcolor="transparent", fontname="sans-serif"];',
             'node [shape=box, style="rounded", fontname="sans-serif", fontsize=11];', 'edge [fontname="sans-serif", fontsize=9];']
    for source, target, weight in measures["department_edges"][:DRAW_LIMIT * 2]:
        label = f"{weight}"
        lines.append(f'"{_dot(source)}" -> "{_dot(target)}" [label="{label}", penwidth={min(6, 1 + weight / 5):.1f}];')
    for silo in measures["silos"]:
        lines.append(f'"{_dot(silo)}" [color="#b91c1c", fontcolor="#b91c1c", xlabel="silo"];')
    lines.append("}")
    try:
        result = subprocess.run(["dot", "-Tsvg"], input="\n".join(lines), capture_output=True, text=True, timeout=20, check=True)
    except (OSError, subprocess.SubprocessError):
        return ""
    svg = re.sub(r'\sstyle="[^"]*"', "", result.stdout)  # the CSP allows no style attributes
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else ""


def _dot(text: str) -> str:
    return html.escape(text, quote=False).replace("\\", "\\\\").replace('"', '\\"')


def compute(period_days: int) -> NetworkSnapshot:
    """Measure and draw one period; store it as the snapshot the page reads (caller commits)."""
    flows = _flows(period_days)
    ids = {i for row in flows for i in row[1:3] if i}
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}
    departments = dict(db.session.execute(select(Department.id, Department.name)).all())
    measures = measure(flows, names, departments, _single_answerers(period_days, names))
    measures["harvested"] = _harvest_contributors(period_days)
    snapshot = db.session.get(NetworkSnapshot, period_days) or NetworkSnapshot(period_days=period_days)
    snapshot.data, snapshot.svg, snapshot.computed_at = measures, draw(measures), utcnow()
    db.session.add(snapshot)
    return snapshot


def refresh_all() -> None:
    """Recompute every period's snapshot (the rollup job calls this)."""
    for days in PERIODS:
        compute(days)
    db.session.flush()


def snapshot(period_days: int) -> NetworkSnapshot | None:
    """The stored network for a period."""
    return db.session.get(NetworkSnapshot, period_days)
