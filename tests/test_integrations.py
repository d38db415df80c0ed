"""Slack and Teams, both ways: rules to channels, durable delivery, signatures, /learn, personal channels."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.integrations import rules
from marketplace.integrations.models import (
    ChannelRule,
    ChatConnection,
    ConnectionKind,
    Delivery,
    DeliveryState,
    RuleEvent,
)
from marketplace.jobs import services as job_services
from marketplace.jobs.models import JobRun, JobState
from marketplace.notifications.models import Notification
from marketplace.notifications.services import notify
from marketplace.spaces.models import Space
from marketplace.timeutil import utcnow
from tests.chat_receivers import Receiver

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAMS_TOKEN = base64.b64encode(b"teams-shared-secret-0123456789").decode()


@pytest.fixture()
def receiver():
    running = Receiver().start()
    yield running
    running.stop()


@pytest.fixture()
def chat(app, base, receiver):
    """A Slack webhook and a Teams workflow webhook, both pointing at the local receiver."""
    rules._reader.clear()  # the test database is emptied between tests; production never is
    saved = {k: app.config[k] for k in ("SLACK_API_BASE", "SLACK_SIGNING_SECRET", "TEAMS_SECURITY_TOKEN")}
    app.config.update(SLACK_API_BASE=receiver.url + "/api", SLACK_SIGNING_SECRET=SECRET, TEAMS_SECURITY_TOKEN=TEAMS_TOKEN)
    slack = ChatConnection(name="#sales", kind=ConnectionKind.SLACK_WEBHOOK, url=receiver.url + "/slack/hook")
    teams = ChatConnection(name="Sales team", kind=ConnectionKind.TEAMS_WORKFLOW, url=receiver.url + "/teams/hook")
    db.session.add_all([slack, teams])
    db.session.commit()
    yield slack, teams
    app.config.update(saved)


def _rule(connection, event: RuleEvent, **filters) -> ChannelRule:
    rule = ChannelRule(connection=connection, event=event, **filters)
    db.session.add(rule)
    db.session.commit()
    return rule


def _publish(item) -> None:
    item.status, item.published_at = "published", utcnow()
    db.session.commit()


def test_a_published_item_reaches_slack_and_teams_with_moment_kpi_and_link(base, chat, receiver):
    slack, teams = chat
    _rule(slack, RuleEvent.ITEM_PUBLISHED)
    _rule(teams, RuleEvent.ITEM_PUBLISHED)
    _publish(base.draft)
    rules.follow_feed()
    assert receiver.problems == []
    slack_body, = receiver.bodies("/slack")
    assert "Unreleased pricing change" in slack_body["text"]
    assert "Moment of need: Change" in slack_body["text"] and "KPI: Days to first sale" in slack_body["text"]
    assert "/items/secret-draft" in slack_body["text"]
    teams_body, = receiver.bodies("/teams")
    card = teams_body["attachments"][0]["content"]
    assert card["actions"][0]["url"].endswith("/items/secret-draft")
    assert {d.state for d in db.session.scalars(select(Delivery))} == {DeliveryState.SENT}


def test_following_the_feed_twice_sends_each_message_once(base, chat, receiver):
    _rule(chat[0], RuleEvent.ITEM_PUBLISHED)
    _publish(base.draft)
    rules.follow_feed()
    rules._reader.clear()  # as if the worker restarted and read the feed again from its stored position
    rules.follow_feed()
    assert len(receiver.bodies("/slack")) == 1


def test_rules_filter_by_kpi_and_department(base, chat, receiver):
    slack, _teams = chat
    _rule(slack, RuleEvent.ITEM_PUBLISHED, kpi_id=base.kpi2.id)
    _rule(slack, RuleEvent.ITEM_PUBLISHED, department_id=base.support.id)
    _publish(base.draft)  # serves kpi (not kpi2), sales department
    rules.follow_feed()
    assert receiver.bodies("/slack") == []


def test_a_rule_does_not_speak_of_what_happened_before_it(base, chat, receiver):
    _publish(base.draft)
    db.session.add(ChannelRule(connection=chat[0], event=RuleEvent.ITEM_PUBLISHED))
    db.session.commit()
    rules.follow_feed()
    assert receiver.bodies("/slack") == []


def test_open_spaces_are_announced_private_ones_never(base, chat, receiver):
    _rule(chat[0], RuleEvent.SPACE_OPENED)
    db.session.add_all([
        Space(slug="open-one", name="Shorter ramp-up", visibility="open", problem="New sellers are slow."),
        Space(slug="secret-one", name="Layoff planning", visibility="private", problem="Confidential."),
    ])
    db.session.commit()
    rules.follow_feed()
    texts = [b["text"] for b in receiver.bodies("/slack")]
    assert len(texts) == 1 and "Shorter ramp-up" in texts[0]
    assert not any("Layoff" in t for t in texts)


def _expire_wait(run_id: int) -> None:
    run = db.session.get(JobRun, run_id)
    run.not_before = utcnow() - timedelta(minutes=1)  # the wait is over (and the sweep sees it as due)
    db.session.commit()
    job_services.sweep()
    db.session.expire_all()


def test_nothing_is_lost_while_the_receiver_is_down_and_429_is_respected(base, chat, receiver):
    _rule(chat[0], RuleEvent.ITEM_PUBLISHED)
    receiver.down = True
    _publish(base.draft)
    rules.follow_feed()
    run = db.session.scalars(select(JobRun).where(JobRun.name == "integrations.deliver")).one()
    for _ in range(3):  # down for a while: every attempt fails and waits longer
        assert run.state == JobState.PENDING
        _expire_wait(run.id)
        run = db.session.get(JobRun, run.id)
    waits = run.not_before - utcnow()
    assert waits > timedelta(minutes=9), "back-off grows"
    receiver.down = False
    receiver.script.append((429, {"Retry-After": "120"}))
    _expire_wait(run.id)
    run = db.session.get(JobRun, run.id)
    assert run.state == JobState.PENDING and "429" in run.last_error
    assert timedelta(seconds=110) < run.not_before - utcnow() <= timedelta(seconds=120)
    _expire_wait(run.id)
    delivery = db.session.scalars(select(Delivery)).one()
    assert delivery.state == DeliveryState.SENT and delivery.attempts == 6
    assert len(receiver.bodies("/slack")) == 1


def test_after_the_retry_budget_a_delivery_is_listed_as_failed_and_can_be_retried(base, chat, receiver, as_role):
    _rule(chat[0], RuleEvent.ITEM_PUBLISHED)
    receiver.down = True
    _publish(base.draft)
    rules.follow_feed()
    run_id = db.session.scalars(select(JobRun.id)).one()
    while db.session.get(JobRun, run_id).state == JobState.PENDING:
        _expire_wait(run_id)
    delivery = db.session.scalars(select(Delivery)).one()
    assert delivery.state == DeliveryState.FAILED and "503" in delivery.last_error
    admin = as_role("admin")
    page = admin.get("/admin/deliveries").get_data(as_text=True)
    assert "Unreleased pricing change" in page and "Retry" in page
    receiver.down = False
    assert admin.send(f"/admin/deliveries/{delivery.id}/retry").status_code == 303
    db.session.expire_all()
    assert db.session.get(Delivery, delivery.id).state == DeliveryState.SENT
    assert len(receiver.bodies("/slack")) == 1


def _slack_headers(body: bytes, timestamp: int | None = None, secret: str = SECRET) -> dict:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    signature = "v0=" + hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}


def _command(text: str, response_url: str = "https://hooks.slack.com/commands/T1/1/abc") -> bytes:
    return urlencode({"command": "/learn", "text": text, "user_id": "U0ANA", "response_url": response_url}).encode()


def test_learn_answers_with_the_top_results_and_links(client, indexed, chat):
    body = _command("expense claim rejected")
    response = client.post("/integrations/slack/commands", data=body, headers=_slack_headers(body))
    assert response.status_code == 200
    reply = response.get_json()
    assert reply["response_type"] == "ephemeral"
    assert "/items/" in reply["text"] and len([b for b in reply["blocks"] if "<http" in b.get("text", {}).get("text", "")]) <= 3


def test_learn_never_shows_private_content(client, indexed, chat):
    body = _command("unreleased pricing")
    reply = client.post("/integrations/slack/commands", data=body, headers=_slack_headers(body)).get_json()
    assert "secret-draft" not in reply["text"] and "Nothing found" in reply["text"]


def test_learn_acknowledges_at_once_and_sends_the_full_answer_later_when_search_is_slow(app, client, indexed, chat, receiver):
    app.config["SLACK_RESPONSE_URL_PREFIXES"] = (receiver.url + "/slack/",)
    app.config["SLACK_COMMAND_BUDGET_SECONDS"] = 0  # search slower than the budget
    try:
        body = _command("expense claim rejected", response_url=receiver.url + "/slack/response")
        reply = client.post("/integrations/slack/commands", data=body, headers=_slack_headers(body)).get_json()
    finally:
        app.config["SLACK_COMMAND_BUDGET_SECONDS"] = 2.0
        app.config.pop("SLACK_RESPONSE_URL_PREFIXES")
    assert reply["text"].startswith("Searching")
    later, = receiver.bodies("/slack/response")
    assert "/items/expense-claim-rejected" in later["text"] and later["replace_original"] is True


@pytest.mark.parametrize("case", ["bad signature", "stale", "no secret configured", "too large"])
def test_forged_stale_and_oversized_slack_requests_are_refused(app, client, chat, case):
    body = _command("expense")
    headers = _slack_headers(body)
    expected = 401
    if case == "bad signature":
        headers = _slack_headers(body, secret="not-the-secret")
    elif case == "stale":
        headers = _slack_headers(body, timestamp=int(time.time()) - 301)
    elif case == "no secret configured":
        app.config["SLACK_SIGNING_SECRET"], expected = "", 404
    else:
        body, expected = _command("x" * 70_000), 413
        headers = _slack_headers(body)
    assert client.post("/integrations/slack/commands", data=body, headers=headers).status_code == expected


def test_a_replayed_slack_request_is_refused(client, indexed, chat):
    body = _command("expense")
    headers = _slack_headers(body)
    assert client.post("/integrations/slack/commands", data=body, headers=headers).status_code == 200
    assert client.post("/integrations/slack/commands", data=body, headers=headers).status_code == 401


def _teams_headers(body: bytes, token: str = TEAMS_TOKEN) -> dict:
    digest = hmac.new(base64.b64decode(token), body, hashlib.sha256).digest()
    return {"Authorization": "HMAC " + base64.b64encode(digest).decode(), "Content-Type": "application/json"}


def test_teams_outgoing_webhook_is_verified_and_answered_with_a_card(client, indexed, chat):
    body = b'{"type": "message", "id": "1", "text": "<at>Marketplace</at> expense claim rejected"}'
    response = client.post("/integrations/teams/messages", data=body, headers=_teams_headers(body))
    assert response.status_code == 200
    card = response.get_json()["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard" and any("/items/expense-claim-rejected" in a["url"] for a in card["actions"])
    assert client.post("/integrations/teams/messages", data=body, headers=_teams_headers(body)).status_code == 401, "replay"
    forged = _teams_headers(body, base64.b64encode(b"wrong").decode())
    assert client.post("/integrations/teams/messages", data=body + b" ", headers=forged).status_code == 401


def test_people_choose_in_app_email_or_chat_per_kind(base, chat, receiver, as_role):
    employee = base.users["employee"]
    receiver.slack_users[employee.email] = "U0ERIN"
    db.session.add(ChatConnection(name="Bot", kind=ConnectionKind.SLACK_BOT, token="xoxb-test", channel="C1"))
    db.session.commit()
    client = as_role("employee")
    choice = {"mention-email": "on", "mention-chat": "on", **{f"{e}-in_app": "on" for e in ("review", "followup", "reminder", "space", "general")}}
    assert client.send("/account/channels", choice).status_code == 303
    notify(employee.id, "Chris mentioned you in Shorter ramp-up", "/spaces/x", event="mention")
    notify(employee.id, "Something else", "/", event="general")
    db.session.commit()
    assert [n.text for n in db.session.scalars(select(Notification))] == ["Something else"], "mentions are not in-app any more"
    mail_runs = db.session.scalars(select(JobRun).where(JobRun.name == "mail.send")).all()
    assert [r.payload["to"] for r in mail_runs] == [employee.email]
    dm, = receiver.bodies("/api/chat.postMessage")
    assert dm["channel"] == "U0ERIN" and "mentioned you" in dm["text"]


def test_a_kind_with_no_channel_is_refused_with_every_problem_listed(base, as_role):
    response = as_role("employee").send("/account/channels", {"general-in_app": "on"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert page.count("needs at least one channel") == 5


def _action(receiver, message_ts: str = "1700000000.000100") -> bytes:
    import json

    payload = {
        "type": "message_action", "callback_id": "save_to_space", "team": {"domain": "acme"},
        "channel": {"id": "C0SALES"}, "user": {"id": "U0ERIN"}, "response_url": receiver.url + "/slack/response",
        "message": {"ts": message_ts, "text": "How do we handle refunds after 45 days?", "user": "U1"},
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


@pytest.mark.parametrize("chatham_house", [False, True])
def test_a_chat_thread_is_saved_into_a_space_with_consent(app, base, chat, receiver, as_role, chatham_house):
    from marketplace.spaces.models import Membership, Post, Thread

    app.config["SLACK_RESPONSE_URL_PREFIXES"] = (receiver.url + "/slack/",)
    db.session.add(ChatConnection(name="Bot", kind=ConnectionKind.SLACK_BOT, token="xoxb-test", channel="C1"))
    space = Space(slug="refunds", name="Refund puzzles", visibility="members", chatham_house=chatham_house)
    db.session.add_all([space, Membership(space=space, user=base.users["employee"], role="member", state="active")])
    db.session.commit()
    receiver.thread = [
        {"ts": "1700000000.000100", "text": "How do we handle refunds after 45 days?", "user_profile": {"real_name": "Dana Seller"}},
        {"ts": "1700000001.000100", "text": "Ask <@U123> in finance, then use form R-2.", "user_profile": {"real_name": "Sam Finance"}},
    ]
    try:
        body = _action(receiver)
        client = as_role("employee")
        assert client.post("/integrations/slack/actions", data=body, headers=_slack_headers(body)).status_code == 200
        link, = [b["text"].split(": ", 1)[1] for b in receiver.bodies("/slack/response")]
        path = link.split("127.0.0.1:5000", 1)[-1]
        page = client.get(path)
        assert page.status_code == 200 and "Sam Finance" in page.get_data(as_text=True)
        refused = client.send(path, {"space_id": str(space.id), "title": ""})
        assert refused.status_code == 422
        problems = refused.get_data(as_text=True)
        assert "Give the discussion a title" in problems and "agreed to it being saved" in problems
        saved = client.send(path, {"space_id": str(space.id), "title": "Refunds after 45 days", "consent": "yes"})
        assert saved.status_code == 303
    finally:
        app.config.pop("SLACK_RESPONSE_URL_PREFIXES")
    thread = db.session.scalars(select(Thread).where(Thread.space_id == space.id)).one()
    opening = db.session.scalars(select(Post).where(Post.thread_id == thread.id)).one()
    assert "form R-2" in opening.body and "https://acme.slack.com/archives/C0SALES/p1700000000000100" in opening.body
    assert "U123" not in opening.body
    assert ("Sam Finance" in opening.body) is (not chatham_house)
    assert client.get(path).status_code == 404, "a capture is saved once"


def test_an_outsider_cannot_save_into_a_space_they_cannot_post_in(app, base, chat, receiver, as_role):
    from marketplace.integrations.models import ChatCapture

    private = Space(slug="board", name="Board only", visibility="private")
    held = ChatCapture(token="t" * 30, messages=[{"author": "A", "text": "hi"}])
    db.session.add_all([private, held])
    db.session.commit()
    response = as_role("employee").send("/integrations/captures/" + "t" * 30, {"space_id": str(private.id), "title": "x", "consent": "yes"})
    assert response.status_code == 422 and "Board only" not in response.get_data(as_text=True)


def test_clock_rules_announce_unanswered_questions_overdue_reviews_and_a_weekly_digest(app, base, chat, receiver):
    from marketplace.catalog.models import HelpfulVote
    from marketplace.spaces.models import Post, Thread
    from marketplace.submissions.models import Submission

    slack = chat[0]
    for event in (RuleEvent.QUESTION_UNANSWERED, RuleEvent.REVIEW_OVERDUE, RuleEvent.WEEKLY_DIGEST):
        _rule(slack, event, hours=4)
    space = Space(slug="q", name="Quotes", visibility="open")
    old = utcnow() - timedelta(hours=5)
    stuck = Thread(space=space, kind="question", title="Who approves discounts over 20%?", created_at=old,
                   posts=[Post(is_opening=True, body="?", created_at=old)])
    fresh = Thread(space=space, kind="question", title="Fresh question", posts=[Post(is_opening=True, body="?")])
    answered = Thread(space=space, kind="question", title="Answered one", created_at=old,
                      posts=[Post(is_opening=True, body="?"), Post(body="Your manager.")])
    waiting = Submission(item=base.draft, submitter=base.users["employee"], department=base.sales, state="pending",
                         submitted_at=utcnow() - timedelta(days=10))
    db.session.add_all([space, stuck, fresh, answered, waiting,
                        HelpfulVote(user_id=base.users["employee"].id, item_id=base.job_aid.id, helpful=True)])
    db.session.commit()
    assert rules.unanswered_questions() == 1
    assert rules.overdue_reviews(app.config["REVIEW_SLA_WORKING_DAYS"]) == 1
    assert rules.weekly_digest() == 1
    assert rules.unanswered_questions() == rules.overdue_reviews(3) == rules.weekly_digest() == 0, "each only once"
    texts = [b["text"] for b in receiver.bodies("/slack")]
    assert any("Who approves discounts" in t for t in texts) and not any("Fresh question" in t or "Answered one" in t for t in texts)
    assert any("Review overdue: Unreleased pricing change" in t for t in texts)
    assert any("What helped this week" in t and "Expense claim rejected" in t for t in texts)
