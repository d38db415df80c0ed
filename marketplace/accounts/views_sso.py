"""Single sign-on routes: off to the provider and back (authorization code flow with PKCE, state and nonce)."""

from __future__ import annotations

from urllib.parse import urlsplit

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    request,
    session,
    url_for,
)
from joserfc.errors import JoseError
from requests import RequestException

from marketplace.accounts import oidc, signin
from marketplace.accounts.models import SignInMethod, UserSession
from marketplace.redirects import safe_next

bp = Blueprint("sso", __name__)
NEXT_KEY = "sso_next"


def init_app(app: Flask) -> None:
    """Register every configured provider with its own authlib client (PKCE S256 on)."""
    providers = oidc.providers_from_config(app.config.get("OIDC_PROVIDERS") or [])
    oauth = OAuth(app)
    for provider in providers.values():
        oauth.register(
            provider.name, client_id=provider.client_id, client_secret=provider.client_secret or None,
            server_metadata_url=provider.metadata_url,
            client_kwargs={
                "scope": provider.scopes, "code_challenge_method": "S256",
                "token_endpoint_auth_method": "client_secret_basic" if provider.client_secret else "none",
                "timeout": 10,
            },
        )
    app.extensions["oidc_providers"] = providers
    app.extensions["oidc_oauth"] = oauth


def providers() -> dict[str, oidc.Provider]:
    """The configured providers, by name."""
    return current_app.extensions.get("oidc_providers", {})


def _client(name: str):
    return current_app.extensions["oidc_oauth"].create_client(name)


def _refuse(provider: oidc.Provider, why: str) -> Response:
    flash(f"Signing in with {provider.button_label.removeprefix('Sign in with ')} did not work: {why}", "error")
    return redirect(url_for("accounts.login"), code=303)


@bp.route("/login/sso/<name>")
def start(name: str) -> Response:
    """Send the browser to the provider's sign-in page."""
    provider = providers().get(name) or abort(404)
    session[NEXT_KEY] = safe_next(request.args.get("next")) or ""
    try:
        return _client(name).authorize_redirect(url_for("sso.callback", name=name, _external=True))
    except (RequestException, ValueError, AuthlibBaseError) as error:
        current_app.logger.warning("OIDC %s unreachable: %s", name, error)
        return _refuse(provider, "the sign-in service could not be reached. Try again in a moment.")


@bp.route("/login/sso/<name>/callback")
def callback(name: str) -> Response:
    """Check the provider's answer and sign the person in.

    A GET that writes: the provider sends the browser back with a GET (a form_post would
    lose the SameSite=Lax cookie that holds state), and the state makes it single-use.
    """
    provider = providers().get(name) or abort(404)
    client = _client(name)
    try:
        token = client.authorize_access_token()
        metadata_issuer = client.load_server_metadata().get("issuer")
    except (AuthlibBaseError, JoseError, RequestException, ValueError, KeyError, TypeError) as error:
        current_app.logger.warning("OIDC %s callback refused: %r", name, error)
        return _refuse(provider, "the answer from the sign-in service was not valid or had expired. Please start again.")
    claims = token.get("userinfo")
    if not claims or metadata_issuer != provider.issuer or claims.get("iss") != provider.issuer:
        current_app.logger.warning("OIDC %s: ID token missing or from another issuer", name)
        return _refuse(provider, "the sign-in service's answer did not come from the expected issuer.")
    try:
        user = oidc.user_for_claims(provider, dict(claims))
    except oidc.SignInRefused as error:
        return _refuse(provider, str(error))
    target = session.get(NEXT_KEY) or url_for("catalog.home")
    signin.sign_in(user, SignInMethod.SSO, provider.name, token.get("id_token"))
    return redirect(target, code=303)


def end_session_url(ended: UserSession | None) -> str | None:
    """The provider's end-session URL for a session signed in through it, when it offers one."""
    if ended is None or ended.method != SignInMethod.SSO or ended.provider not in providers():
        return None
    provider = providers()[ended.provider]
    try:
        endpoint = _client(provider.name).load_server_metadata().get("end_session_endpoint")
    except (RequestException, ValueError) as error:
        current_app.logger.warning("OIDC %s metadata unavailable at sign-out: %s", provider.name, error)
        return None
    if not endpoint or urlsplit(endpoint).scheme not in {"https", "http"}:
        return None
    from authlib.common.urls import add_params_to_uri

    params = {"client_id": provider.client_id, "post_logout_redirect_uri": url_for("accounts.login", _external=True)}
    if ended.id_token:
        params["id_token_hint"] = ended.id_token
    return add_params_to_uri(endpoint, params)
