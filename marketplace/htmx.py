"""Our one wrapper around htmx-flask: page-or-fragment rendering and response headers."""

from __future__ import annotations

from flask import Response, make_response, redirect, render_template, request
from htmx_flask import Htmx

htmx = Htmx()


def wants_fragment() -> bool:
    """True when htmx asked for part of a page: not boosted, not a history restore."""
    hx = getattr(request, "htmx", None)
    return bool(hx) and not hx.boosted and not hx.history_restore_request


def render(page: str, fragment: str | None = None, /, status: int = 200, **context) -> Response:
    """Render the full page, or only its fragment when htmx asked for one."""
    template = fragment if fragment and wants_fragment() else page
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def render_fragment(fragment: str, /, status: int = 200, **context) -> Response:
    """Render a fragment on its own (for htmx-only endpoints that also have a page)."""
    response = make_response(render_template(fragment, **context), status)
    response.vary.add("HX-Request")
    return response


def see_other(location: str) -> Response:
    """Redirect with 303 so a POST is followed by a GET, for htmx and plain forms alike."""
    from marketplace.redirects import header_value

    # Control or non-Latin-1 characters would make the WSGI server refuse the header (a bare 500).
    location = header_value(location)
    if wants_fragment():
        # htmx would follow a 303 inside its XHR and swap a whole page into a fragment;
        # HX-Redirect makes the browser load the new page in full instead.
        response = make_response("", 200)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, code=303)


def reswap(response: Response, swap: str, target: str | None = None) -> Response:
    """Set HX-Reswap (and HX-Retarget) ourselves; htmx-flask's check rejects valid values."""
    response.headers["HX-Reswap"] = swap
    if target:
        response.headers["HX-Retarget"] = target
    return response


def trigger(response: Response, event: str) -> Response:
    """Ask htmx to fire an event on the client after the swap."""
    existing = response.headers.get("HX-Trigger")
    response.headers["HX-Trigger"] = f"{existing}, {event}" if existing else event
    return response
