"""Fixtures: a real database (SQLite file, or PostgreSQL when asked), migrated once per session."""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

import marketplace.search.blocks  # noqa: F401 - see below
from marketplace import create_app, migrate
from marketplace.extensions import db
from tests import factories
from tests.pgcluster import Cluster

# Index builds run in forked processes, which load numpy at their first flush (70 ms or more
# each); imported once here (above), every build a test forks inherits it. The app itself never
# loads it into a web worker.
BACKEND = os.environ.get("MARKETPLACE_TEST_DATABASE", "sqlite")
KEEP_TABLES = {"moments", "alembic_version"}
TOKEN = re.compile(r'X-CSRFToken&#34;: &#34;([^&]+)&#34;|name="csrf_token" type="hidden" value="([^"]+)"')


class Client(FlaskClient):
    """A test client that signs in and sends the CSRF token like htmx and forms do."""

    def open(self, *args, **kwargs):
        # Each request gets its own app context (fresh `g` and DB session), as in
        # production, even while the test body holds one open to inspect the database.
        # buffered: the body is read and the response closed, so served files never leak a handle.
        kwargs.setdefault("buffered", True)
        with self.application.app_context():
            try:
                return super().open(*args, **kwargs)
            finally:
                self._close_bodies()

    def _request_from_builder_args(self, args, kwargs):
        # Werkzeug's test builder spools a body over 500 KB (an upload) to an anonymous temp file and never
        # closes it; an app that refuses the body unread (past MAX_CONTENT_LENGTH) leaves it to the collector.
        request = super()._request_from_builder_args(args, kwargs)
        self.__dict__.setdefault("_bodies", []).append(request.environ["wsgi.input"])
        return request

    def _close_bodies(self) -> None:
        for body in self.__dict__.pop("_bodies", []):
            body.close()

    def csrf_token(self) -> str:
        for path in ("/kpis", "/login"):
            page = self.get(path)
            match = TOKEN.search(page.get_data(as_text=True))
            if match:
                return html.unescape(match.group(1) or match.group(2))
        raise AssertionError("no CSRF token found on /kpis or /login")

    def login(self, email: str, password: str = factories.PASSWORD):
        token = self.csrf_token()
        return self.post("/login", data={"email": email, "password": password, "csrf_token": token})

    def send(self, path: str, data: dict | None = None, htmx: bool = False, **kwargs):
        """POST with the CSRF header, as htmx would (htmx=True also sets HX-Request)."""
        headers = {"X-CSRFToken": self.csrf_token(), **kwargs.pop("headers", {})}
        if htmx:
            headers["HX-Request"] = "true"
        return self.post(path, data=data or {}, headers=headers, **kwargs)


def pytest_collection_modifyitems(config, items) -> None:
    """On PostgreSQL, run only the tests that use the test database (fixture `database_url`).

    The others (pure functions, servers on their own SQLite demo or their own PostgreSQL cluster)
    do exactly the same whatever MARKETPLACE_TEST_DATABASE says, so the SQLite run covers them.
    """
    if BACKEND != "postgresql":
        return
    elsewhere = [item for item in items if "database_url" not in getattr(item, "fixturenames", ())]
    if elsewhere:
        config.hook.pytest_deselected(items=elsewhere)
        items[:] = [item for item in items if "database_url" in getattr(item, "fixturenames", ())]


def _database_url(tmp_path_factory, name: str) -> Iterator[str]:
    if BACKEND == "postgresql":
        cluster = Cluster().start()
        try:
            yield cluster.create_database(name)
        finally:
            cluster.stop()
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / (name + '.db')}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    yield from _database_url(tmp_path_factory, "marketplace_test")


def make_app(url: str, tmp_path_factory, **extra) -> Flask:
    """An app on a migrated database, with temp dirs for uploads and the index."""
    app = create_app({
        "TESTING": True, "ENV_NAME": "testing", "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": url, "SEED_DEMO": False, "JOBS_IMMEDIATE": True,
        "UPLOAD_DIR": str(tmp_path_factory.mktemp("uploads")),
        "SEARCH_INDEX_DIR": str(tmp_path_factory.mktemp("index") / "index"),
        "INSTANCE_DIR": str(tmp_path_factory.mktemp("instance")), "CATALOG_COUNT_SECONDS": 0, **extra,
    })
    app.test_client_class = Client
    with app.app_context():
        migrate.upgrade()
    return app


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory) -> Iterator[Flask]:
    app = make_app(database_url, tmp_path_factory)
    yield app
    with app.app_context():
        db.engine.dispose()  # close pooled connections before the server stops (no ResourceWarning)


def clear_data() -> None:
    """Empty every table but the migration-shipped ones."""
    # Plain DELETE in dependency order: portable, and faster than TRUNCATE on small tables.
    for table in reversed(db.metadata.sorted_tables):
        if table.name not in KEEP_TABLES:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture()
def base(app) -> Iterator[factories.Base]:
    """Fresh base data for each test, inside an app context."""
    with app.app_context():
        clear_data()
        yield factories.build_base()
        db.session.rollback()


@pytest.fixture()
def client(app, base) -> Client:
    return app.test_client()


@pytest.fixture()
def as_role(app, base):
    """Return a client signed in as one of: employee, champion, curator, leader, admin."""

    def sign_in(role: str) -> Client:
        client = app.test_client()
        if role != "anonymous":
            response = client.login(base.users[role].email)
            assert response.status_code == 303, f"login as {role} failed"
        return client

    return sign_in


from tests.demo_home import demo_home  # noqa: E402,F401  (the demo, built once per session for servers)
from tests.lifecycle_fixtures import lifecycle_base  # noqa: E402,F401  (issue 10 fixtures, shared)
from tests.scim_fixtures import live_server, scim_token  # noqa: E402,F401  (provisioning fixtures, shared)
from tests.search_fixtures import demo, indexed, search_index  # noqa: E402,F401  (search fixtures, shared)
