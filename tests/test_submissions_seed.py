"""The demo seed makes the review queue alive: pending work, one flagged, one overdue."""

from __future__ import annotations

from sqlalchemy import select

from marketplace import seed
from marketplace.extensions import db
from marketplace.models import User
from marketplace.submissions import review
from marketplace.submissions.seed import seed_submissions
from tests.conftest import clear_data


def test_demo_submissions_fill_the_queues_once(app):
    with app.app_context():
        clear_data()
        seed.load_demo()
        assert seed_submissions() == 0
        champion = db.session.scalar(select(User).where(User.email == "champion@demo.test"))
        curator = db.session.scalar(select(User).where(User.email == "curator@demo.test"))
        mine = review.queue(champion, review.QueueFilters(), 3)
        everything = review.queue(curator, review.QueueFilters(), 3)
        assert len(mine) == 2 and len(everything) == 3
        assert any(s.flag_count for s in mine)
        assert [s.item.title for s in review.queue(curator, review.QueueFilters(overdue=True), 3)] == [
            "Kit check before an on-site demo"
        ]
        clear_data()


def test_a_new_machine_gets_the_demo_media_back(app, tmp_path_factory):
    # The database is shared, the disk is not: seeding again puts every missing demo file into storage.
    from marketplace.catalog.models import MediaFile
    from marketplace.media.storage import storage

    with app.app_context():
        clear_data()
        seed.load_demo()
        store = storage()
        names = list(db.session.scalars(select(MediaFile.storage_name)))
        assert names and all(store.exists(name) for name in names)
        for name in names:
            store.delete(name)
        assert "restored_media_files" in seed.load_demo()
        assert all(store.exists(name) for name in names)
        assert seed.restore_demo_media() == 0  # idempotent
        clear_data()
