"""Jinja globals and filters shared by every template."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from flask import Flask, current_app, g, request, url_for
from flask_login import current_user

from marketplace.policy import can
from marketplace.rendering import render_markdown

# htmx runs without eval or inline styles so the strict CSP holds; 422 swaps so
# invalid forms re-render in place, and error fragments are swapped into #messages.
HTMX_CONFIG = {
    "includeIndicatorStyles": False,
    "allowEval": False,
    "allowScriptTags": False,
    "selfRequestsOnly": True,
    "historyCacheSize": 0,
    "responseHandling": [
        {"code": "204", "swap": False},
        {"code": "[23]..", "swap": True},
        {"code": "422", "swap": True},
        {"code": "[45]..", "swap": True, "error": True},
    ],
}


def url_with(**changes: Any) -> str:
    """The current URL with some query arguments replaced (None removes one)."""
    args = request.args.to_dict()
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = value
    if "page" not in changes:
        args.pop("page", None)  # any filter change starts again at page 1
    # A search page links every facet value: the route is built once per request and the query
    # string encoded the way url_for does (Werkzeug's safe characters), which costs a fifth as much.
    if "url_with_path" not in g:
        g.url_with_path = url_for(request.endpoint, **(request.view_args or {}))
    return _with_query(g.url_with_path, args)


URL_SAFE = "!$'()*,/:;?@"  # what Werkzeug leaves unescaped in a query string (werkzeug.urls)


def _with_query(path: str, args: dict[str, Any]) -> str:
    query = urlencode([(name, value) for name, value in args.items() if value is not None], safe=URL_SAFE, doseq=True)
    return f"{path}?{query}" if query else path


def _route(endpoint: str, **path_args: str) -> str:
    """url_for(endpoint, **path_args), built once per app and mount point."""
    built = current_app.extensions.setdefault("route_links", {})
    key = (endpoint, request.script_root, tuple(path_args.items()))
    if key not in built:
        built[key] = url_for(endpoint, **path_args)
    return built[key]


def route_link(endpoint: str, **args: Any) -> str:
    """url_for for a route without path arguments; other arguments become the query string.

    The menu and the facets link the same few routes many times per page: the path is built
    once per app (and mount point) and the query string encoded as url_for encodes it.
    """
    return _with_query(_route(endpoint), args)


_SLUG = "ROUTELINKSLUG"  # letters only: url_for leaves it as it is, so it marks where the slug goes
_SLUG_SAFE = "!$&'()*+,/:;=@"  # what Werkzeug's default path converter leaves unescaped


def slug_link(endpoint: str, slug: str) -> str:
    """url_for(endpoint, slug=slug) for a route whose one path argument is a plain `<slug>`.

    Every card links its item and KPIs: the route around the slug is built once per app
    (and mount point), and the slug quoted as Werkzeug's default converter quotes it.
    """
    before, _, after = _route(endpoint, slug=_SLUG).partition(_SLUG)
    return f"{before}{quote(str(slug), safe=_SLUG_SAFE)}{after}"


def _may(action: str, target: Any = None) -> bool:
    return can(current_user, action, target)


def _unread_notifications() -> int:
    """The signed-in user's unread count, asked once per request (the menu and the header both show it)."""
    from marketplace.notifications.services import unread_count

    if not current_user.is_authenticated:
        return 0
    if "unread_notifications" not in g:
        g.unread_notifications = unread_count(current_user.id)
    return g.unread_notifications


def init_app(app: Flask) -> None:
    """Register globals (can, url_with, htmx config) and the markdown filter."""
    app.jinja_env.globals.update(
        may=_may, url_with=url_with, route_link=route_link, slug_link=slug_link, htmx_config=HTMX_CONFIG, unread_notifications=_unread_notifications
    )
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
