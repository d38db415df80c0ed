"""The worker's side of integrations: deliveries, xAPI batches, the feed follower and clock rules."""

from __future__ import annotations

import httpx
from flask import current_app

from marketplace import jobs
from marketplace.integrations import delivery, inbound, rules, xapi


@jobs.durable(delivery.DELIVER_JOB)
def deliver(delivery_id: int) -> None:
    """Send one chat message."""
    delivery.send_chat(delivery_id)


@jobs.on_failure(delivery.DELIVER_JOB)
def delivery_gave_up(run: jobs.JobRun) -> None:
    """Show it on /admin/deliveries."""
    delivery.mark_failed(run.payload["delivery_id"], run.last_error or "")


@jobs.durable(xapi.SEND_JOB)
def send_statements() -> None:
    """Send every pending xAPI statement in batches."""
    xapi.send_pending()


@jobs.on_failure(xapi.SEND_JOB)
def statements_gave_up(run: jobs.JobRun) -> None:
    """The LRS stayed down through every retry: list the statements as failed (retry from the admin page)."""
    xapi.fail_pending(run.last_error or "the learning record store did not accept the statements")


@jobs.durable("integrations.slack_answer")
def slack_answer(response_url: str, question: str) -> None:
    """Send a slow search's full answer to Slack's response_url."""
    if not inbound.allowed_response_url(response_url):
        return
    body = inbound.slack_reply(inbound.answer(question))
    body["replace_original"] = True
    delivery.check_response(httpx.post(response_url, json=body, timeout=delivery.TIMEOUT))


@jobs.periodic(jobs.crontab(minute="*"))
def follow_feed() -> None:
    """Every minute: turn new changes into messages and statements."""
    rules.follow_feed()


@jobs.periodic(jobs.crontab(minute="7"))
def clock_rules() -> None:
    """Every hour: unanswered questions and overdue reviews."""
    rules.unanswered_questions()
    rules.overdue_reviews(current_app.config["REVIEW_SLA_WORKING_DAYS"])


@jobs.periodic(jobs.crontab(day_of_week="1", hour="8", minute="0"))
def weekly_digest() -> None:
    """Mondays at 08:00 UTC: what helped most last week."""
    rules.weekly_digest()


@jobs.durable("integrations.capture_link")
def capture_link(response_url: str, token: str) -> None:
    """Tell the person (only them) where to choose the space for the chat thread they saved."""
    from marketplace.integrations import capture

    saved = capture.by_token(token)
    if saved is None or not inbound.allowed_response_url(response_url):
        return
    text = f"Choose the space and confirm consent to save this thread: {capture.link(saved)}"
    body = {"response_type": "ephemeral", "text": text}
    delivery.check_response(httpx.post(response_url, json=body, timeout=delivery.TIMEOUT))
