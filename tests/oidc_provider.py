"""A real OpenID Connect provider on loopback, built from authlib's server components.

Authorization code flow with PKCE (S256 required) and nonce, RS256-signed ID tokens, JWKS,
discovery and an end-session endpoint. People sign in on its own small form, so a browser
goes through the real redirects. `rogue_token_from` makes its token endpoint hand out an
ID token minted by another provider (a mix-up attack), for tests that must refuse it.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from html import escape
from urllib.parse import urlencode

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server


@dataclass
class Client:
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    scope: str = "openid email profile groups"

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope):
        return " ".join(s for s in (scope or "").split() if s in self.scope.split())

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(self.client_secret, client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method == "client_secret_basic" if endpoint == "token" else True

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: dict
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    created: float = field(default_factory=time.time)

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return int(self.created)

    def get_acr(self):
        return None

    def get_amr(self):
        return None

    def is_expired(self):
        return time.time() - self.created > 60


class Provider:
    """One issuer on 127.0.0.1:<port>, serving in a background thread."""

    def __init__(self, users: dict[str, dict]):
        self.users = users
        self.key = RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(4), "use": "sig", "alg": "RS256"})
        self.clients: dict[str, Client] = {}
        self.codes: dict[str, Code] = {}
        self.redeemed: list[str] = []
        self.ended_sessions: list[dict] = []
        self.rogue_token_from: Provider | None = None
        self.app = Flask(f"oidc-{id(self)}")
        self.app.secret_key = secrets.token_hex(16)
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.authorization = _authorization_server(self)
        _routes(self)
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> Provider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()

    def add_client(self, client_id: str, secret: str, redirect_uri: str) -> None:
        self.clients[client_id] = Client(client_id, secret, [redirect_uri])

    def id_token_for(self, client_id: str, user: dict, nonce: str | None) -> str:
        """Mint an ID token signed with this provider's key (used for the mix-up test)."""
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": client_id, "iat": now, "exp": now + 300, "auth_time": now, **user}
        if nonce:
            claims["nonce"] = nonce
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key)


class _OpenIDCode(OpenIDCode):
    def __init__(self, provider: Provider):
        super().__init__(require_nonce=True)
        self.provider = provider

    def exists_nonce(self, nonce, request):
        return any(code.nonce == nonce for code in self.provider.codes.values())

    def resolve_client_private_key(self, client):
        return self.provider.key

    def get_client_claims(self, client):
        return {"iss": self.provider.issuer, "aud": [client.get_client_id()], "exp": int(time.time()) + 300}

    def get_client_algorithm(self, client):
        return "RS256"

    def get_encode_header(self, client):
        return {"alg": "RS256", "kid": self.provider.key.kid}

    def generate_user_info(self, user, scope):
        return dict(user)


def _authorization_server(provider: Provider) -> AuthorizationServer:
    class CodeGrant(grants.AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic"]

        def save_authorization_code(self, code, req):
            provider.last_nonce = req.payload.data.get("nonce")
            provider.codes[code] = Code(
                code, req.payload.client_id, req.payload.redirect_uri, req.payload.scope, req.user,
                req.payload.data.get("nonce"), req.payload.data.get("code_challenge"),
                req.payload.data.get("code_challenge_method"),
            )

        def query_authorization_code(self, code, client):
            found = provider.codes.get(code)
            return found if found and found.client_id == client.client_id and not found.is_expired() else None

        def delete_authorization_code(self, authorization_code):
            provider.codes.pop(authorization_code.code, None)  # a code works once
            provider.redeemed.append(authorization_code.code)

        def authenticate_user(self, authorization_code):
            return authorization_code.user

    server = AuthorizationServer(provider.app, query_client=provider.clients.get, save_token=lambda token, req: None)
    server.register_grant(CodeGrant, [CodeChallenge(required=True), _OpenIDCode(provider)])
    return server


def _routes(provider: Provider) -> None:
    app = provider.app

    @app.get("/.well-known/openid-configuration")
    def discovery():
        base = provider.issuer
        return jsonify({
            "issuer": base, "authorization_endpoint": f"{base}/authorize", "token_endpoint": f"{base}/token",
            "jwks_uri": f"{base}/jwks", "end_session_endpoint": f"{base}/logout",
            "response_types_supported": ["code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "email", "profile", "groups"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        })

    @app.get("/jwks")
    def jwks():
        return jsonify({"keys": [provider.key.as_dict(private=False)]})

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize():
        if request.method == "GET":
            try:
                provider.authorization.get_consent_grant(end_user=None)
            except Exception as error:  # noqa: BLE001 - shown to the tester, like a real provider would
                return f"<p id=error>{escape(str(error))}</p>", 400
            options = "".join(f"<option>{escape(name)}</option>" for name in provider.users)
            return (f"<!doctype html><title>Test IdP</title><h1>Test identity provider</h1>"
                    f"<form method=post><label>Account <select name=username>{options}</select></label>"
                    f"<button id=approve>Continue</button></form>")
        user = provider.users[request.form["username"]]
        return provider.authorization.create_authorization_response(grant_user=user)

    @app.post("/token")
    def token():
        response = provider.authorization.create_token_response()
        if provider.rogue_token_from is not None and response.status_code == 200:
            body = response.get_json()
            user = next(iter(provider.users.values()))
            body["id_token"] = provider.rogue_token_from.id_token_for(
                request.authorization.username, user, _last_nonce(provider))
            return jsonify(body)
        return response

    @app.get("/logout")
    def logout():
        provider.ended_sessions.append(request.args.to_dict())
        target = request.args.get("post_logout_redirect_uri")
        return redirect(target) if target else "<p>Signed out of the test IdP.</p>"


def _last_nonce(provider: Provider) -> str | None:
    return getattr(provider, "last_nonce", None)


def authorize_url(provider: Provider, **params) -> str:
    """A hand-built authorization URL (for tests that poke the provider directly)."""
    return f"{provider.issuer}/authorize?{urlencode(params)}"
