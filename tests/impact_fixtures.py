"""Impact test data: enough people per department to pass the privacy threshold, a space, tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from marketplace.extensions import db
from marketplace.followups.models import FollowUp
from marketplace.impact import readings, tokens
from marketplace.impact.models import ApiToken, ReadingImport
from tests import factories
from tests.spaces_fixtures import World, build_world


@dataclass
class ImpactWorld:
    base: factories.Base
    world: World
    followup: FollowUp
    token: ApiToken
    secret: str
    staged: ReadingImport

    def __getattr__(self, name: str):  # the route matrix's lambdas read base fields too
        return getattr(self.base, name)


def add_people(base: factories.Base, per_department: int = 6) -> None:
    """Colleagues in sales and support so department breakdowns are shown (5 or more people)."""
    for department in (base.sales, base.support):
        for n in range(per_department):
            factories.user(f"{department.slug}{n}@test.example", f"{department.name} person {n}", department)
    db.session.commit()


CSV = "kpi,department,period,start,value\ndays-to-first-sale,,week,2026-01-05,40\n"


def build(base: factories.Base) -> ImpactWorld:
    """A space with a solved question and an experiment, the employee's follow-up, a token and a staged import."""
    world = build_world(base, visibility="open")
    followup = db.session.query(FollowUp).filter_by(user_id=base.users["employee"].id).one()
    token, secret = tokens.create("BI", [base.kpi], base.users["admin"].id)
    staged, checked, error = readings.stage(base.users["curator"].id, "r.csv", CSV.encode())
    assert staged is not None, (checked, error)
    return ImpactWorld(base, world, followup, token, secret, staged)


def week(year: int, month: int, day: int) -> date:
    return date(year, month, day)
