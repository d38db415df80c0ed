"""Health check, friendly errors, SQLite settings, migrations and the demo seed."""

from __future__ import annotations

from sqlalchemy import func, inspect, select, text

from marketplace import migrate, seed
from marketplace.extensions import db
from marketplace.models import KPI, Collection, Department, Item, Moment, User
from tests.conftest import BACKEND, clear_data


def test_healthz_reports_version_and_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json
    assert {key: body[key] for key in ("status", "version", "database")} == {"status": "ok", "version": "0.1.0", "database": "ok"}
    assert body["search"]["status"] == "ok"  # index lag: see tests/test_search_feed.py


def test_errors_are_friendly_pages_and_fragments(as_role, base):
    client = as_role("employee")
    page = client.get("/items/no-such-thing")
    assert page.status_code == 404 and "We couldn" in page.get_data(as_text=True) and "<html" in page.get_data(as_text=True)
    fragment = client.get("/items/no-such-thing", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True) and fragment.headers["HX-Retarget"] == "#messages"
    assert client.delete("/healthz").status_code == 405


def test_unexpected_errors_show_no_traceback(app, as_role, base, monkeypatch):
    from marketplace.catalog import services

    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(services, "kpi_overview", boom)
    response = as_role("employee").get("/kpis")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong" in html and "secret internals" not in html and "Traceback" not in html


def test_sqlite_runs_in_wal_with_foreign_keys(app):
    if BACKEND != "sqlite":
        return
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 5000


def test_migrations_go_down_and_up_again(app):
    with app.app_context():
        migrate.downgrade("base")
        assert "items" not in inspect(db.engine).get_table_names()
        migrate.upgrade()
        tables = inspect(db.engine).get_table_names()
        assert {"items", "users", "collections", "moments"} <= set(tables)
        assert [m.slug for m in db.session.scalars(select(Moment).order_by(Moment.position))] == ["new", "more", "apply", "change", "solve"]


def _counts() -> dict:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in (User, Department, KPI, Item, Collection)}


def test_demo_seed_is_complete_and_idempotent(app):
    with app.app_context():
        clear_data()
        seed.load_demo()
        first = _counts()
        assert seed.load_demo() == "nothing new (already loaded)"
        assert _counts() == first
        published = select(Item).where(Item.status == "published")
        items = list(db.session.scalars(published))
        assert len(items) >= 40 and first["Department"] >= 4 and first["KPI"] >= 6 and first["Collection"] >= 4
        assert {i.moment.slug for i in items} == {"new", "more", "apply", "change", "solve"}
        assert {i.type for i in items} == {"job_aid", "checklist", "quick_learn"}
        assert all(i.kpis for i in items)
        emails = set(db.session.scalars(select(User.email)))
        assert {f"{r}@demo.test" for r in ("employee", "champion", "curator", "leader", "admin")} <= emails
        champion = db.session.scalar(select(User).where(User.email == "champion@demo.test"))
        assert [d.slug for d in champion.champion_of] == ["sales"]
        clear_data()


def test_demo_login_works(app):
    with app.app_context():
        clear_data()
        seed.load_demo()
    client = app.test_client()
    assert client.login("curator@demo.test", seed.DEMO_PASSWORD).status_code == 303
    html = client.get("/items/expense-claim-rejected-what-now").get_data(as_text=True)
    assert "<h1>" in html
    with app.app_context():
        clear_data()
