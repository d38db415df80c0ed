"""Network measures against a hand-made graph: critical node, bottleneck, silo, knowledge at risk, value."""

from __future__ import annotations

from marketplace.accounts.models import Department
from marketplace.extensions import db
from marketplace.impact import network
from marketplace.impact.rollup_models import Flow, SkillAnswer
from marketplace.impact.rollups import week_of
from marketplace.timeutil import today
from tests import factories
from tests.spaces_fixtures import build_world


def _flow(kind, source, target, count=1, chatham=False):
    db.session.add(Flow(week=week_of(today()), kind=kind, source_user_id=0 if chatham else source.id,
                        target_user_id=0 if chatham else target.id, source_department=source.department_id or 0,
                        target_department=target.department_id or 0, count=count))


def _graph(base):
    """Sales people ask Hub (support); Hub's answers reach support people; Legal talks to nobody.

    x1, x2 (sales) --answer--> hub (support) --answer--> y1, y2 (support): hub lies on every path.
    y1 receives 4 answers and passes on none: a bottleneck.
    """
    legal = Department(name="Legal", slug="legal")
    db.session.add(legal)
    people = {name: factories.user(f"{name}@test.example", name.upper(), dept)
              for name, dept in [("x1", base.sales), ("x2", base.sales), ("hub", base.support), ("y1", base.support),
                                 ("y2", base.support), ("lawyer", legal)]}
    db.session.flush()
    _flow("answered", people["x1"], people["hub"])
    _flow("answered", people["x2"], people["hub"])
    _flow("answered", people["hub"], people["y1"], count=3)
    _flow("accepted", people["hub"], people["y1"])
    _flow("answered", people["hub"], people["y2"])
    _flow("accepted", people["x1"], people["hub"], count=2)
    _flow("answered", people["y2"], people["x1"], chatham=True)  # counted, never named
    db.session.add(SkillAnswer(week=week_of(today()), skill_id=base.skill.id, user_id=people["hub"].id, count=5))
    db.session.commit()
    return people


def test_measures_name_the_critical_node_bottleneck_silo_and_risk(base):
    people = _graph(base)
    data = network.compute(90).data
    assert data["critical"][0]["name"] == "HUB"
    bottlenecks = {(b["name"], b["group"]) for b in data["bottlenecks"]}
    assert ("Y1", False) in bottlenecks and ("HUB", False) not in bottlenecks
    assert "Legal" in data["silos"] and "Sales" not in data["silos"]
    assert data["at_risk"] == [{"skill": base.skill.name, "person": "HUB", "answers": 5}]
    assert data["anonymous"] == 1
    names = {p["name"] for p in data["people"]}
    assert names == {"X1", "X2", "HUB", "Y1", "Y2"}, "Chatham House flows add counts, never names"
    assert {"from": "Sales", "to": "Customer Support", "count": 2} in data["exchange"]
    assert people  # the drawing is Graphviz SVG without scripts or style attributes
    svg = network.snapshot(90).svg
    assert svg.startswith("<svg") and "<script" not in svg and "style=" not in svg and "Legal" in svg


def test_network_page_shows_measures_and_value_exchanged(as_role, base):
    _graph(base)
    network.refresh_all()
    db.session.commit()
    page = as_role("curator").get("/impact/network?period=90&value=120&currency=EUR")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "HUB" in body and "Legal" in body and "240 EUR" in body  # 2 accepted answers x 120 EUR
    bad = as_role("curator").get("/impact/network?period=90&value=lots")
    assert bad.status_code == 422 and "must be a number" in bad.get_data(as_text=True)


def test_empty_network_says_so(as_role, base):
    body = as_role("leader").get("/impact/network").get_data(as_text=True)
    assert "No questions answered" in body


def test_harvested_answers_credit_their_authors(base):
    from marketplace.spaces import harvesting

    world = build_world(base, visibility="open")
    harvesting.harvest(world.thread, base.users["leader"], [])
    data = network.compute(30).data
    assert data["harvested"] == [{"name": base.users["leader"].name, "count": 1}]
