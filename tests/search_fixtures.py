"""Search fixtures: a real Whoosh index in the session's temp dir, rebuilt from the test database."""

from __future__ import annotations

import pytest

from marketplace.search import admin
from marketplace.search.hooks import index_for
from marketplace.seed import DEMO_PASSWORD, load_demo
from tests.conftest import clear_data


@pytest.fixture()
def indexed(app, base):
    """The base data, indexed. Rebuilt each test: clear_data() empties tables behind the ORM's back."""
    admin.rebuild()
    return base


@pytest.fixture()
def search_index(app, indexed):
    """This process's SearchIndex handle for the test app."""
    return index_for(app)


@pytest.fixture(scope="module")
def demo(app):
    """The demo seed, loaded and indexed once per module; yields a function giving signed-in clients."""
    with app.app_context():
        clear_data()
        load_demo()
        admin.rebuild()

    def sign_in(email: str = "employee@demo.test"):
        client = app.test_client()
        assert client.login(email, DEMO_PASSWORD).status_code == 303
        return client

    yield sign_in
    with app.app_context():
        clear_data()
