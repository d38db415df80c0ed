"""Follow-ups: scheduling, one a week, snooze and off, signed single-use links, delivery over real SMTP."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from sqlalchemy import func, select

from marketplace.events.models import LearningEvent, Verb
from marketplace.extensions import db
from marketplace.followups import services
from marketplace.followups.models import FollowUp, FollowUpReason, FollowUpState
from marketplace.impact.models import CollectionSetting, KpiProfile
from marketplace.notifications.models import Notification
from marketplace.timeutil import today
from tests.mail_fixtures import smtp  # noqa: F401


def _followup(base, item=None, user="employee") -> FollowUp:
    followup = services.for_item(base.users[user], item or base.job_aid, FollowUpReason.HELPFUL)
    db.session.commit()
    return followup


def test_due_in_thirty_days_by_default_or_as_the_collection_or_kpi_says(base):
    assert _followup(base).due_on == today() + timedelta(days=30)
    db.session.add(KpiProfile(kpi_id=base.kpi2.id, followup_days=14))
    db.session.commit()
    lone = services.for_item(base.users["champion"], base.quick_learn, FollowUpReason.HELPFUL)
    assert lone.due_on == today() + timedelta(days=14), "the quick learn's KPI says 14 days"
    db.session.rollback()
    db.session.add(CollectionSetting(collection_id=base.collection.id, followup_days=10))
    db.session.commit()
    assert services.for_item(base.users["champion"], base.checklist, FollowUpReason.COMPLETED).due_on == today() + timedelta(days=10)


def test_one_followup_per_person_and_thing(base):
    first = _followup(base)
    assert _followup(base).id == first.id
    assert db.session.scalar(select(func.count(FollowUp.id))) == 1


def test_send_due_is_idempotent_and_sends_one_a_week(base, smtp):  # noqa: F811
    first, second = _followup(base), _followup(base, base.checklist)
    on = today() + timedelta(days=31)
    assert services.send_due(on) == 1
    assert services.send_due(on) == 0, "a second run sends nothing new"
    assert [m["To"] for m in smtp.messages] == [base.users["employee"].email]
    states = {f.id: f.state for f in db.session.scalars(select(FollowUp))}
    assert sorted(states.values()) == [FollowUpState.SCHEDULED, FollowUpState.SENT]
    sent = db.session.get(FollowUp, first.id if states[first.id] == FollowUpState.SENT else second.id)
    sent.sent_at -= timedelta(days=8)  # a week later the next one may go
    db.session.commit()
    assert services.send_due(on + timedelta(days=8)) == 1
    assert db.session.scalar(select(func.count(Notification.id)).where(Notification.user_id == base.users["employee"].id)) == 2


def test_email_carries_a_link_that_opens_the_form_without_a_password(app, base, smtp):  # noqa: F811
    _followup(base)
    services.send_due(today() + timedelta(days=30))
    [message] = smtp.messages
    body = message.get_payload(decode=True).decode()
    assert "What, if anything, are you doing differently" in body
    path = re.search(r"http://127\.0\.0\.1:5000(/followups/answer/\S+)", body).group(1)
    client = app.test_client()  # not signed in
    form = client.get(path)
    assert form.status_code == 200 and "What changed since" in form.get_data(as_text=True)
    assert form.headers["Referrer-Policy"] == "no-referrer"
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.get_data(as_text=True)).group(1)
    answer = {"csrf_token": token, "changed": "yes", "doing_differently": "I check the form first.", "got_in_the_way": "Time."}
    assert client.post(path, data=answer).status_code == 200
    followup = db.session.scalar(select(FollowUp))
    db.session.refresh(followup)
    assert followup.state == FollowUpState.ANSWERED and followup.changed is True
    event = db.session.scalar(select(LearningEvent).where(LearningEvent.verb == Verb.ANSWERED_FOLLOWUP))
    assert event.context["changed"] is True and event.context["kpis"] == [base.kpi.slug]
    reused = client.post(path, data=answer)
    assert reused.status_code == 410 and "used already" in reused.get_data(as_text=True)
    assert client.get(path).status_code == 410


def test_tampered_expired_and_someone_elses_links_are_refused(app, as_role, base, monkeypatch):
    followup = _followup(base)
    token = services.answer_token(followup)
    client = app.test_client()
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert client.get(f"/followups/answer/{tampered}").status_code == 404
    other = services.answer_token(_followup(base, user="champion"))
    forged = other.split(".")[0] + "." + ".".join(token.split(".")[1:])  # payload of one, signature of another
    assert client.get(f"/followups/answer/{forged}").status_code == 404
    assert as_role("champion").get(f"/followups/answer/{token}").status_code == 404, "someone else's link"
    assert "belongs to someone else" in as_role("champion").get(f"/followups/answer/{token}").get_data(as_text=True)
    real_time = time.time
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real_time() - 15 * 86400)
    old = services.answer_token(followup)
    monkeypatch.setattr("itsdangerous.timed.time.time", real_time)
    expired = client.get(f"/followups/answer/{old}")
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)


def test_snoozed_and_switched_off_people_get_nothing(as_role, base, smtp):  # noqa: F811
    _followup(base).due_on = today()
    db.session.commit()
    client = as_role("employee")
    client.send("/followups/settings", {"action": "snooze"})
    assert services.send_due(today() + timedelta(days=27)) == 0
    assert services.send_due(today() + timedelta(days=28)) == 1, "after four weeks of snooze it goes"
    _followup(base, base.checklist)
    client.send("/followups/settings", {"action": "off"})
    assert services.send_due(today() + timedelta(days=90)) == 0
    assert db.session.scalar(select(FollowUp).where(FollowUp.subject == f"item:{base.checklist.id}")).state == FollowUpState.CANCELLED
    assert client.send("/followups/settings", {"action": "sideways"}).status_code == 422
    assert smtp.messages and len(smtp.messages) == 1


def test_signed_in_answer_page_lists_problems_at_once(as_role, base):
    followup = _followup(base)
    client = as_role("employee")
    page = client.send(f"/followups/{followup.id}", {"doing_differently": "x" * 5000})
    body = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Say whether you are doing anything differently" in body and "4000" in body
    assert client.send(f"/followups/{followup.id}", {"changed": "no"}).status_code == 303
    assert "Not yet" in client.get("/followups").get_data(as_text=True)
