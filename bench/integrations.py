"""`python -m bench.integrations`: xAPI statements per second into Ralph, and chat messages after a one-hour outage.

Statements: 5,000 learning events are turned into statements by the feed follower and sent in
batches of 100 to a real Ralph LRS on loopback. Outage: 200 messages are queued while the
receiver is down; the job runner's waits are fast-forwarded (virtual time) for more than an
hour of retries; then the receiver comes back and we count what arrived.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

EVENTS = 5000
MESSAGES = 200


def _app(home: Path, **extra):
    from marketplace import create_app, migrate

    app = create_app({
        "TESTING": True, "ENV_NAME": "testing", "SECRET_KEY": "bench-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{home / 'bench.db'}", "SEED_DEMO": False, "JOBS_IMMEDIATE": True,
        "UPLOAD_DIR": str(home / "uploads"), "SEARCH_INDEX_DIR": str(home / "index"), "INSTANCE_DIR": str(home), **extra,
    })
    with app.app_context():
        migrate.upgrade()
    return app


def statements_per_second(home: Path) -> str:
    """Build and send EVENTS statements to Ralph; return the printed line."""
    from sqlalchemy import insert

    from marketplace.events.models import LearningEvent, ObjectType, Verb
    from marketplace.extensions import db
    from marketplace.integrations import rules, xapi
    from marketplace.timeutil import utcnow
    from tests import factories
    from tests.lrs_fixtures import PASSWORD, USER, Lrs, start_lrs

    server, url = start_lrs(home / "lrs")
    app = _app(home, XAPI_LRS_URL=url, XAPI_LRS_USERNAME=USER, XAPI_LRS_PASSWORD=PASSWORD, XAPI_HOME_PAGE="https://acme.example")
    try:
        with app.app_context():
            base = factories.build_base()
            actor, now = base.users["employee"], utcnow()
            rows = [{"actor_id": actor.id, "verb": Verb.OPENED, "object_type": ObjectType.ITEM, "object_id": base.job_aid.id,
                     "department_id": actor.department_id, "context": {}, "occurred_at": now} for _ in range(EVENTS)]
            db.session.execute(insert(LearningEvent), rows)  # bulk: the feed rows come from record_change below
            from marketplace import changes
            for event_id in db.session.scalars(db.select(LearningEvent.id)):
                changes.record_change(db.session, "learning_event", event_id)
            db.session.commit()
            posting = [0.0]
            post_batch = xapi._post_batch

            def timed_post(statements: list[dict]) -> None:
                began = time.perf_counter()
                post_batch(statements)
                posting[0] += time.perf_counter() - began

            xapi._post_batch = timed_post  # measure the HTTP part apart from building
            started = time.perf_counter()
            rules.follow_feed()  # builds the statements, then (jobs run in-process here) sends them in batches
            took = time.perf_counter() - started
            xapi._post_batch = post_batch
            sent = db.session.scalar(db.select(db.func.count()).where(xapi.Delivery.state == "sent"))
            stored = len(Lrs(url).statements())
        return (f"xAPI: {EVENTS} learning events -> {sent} statements sent to Ralph in {took:.1f} s = "
                f"{sent / took:.0f} statements/s end to end (built from the feed, batches of {xapi.BATCH}); "
                f"POSTs to Ralph took {posting[0]:.1f} s ({sent / posting[0]:.0f} statements/s); Ralph stored {stored}")
    finally:
        server.terminate()


def outage(home: Path) -> str:
    """Queue MESSAGES while the receiver is down for over an hour of retries; count what arrives."""
    from sqlalchemy import select

    from marketplace.extensions import db
    from marketplace.integrations import delivery
    from marketplace.integrations.messages import Card
    from marketplace.integrations.models import (
        ChatConnection,
        ConnectionKind,
        Delivery,
        DeliveryState,
    )
    from marketplace.jobs import services as job_services
    from marketplace.jobs.models import JobRun, JobState
    from marketplace.timeutil import utcnow
    from tests.chat_receivers import Receiver

    receiver = Receiver().start()
    receiver.down = True
    app = _app(home / "outage")
    try:
        with app.app_context():
            connection = ChatConnection(name="#all", kind=ConnectionKind.SLACK_WEBHOOK, url=receiver.url + "/slack/hook")
            db.session.add(connection)
            for n in range(MESSAGES):
                delivery.queue_chat(connection, Card(f"Message {n}"), f"bench:{n}")
            db.session.commit()
            waited = timedelta()
            while waited < timedelta(hours=1):
                pending = db.session.scalars(select(JobRun).where(JobRun.state == JobState.PENDING)).all()
                waited += max(r.not_before - utcnow() for r in pending)
                for run in pending:
                    run.not_before = utcnow() - timedelta(minutes=1)
                db.session.commit()
                job_services.sweep()
                db.session.expire_all()
            receiver.down = False
            for run in db.session.scalars(select(JobRun).where(JobRun.state == JobState.PENDING)):
                run.not_before = utcnow() - timedelta(minutes=1)
            db.session.commit()
            job_services.sweep()
            db.session.expire_all()
            sent = db.session.scalar(select(db.func.count()).where(Delivery.state == DeliveryState.SENT))
            failed = db.session.scalar(select(db.func.count()).where(Delivery.state == DeliveryState.FAILED))
        received = len(receiver.bodies("/slack"))
        return (f"Chat outage drill: {MESSAGES} messages queued, receiver down for {waited.total_seconds() / 60:.0f} minutes of "
                f"retries (virtual time); after it came back: {sent} sent, {failed} failed, {received} received, "
                f"{received - len(set(b['text'] for b in receiver.bodies('/slack')))} duplicates")
    finally:
        receiver.stop()


def main() -> None:
    """Print both figures."""
    import logging

    logging.disable(logging.CRITICAL)  # the outage drill fails hundreds of attempts on purpose
    home = Path(tempfile.mkdtemp(prefix="bench-integrations-"))
    print(outage(home))
    print(statements_per_second(home))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
