"""A small but real OpenID Connect provider for the tests: its own RSA key, JWKS, discovery,
authorization endpoint (signs in whoever the test chose, without a form) and token endpoint (client
secret, one-use codes, PKCE), served by werkzeug on a free loopback port. `tamper` makes the next ID
tokens wrong in one way, so the relying party's checks can be seen refusing them."""

from __future__ import annotations

import json
import threading
import time
from urllib.parse import urlencode

from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

CLIENT_ID = "ssa-test-client"
CLIENT_SECRET = generate_token(32)


class Provider:
    """The provider's state: keys, issued codes, the next user to sign in and what to tamper with."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "main"})
        self.other_key = RSAKey.generate_key(2048, parameters={"kid": "main"})
        self.codes: dict[str, dict] = {}
        self.user: dict = {}
        self.tamper: str | None = None
        self.authorize_requests: list[dict] = []
        self.token_requests: list[dict] = []
        self.issuer = ""

    def reset(self, user: dict) -> None:
        self.user, self.tamper = dict(user), None
        self.authorize_requests.clear()
        self.token_requests.clear()

    def __call__(self, environ, start_response):
        request = Request(environ)
        route = {
            "/.well-known/openid-configuration": self.discovery,
            "/jwks": self.jwks,
            "/authorize": self.authorize,
            "/token": self.token,
        }.get(request.path)
        response = route(request) if route else Response("not found", status=404)
        return response(environ, start_response)

    def discovery(self, _request: Request) -> Response:
        return _json(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            }
        )

    def jwks(self, _request: Request) -> Response:
        return _json(KeySet([self.key]).as_dict(private=False))

    def authorize(self, request: Request) -> Response:
        args = request.args.to_dict()
        self.authorize_requests.append(args)
        if args.get("client_id") != CLIENT_ID or args.get("code_challenge_method") != "S256":
            return Response("bad request", status=400)
        code = generate_token(24)
        self.codes[code] = {**args, "user": dict(self.user)}
        query = urlencode({"code": code, "state": args.get("state", "")})
        return Response(status=302, headers={"Location": f"{args['redirect_uri']}?{query}"})

    def token(self, request: Request) -> Response:
        form = request.form.to_dict()
        self.token_requests.append(form)
        auth = request.authorization
        if auth is None or (auth.username, auth.password) != (CLIENT_ID, CLIENT_SECRET):
            return _json({"error": "invalid_client"}, 401)
        issued = self.codes.pop(form.get("code", ""), None)
        if issued is None or issued["redirect_uri"] != form.get("redirect_uri"):
            return _json({"error": "invalid_grant"}, 400)
        if create_s256_code_challenge(form.get("code_verifier", "")) != issued["code_challenge"]:
            return _json({"error": "invalid_grant", "error_description": "PKCE"}, 400)
        return _json(
            {"access_token": generate_token(), "token_type": "Bearer", "id_token": self.id_token(issued)}
        )

    def id_token(self, issued: dict) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": issued["nonce"],
            **issued["user"],
        }
        wrong = {
            "audience": {"aud": "another-application"},
            "nonce": {"nonce": "not-the-nonce-sent"},
            "expired": {"iat": now - 7200, "exp": now - 3600},
            "issuer": {"iss": "https://elsewhere.example"},
        }
        claims.update(wrong.get(self.tamper or "", {}))
        key = self.other_key if self.tamper == "signature" else self.key
        return jwt.encode({"alg": "RS256", "kid": "main"}, claims, key)


def _json(data: dict, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


def start_provider() -> tuple[Provider, object]:
    """Serve a provider on a free loopback port; returns it and its server (call shutdown())."""
    provider = Provider()
    server = make_server("127.0.0.1", 0, provider, threaded=True)
    provider.issuer = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return provider, server


def provider_setting(provider: Provider, **extra) -> dict:
    """The provider as OIDC_PROVIDERS names it."""
    return {
        "name": "campus",
        "label": "Campus account",
        "issuer": provider.issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        **extra,
    }
