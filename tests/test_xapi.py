"""xAPI statements from learning events, accepted by a real Ralph LRS; the profile; no e-mail anywhere."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.events import services as events
from marketplace.events.models import ObjectType, Verb
from marketplace.extensions import db
from marketplace.integrations import rules, xapi
from marketplace.integrations.models import Delivery, DeliveryKind, DeliveryState
from marketplace.jobs import services as job_services
from marketplace.jobs.models import JobRun, JobState
from marketplace.timeutil import utcnow
from tests.lrs_fixtures import PASSWORD, USER, lrs  # noqa: F401  (fixture)

HOME = "https://acme.example"


@pytest.fixture()
def lrs_app(app, lrs, base):  # noqa: F811
    rules._reader.clear()
    saved = {k: app.config[k] for k in ("XAPI_LRS_URL", "XAPI_LRS_USERNAME", "XAPI_LRS_PASSWORD", "XAPI_HOME_PAGE", "PUBLIC_BASE_URL")}
    # Event ids repeat between tests (the tables are emptied); a fresh base URL keeps statement ids unique.
    app.config.update(XAPI_LRS_URL=lrs.url, XAPI_LRS_USERNAME=USER, XAPI_LRS_PASSWORD=PASSWORD, XAPI_HOME_PAGE=HOME,
                      PUBLIC_BASE_URL=f"https://{uuid.uuid4().hex[:12]}.marketplace.example")
    yield lrs
    app.config.update(saved)


def _record_some(base) -> list:
    employee, champion = base.users["employee"], base.users["champion"]
    recorded = [
        events.record(employee, Verb.OPENED, ObjectType.ITEM, base.job_aid.id),
        events.record(employee, Verb.COMPLETED, ObjectType.ITEM, base.checklist.id),
        events.record(employee, Verb.PLAYED, ObjectType.ITEM, base.quick_learn.id),
        events.record(champion, Verb.VOTED_HELPFUL, ObjectType.ITEM, base.job_aid.id, context={"helpful": True}),
        events.record(champion, Verb.ENDORSED, ObjectType.PERSON, employee.id, object_ref="expense-policy"),
    ]
    db.session.commit()
    return recorded


def test_learning_events_reach_the_lrs_as_statements_it_accepts(base, lrs_app):
    before = {s["id"] for s in lrs_app.statements()}
    recorded = _record_some(base)
    rules.follow_feed()
    recorded += _record_some(base)  # a second batch into the same store
    rules.follow_feed()
    stored = [s for s in lrs_app.statements() if s["id"] not in before]
    assert sorted(s["id"] for s in stored) == sorted(xapi.statement_id(e.id) for e in recorded), "the LRS rejected nothing"
    deliveries = db.session.scalars(select(Delivery).where(Delivery.kind == DeliveryKind.XAPI)).all()
    assert {d.state for d in deliveries} == {DeliveryState.SENT}
    opened = next(s for s in stored if s["id"] == xapi.statement_id(recorded[0].id))
    assert opened["verb"]["id"] == "http://adlnet.gov/expapi/verbs/experienced"
    assert opened["actor"]["account"] == {"homePage": HOME, "name": str(base.users["employee"].id)}
    assert opened["object"]["id"].endswith("/items/expense-claim-rejected")
    extensions = opened["object"]["definition"]["extensions"]
    assert extensions[xapi.iri("extensions/moment-of-need")] == "solve"
    assert extensions[xapi.iri("extensions/kpis")] == ["days-to-first-sale"]


def test_no_statement_carries_an_email_address(base, lrs_app):
    ours = {xapi.statement_id(e.id) for e in _record_some(base)}
    rules.follow_feed()
    statements = [s for s in lrs_app.statements() if s["id"] in ours]
    assert statements
    for statement in statements:
        text = json.dumps({k: v for k, v in statement.items() if k != "authority"})
        assert "mbox" not in text and "@" not in text


def test_every_verb_and_extension_is_adl_or_in_our_profile(client, base, lrs_app):
    profile = client.get("/xapi/profile").get_json()
    assert profile["type"] == "Profile" and profile["id"] == xapi.iri("profile")
    concepts = {c["id"] for c in profile["concepts"]}
    for verb in Verb:
        iri = xapi.verb_iri(verb)
        assert iri.startswith("http://adlnet.gov/expapi/verbs/") or iri in concepts, verb
    ours = {xapi.statement_id(e.id) for e in _record_some(base)}
    rules.follow_feed()
    checked = [s for s in lrs_app.statements() if s["id"] in ours]
    assert len(checked) == len(ours)
    for statement in checked:
        for key in statement["object"].get("definition", {}).get("extensions", {}):
            assert key in concepts


def test_statements_wait_while_the_lrs_is_down_and_are_sent_once_it_is_back(app, base, lrs_app):
    app.config["XAPI_LRS_URL"] = "http://127.0.0.1:9/xAPI"  # nothing listens there
    recorded = _record_some(base)
    rules.follow_feed()
    run = db.session.scalars(select(JobRun).where(JobRun.name == xapi.SEND_JOB)).one()
    assert run.state == JobState.PENDING and "did not answer" in run.last_error
    assert {d.state for d in db.session.scalars(select(Delivery))} == {DeliveryState.PENDING}
    app.config["XAPI_LRS_URL"] = lrs_app.url
    run.not_before = utcnow() - timedelta(minutes=1)
    db.session.commit()
    job_services.sweep()
    stored = {s["id"] for s in lrs_app.statements()}
    assert {xapi.statement_id(e.id) for e in recorded} <= stored


def test_an_lrs_down_past_the_retry_budget_lists_the_statements_as_failed(app, base, lrs_app):
    app.config["XAPI_LRS_URL"] = "http://127.0.0.1:9/xAPI"
    _record_some(base)
    rules.follow_feed()
    run_id = db.session.scalars(select(JobRun.id).where(JobRun.name == xapi.SEND_JOB)).one()
    while db.session.get(JobRun, run_id).state == JobState.PENDING:
        db.session.get(JobRun, run_id).not_before = utcnow() - timedelta(minutes=1)
        db.session.commit()
        job_services.sweep()
        db.session.expire_all()
    assert {d.state for d in db.session.scalars(select(Delivery))} == {DeliveryState.FAILED}
