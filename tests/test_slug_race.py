"""Two people saving the same title at once: the second gets the next slug, not a 500."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from marketplace.curation import services as curation
from marketplace.extensions import db
from marketplace.models import Item
from marketplace.submissions import services as submissions
from marketplace.submissions.uploads import incoming_dir
from tests import submission_helpers as h


def _taken_meanwhile(model, source_id: int):  # noqa: ANN001, ANN202
    """Once, just before our flush inserts a new `model` row, another transaction commits a copy of row `source_id` under that row's slug."""
    state = {"done": False}

    def before_flush(session, _context, _instances):  # noqa: ANN001
        new = [row for row in session.new if isinstance(row, model)]
        if state["done"] or not new:
            return
        state["done"] = True
        table = model.__table__
        columns = [c for c in table.columns if c.name != "id"]
        values = [c if c.name != "slug" else db.literal(new[0].slug).label("slug") for c in columns]
        with Session(db.engine) as other:
            other.execute(insert(table).from_select([c.name for c in columns], select(*values).where(table.c.id == source_id)))
            other.commit()

    return before_flush


def test_a_submission_whose_slug_was_taken_meanwhile_gets_the_next_one(base):
    existing = db.session.scalar(select(Item).order_by(Item.id))
    listener = _taken_meanwhile(Item, existing.id)
    event.listen(db.session, "before_flush", listener)
    try:
        data = h.data(base, type="job_aid", title="Refunds after 45 days", body="Ask the team lead.", transcript="")
        submission = submissions.save(base.users["employee"], data, [], current_app.config, incoming_dir())
    finally:
        event.remove(db.session, "before_flush", listener)
    taken = db.session.scalars(select(Item.slug).where(Item.slug.like("refunds-after-45-days%"))).all()
    assert sorted(taken) == ["refunds-after-45-days", "refunds-after-45-days-2"]
    assert submission.item.slug == "refunds-after-45-days-2" and submission.item.title == "Refunds after 45 days"


def test_a_different_integrity_error_is_not_retried(base):
    calls = []

    @curation.claims_slugs
    def breaks() -> None:
        calls.append(1)
        db.session.execute(insert(Item.__table__).values(id=db.session.scalar(select(Item.id)), slug="x"))

    try:
        breaks()
    except Exception as error:  # noqa: BLE001 - the primary key clash comes back as it was
        assert not curation.slug_taken(error)
    else:
        raise AssertionError("the clash was swallowed")
    assert calls == [1]
