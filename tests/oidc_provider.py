"""A small OpenID Connect provider (authorization code flow with PKCE) for sign-in tests.

It speaks the wire format of OpenID Connect Core 1.0 and Discovery 1.0: a discovery
document, an authorization page where the person clicks "Continue" (no password: the
provider vouches for ``person``), a token endpoint that checks the client secret, the
code, the redirect URI and the PKCE verifier, a userinfo endpoint, and RS256-signed ID
tokens (PyJWT) whose key is published as a JWK set. State lives in memory.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.emulators.server import Request, Response

CLIENT_ID = "fluxweb-test"
CLIENT_SECRET = "oidc-test-secret"
KEY_ID = "test-key-1"


class OIDCProvider:
    """``person``: the claims of whoever signs in (sub, email, email_verified,
    preferred_username, name). ``base_url`` is set by whoever serves it."""

    def __init__(self, person: dict[str, Any]) -> None:
        self.person = person
        self.base_url = ""
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._codes: dict[str, dict[str, Any]] = {}
        self._access_tokens: dict[str, dict[str, Any]] = {}
        self.token_requests = 0

    def handle(self, request: Request) -> Response:
        path = urlsplit(request.path).path
        if path == "/.well-known/openid-configuration":
            return Response.json(self._discovery())
        if path == "/authorize":
            return self._authorize(request)
        if path == "/token" and request.method == "POST":
            return self._token(request)
        if path == "/userinfo":
            token = request.headers.get("authorization", "").removeprefix("Bearer ")
            claims = self._access_tokens.get(token)
            return (
                Response.json(claims) if claims else Response.json({"error": "invalid_token"}, 401)
            )
        if path == "/jwks":
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
            return Response.json({"keys": [{**jwk, "kid": KEY_ID, "use": "sig", "alg": "RS256"}]})
        return Response.json({"error": "not_found"}, 404)

    def _discovery(self) -> dict[str, Any]:
        base = self.base_url
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
        }

    def _authorize(self, request: Request) -> Response:
        if request.method == "GET":
            params = {k: v[0] for k, v in parse_qs(urlsplit(request.path).query).items()}
            if params.get("client_id") != CLIENT_ID or params.get("response_type") != "code":
                return Response(400, b"unknown client or response type")
            hidden = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                for k, v in params.items()
            )
            page = (
                f"<!doctype html><title>Test ID</title><h1>Test ID</h1>"
                f"<p>Sign in to fluxweb as {html.escape(self.person['email'])}?</p>"
                f'<form method="post" action="/authorize">{hidden}'
                '<button type="submit">Continue</button></form>'
            )
            return Response(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})
        params = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        code = secrets.token_urlsafe(16)
        self._codes[code] = params
        query = urlencode({"code": code, "state": params.get("state", "")})
        return Response(302, b"", {"Location": f"{params['redirect_uri']}?{query}"})

    def _token(self, request: Request) -> Response:
        self.token_requests += 1
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = request.headers.get("authorization", "")
        if basic.startswith("Basic "):
            client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        if (client_id, secret) != (CLIENT_ID, CLIENT_SECRET):
            return Response.json({"error": "invalid_client"}, 401)
        grant = self._codes.pop(form.get("code", ""), None)
        if (
            grant is None
            or form.get("grant_type") != "authorization_code"
            or form.get("redirect_uri") != grant.get("redirect_uri")
        ):
            return Response.json({"error": "invalid_grant"}, 400)
        if "code_challenge" in grant:
            verifier = form.get("code_verifier", "")
            digest = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                .rstrip(b"=")
                .decode()
            )
            if digest != grant["code_challenge"]:
                return Response.json({"error": "invalid_grant", "error_description": "PKCE"}, 400)
        now = int(time.time())
        claims = {
            "iss": self.base_url,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            **self.person,
        }
        if grant.get("nonce"):
            claims["nonce"] = grant["nonce"]
        id_token = jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": KEY_ID})
        access_token = secrets.token_urlsafe(24)
        self._access_tokens[access_token] = dict(self.person)
        return Response.json(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            }
        )
