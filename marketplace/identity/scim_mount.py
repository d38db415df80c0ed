"""/scim/v2 mounted on the app without loading the SCIM libraries until the first SCIM request.

scim2-flask, scim2-server and their pydantic models cost every process about 14 MB and
1.5 s of start-up, and only identity providers call these URLs. The blueprint here has the
same endpoints as scim2-flask's (ROUTES mirrors scim2_server.routing.ROUTES; a test keeps
them equal); each view builds the real server once per app (scim.build_server) and hands
the request to it, as scim2-flask's own views do.
"""

from __future__ import annotations

import threading

from flask import Blueprint, Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from marketplace.extensions import csrf, db
from marketplace.identity import services
from marketplace.timeutil import utcnow

URL_PREFIX = "/scim/v2"
NAME = "scim"
# (endpoint, method, rule, handler operation), in scim2_server.routing.ROUTES order (Werkzeug matches by rule, not order).
ROUTES = (
    ("service_provider_config", "GET", "/ServiceProviderConfig", "service_provider_config"),
    ("resource_types", "GET", "/ResourceTypes", "resource_types"),
    ("resource_type", "GET", "/ResourceTypes/<resource_id>", "resource_type"),
    ("schemas", "GET", "/Schemas", "schemas"),
    ("schema", "GET", "/Schemas/<resource_id>", "schema"),
    ("bulk", "POST", "/Bulk", "bulk"),
    ("me_query", "GET", "/Me", "query"),
    ("me_replace", "PUT", "/Me", "replace"),
    ("me_patch", "PATCH", "/Me", "patch"),
    ("me_delete", "DELETE", "/Me", "delete"),
    ("me_create", "POST", "/Me", "create"),
    ("search_root", "GET", "/", "search"),
    ("search_root_with_body", "POST", "/.search", "search_with_body"),
    ("search_with_body", "POST", "/<resource_endpoint>/.search", "search_with_body"),
    ("search", "GET", "/<resource_endpoint>", "search"),
    ("create", "POST", "/<resource_endpoint>", "create"),
    ("query", "GET", "/<resource_endpoint>/<resource_id>", "query"),
    ("replace", "PUT", "/<resource_endpoint>/<resource_id>", "replace"),
    ("patch", "PATCH", "/<resource_endpoint>/<resource_id>", "patch"),
    ("delete", "DELETE", "/<resource_endpoint>/<resource_id>", "delete"),
)
FALLBACK_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
_building = threading.Lock()


def server():  # noqa: ANN201 - a scim.MarketplaceScim
    """This app's SCIM server, built (and the SCIM libraries loaded) on first use."""
    app = current_app._get_current_object()
    found = app.extensions.get("scim_server")
    if found is None:
        with _building:
            found = app.extensions.get("scim_server")
            if found is None:
                from marketplace.identity import scim

                found = app.extensions["scim_server"] = scim.build_server(app)
    return found


def _answer(operation: str | None) -> Response:
    from scim2_models import SCIMException

    scim = server()
    try:
        method = scim.handler.handle if operation is None else getattr(scim.handler, operation)
        return scim._to_response(method(scim.read_request()))
    except SCIMException as error:
        return scim._handle_scim_exception(error)


def _view(operation: str):  # noqa: ANN202 - a Flask view
    def view(**_arguments: str) -> Response:
        return _answer(operation)

    return view


def _fallback(path: str) -> Response:
    return _answer(None)


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def _authenticate() -> Response | None:
    token = services.token_for(_bearer())
    if token is None:
        body = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"401","detail":"A valid bearer token is required."}'
        return Response(body, status=401, content_type="application/scim+json", headers={"WWW-Authenticate": 'Bearer realm="scim"'})
    g.scim_token = token
    return None


def _finish(response: Response) -> Response:
    if response.status_code < 400 and request.method != "GET":
        token = g.get("scim_token")
        if token is not None:
            token.last_used_at = utcnow()
        db.session.commit()
    else:
        db.session.rollback()
    return response


def init_app(app: Flask) -> None:
    """Serve /scim/v2 and let its endpoints past the sign-in guard (they check the bearer token)."""
    from marketplace.accounts.views import PUBLIC_ENDPOINTS

    blueprint = Blueprint(NAME, __name__, url_prefix=URL_PREFIX)
    blueprint.register_error_handler(HTTPException, lambda error: server()._handle_http_exception(error))
    for endpoint, method, rule, operation in ROUTES:
        blueprint.add_url_rule(rule, endpoint, _view(operation), methods=[method])
    blueprint.add_url_rule("/", "fallback", _fallback, methods=FALLBACK_METHODS, defaults={"path": ""})
    blueprint.add_url_rule("/<path:path>", "fallback", _fallback, methods=FALLBACK_METHODS)
    blueprint.before_request(_authenticate)
    blueprint.after_request(_finish)
    csrf.exempt(blueprint)  # machine endpoint: the bearer token is the credential, no cookies
    app.register_blueprint(blueprint)
    PUBLIC_ENDPOINTS.update(f"{NAME}.{endpoint}" for endpoint, *_ in ROUTES)
    PUBLIC_ENDPOINTS.add(f"{NAME}.fallback")
