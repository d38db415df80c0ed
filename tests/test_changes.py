"""The change feed: rows written with the change, followed idempotently, gaps caught, pruned."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert, select, text

from marketplace import changes
from marketplace.changes.models import Change, FeedCursor
from marketplace.events import services as events
from marketplace.events.models import LearningEvent, ObjectType, Verb
from marketplace.extensions import db
from marketplace.timeutil import utcnow


@pytest.fixture(autouse=True)
def _empty_feed(base):
    """The base data put search changes on the feed; these tests read a feed of their own rows, numbered from 1."""
    db.session.execute(Change.__table__.delete())
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT setval(pg_get_serial_sequence('changes', 'id'), 1, false)"))
    db.session.commit()


def _ids(session) -> list[int]:
    return list(session.scalars(select(Change.id).order_by(Change.id)))


def test_a_learning_event_puts_a_change_on_the_feed_in_its_transaction(base):
    event = events.record(base.users["employee"], Verb.OPENED, ObjectType.ITEM, base.job_aid.id)
    db.session.commit()
    rows = db.session.scalars(select(Change)).all()
    assert [(c.topic, c.entity_id) for c in rows] == [("learning_event", str(event.id))]
    assert event.department_id == base.users["employee"].department_id


def test_a_rolled_back_change_leaves_no_feed_row(base):
    events.record(base.users["employee"], Verb.OPENED, ObjectType.ITEM, base.job_aid.id)
    db.session.flush()
    db.session.rollback()
    assert db.session.scalars(select(Change)).all() == []
    assert db.session.scalars(select(LearningEvent)).all() == []


def test_a_reader_applies_each_change_and_reports_a_safe_position(base):
    for n in range(5):
        changes.record_change(db.session, "thing", n)
    db.session.commit()
    seen: list[str] = []
    reader = changes.FeedReader()
    assert reader.poll(db.session, lambda batch: seen.extend(c.entity_id for c in batch), batch=2) == 5
    assert seen == ["0", "1", "2", "3", "4"]
    assert reader.safe_position == max(_ids(db.session))
    assert reader.poll(db.session, lambda batch: seen.extend(c.entity_id for c in batch)) == 0


def test_a_late_commit_filling_a_gap_is_not_skipped(base):
    changes.record_change(db.session, "thing", "first")
    db.session.commit()
    first = _ids(db.session)[0]
    # Transaction B took id first+1 but commits late; C (first+2) is visible already.
    db.session.execute(insert(Change).values(id=first + 2, topic="thing", entity_id="C", created_at=utcnow()))
    db.session.commit()
    seen: list[str] = []
    reader = changes.FeedReader()
    reader.poll(db.session, lambda batch: seen.extend(c.entity_id for c in batch))
    assert seen == ["first", "C"]
    assert reader.safe_position == first, "never beyond the open gap"
    db.session.execute(insert(Change).values(id=first + 1, topic="thing", entity_id="B", created_at=utcnow()))
    db.session.commit()
    reader.poll(db.session, lambda batch: seen.extend(c.entity_id for c in batch))
    assert seen == ["first", "C", "B"]
    assert reader.safe_position == first + 2


def test_topics_filter_what_is_applied_but_not_the_position(base):
    changes.record_change(db.session, "a", 1)
    changes.record_change(db.session, "b", 2)
    db.session.commit()
    seen: list[str] = []
    position = changes.catch_up(db.session, 0, lambda batch: seen.extend(c.topic for c in batch), topics=["b"])
    assert seen == ["b"] and position == max(_ids(db.session))


def test_prune_waits_for_the_slowest_consumer_and_keeps_recent_rows(base):
    for n in range(4):
        changes.record_change(db.session, "thing", n)
    db.session.commit()
    ids = _ids(db.session)
    old = utcnow() - timedelta(hours=2)
    db.session.execute(Change.__table__.update().values(created_at=old))
    changes.report_position(db.session, "index-a", ids[3])
    changes.report_position(db.session, "index-b", ids[1])
    db.session.commit()
    assert changes.prune(db.session) == 2
    assert _ids(db.session) == ids[2:]
    changes.forget_consumer(db.session, "index-b")
    db.session.commit()
    assert changes.prune(db.session) == 2
    assert db.session.get(FeedCursor, "index-a").position == ids[3]
    changes.record_change(db.session, "thing", "new")
    changes.report_position(db.session, "index-a", max(_ids(db.session)))
    db.session.commit()
    assert changes.prune(db.session) == 0, "recent rows stay for late readers"
