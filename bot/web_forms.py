"""Form tokens against cross-site posts: a signed double-submit token plus a same-site check.

A browser sends the owner's basic-auth credentials, and a supplier's link is in the form's
own address, so a page on another site could make the browser post a form here. Each page
with forms gets a random value in a cookie (``HttpOnly``, ``SameSite=Strict``) and the same
value, signed and dated, in every form. A post is accepted only when

- the browser does not say it comes from another site (``Sec-Fetch-Site`` is absent,
  ``same-origin`` or ``none``; an ``Origin`` header, when sent, names this site, or is
  ``null`` -- what a browser sends for a page with ``Referrer-Policy: no-referrer`` -- on a
  post the browser marks ``same-origin``), and
- the form's token verifies under the installation's key, is not older than its age limit,
  and carries the value of the cookie the browser sent.

Another site can neither read the cookie nor set it (``__Host-`` prefix on HTTPS), so it
cannot produce a matching token.
"""

from __future__ import annotations

import secrets

from fastapi import HTTPException, Request, Response
from itsdangerous import BadSignature, TimestampSigner

from bot.web_access import WebAccess

COOKIE = "rb_form"
SECURE_COOKIE = "__Host-rb_form"
SAME_SITE = frozenset({"same-origin", "none"})


class FormRefused(HTTPException):
    def __init__(self, detail: str) -> None:
        super().__init__(status_code=403, detail=detail)


class FormTokens:
    def __init__(self, secret_key: str, salt: str, access: WebAccess, max_age: int) -> None:
        self.signer = TimestampSigner(secret_key, salt=salt)
        self.access = access
        self.max_age = max_age
        self.cookie = SECURE_COOKIE if access.secure_cookies else COOKIE

    def _browser_value(self, request: Request) -> str | None:
        value = request.cookies.get(self.cookie, "")
        return value if 16 <= len(value) <= 64 else None

    def issue(self, request: Request) -> tuple[str, str | None]:
        """The token for the forms of a page, and a new cookie value to set (or None)."""
        value = self._browser_value(request)
        fresh = None
        if value is None:
            value = fresh = secrets.token_urlsafe(24)
        return self.signer.sign(value).decode(), fresh

    def set_cookie(self, response: Response, fresh: str | None) -> None:
        if fresh is None:
            return
        response.set_cookie(
            self.cookie,
            fresh,
            max_age=self.max_age,
            path="/",
            secure=self.access.secure_cookies,
            httponly=True,
            samesite="strict",
        )

    def check(self, request: Request, token: str) -> None:
        """Refuse (403) a post from another site or without a matching token."""
        site = request.headers.get("sec-fetch-site")
        if site is not None and site.lower() not in SAME_SITE:
            raise FormRefused("This form was sent from another site; nothing was changed.")
        origin = request.headers.get("origin")
        # Our pages send no referrer, so a browser posts their forms with "Origin: null"; it
        # then says where the post came from in Sec-Fetch-Site, which a page cannot set.
        vouched = origin == "null" and site is not None and site.lower() == "same-origin"
        if (
            origin is not None
            and not vouched
            and not self.access.same_site_origin(origin, request.headers.get("host"))
        ):
            raise FormRefused("This form was sent from another site; nothing was changed.")
        value = self._browser_value(request)
        try:
            signed = self.signer.unsign(token, max_age=self.max_age).decode()
        except BadSignature:  # forged, altered or too old (SignatureExpired is one)
            signed = None
        if value is None or signed is None or not secrets.compare_digest(signed, value):
            raise FormRefused("This form is too old or incomplete; reload the page and try again.")
