"""A live SCIM endpoint: the app served by werkzeug on loopback, and a bearer token for it."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from marketplace.extensions import db
from marketplace.identity import services


@pytest.fixture()
def scim_token(base) -> str:
    """A fresh admin-created bearer token (plain value)."""
    _token, plain = services.create_token("Test IdP", base.users["admin"])
    db.session.commit()
    return plain


@pytest.fixture()
def live_server(app, base) -> Iterator[str]:
    """The app on a real HTTP server on 127.0.0.1; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
