"""The browser id: one random, signed, first-party cookie naming a browser, so what a visitor
does before signing in (a guest cart, later their anonymous events) can be found again and
tied to them when they sign in.

- Issued only when something needs it (``browser_id_issue``, called by a POST that stores
  something for the browser, such as adding to the cart): merely looking at the shop sets no
  cookie and writes nothing.
- Signed (``django.core.signing`` with its own salt): a tampered or invented value reads as
  no id at all, so nobody can name another browser's cart by guessing.
- HttpOnly, SameSite=Lax, Secure like the session cookie, and kept for 400 days (the most a
  browser keeps a cookie); each issue renews it.
- Random (128 bits): it identifies a browser, not a person, and carries nothing else.

``tracking_refused`` is the browser's own privacy signal (Global Privacy Control or Do Not
Track). Features that record behaviour for marketing or analytics (the customer timeline's
"added to cart", later first-party events) ask it before recording; the cart itself works
either way.
"""

import re
import uuid

from django.conf import settings
from django.core import signing
from django.http import HttpRequest

COOKIE_SALT = "kernel.browser-id"
COOKIE_MAX_AGE = 400 * 24 * 60 * 60
BROWSER_ID_RE = re.compile(r"[0-9a-f]{32}")


def cookie_name() -> str:
    return getattr(settings, "BROWSER_ID_COOKIE_NAME", "omnishop_bid")


def browser_id(request: HttpRequest) -> str | None:
    """This browser's id from its signed cookie (or the one issued during this request), else None."""
    issued = getattr(request, "_browser_id_issued", None)
    if issued:
        return issued
    try:
        value = request.get_signed_cookie(cookie_name(), default=None, salt=COOKIE_SALT)
    except signing.BadSignature:  # pragma: no cover - get_signed_cookie returns the default
        return None
    return value if isinstance(value, str) and BROWSER_ID_RE.fullmatch(value) else None


def browser_id_issue(request: HttpRequest) -> str:
    """This browser's id, issuing a new one when it has none; ``BrowserIdMiddleware`` sets the
    cookie on the response (and renews an existing one)."""
    value = browser_id(request) or uuid.uuid4().hex
    request._browser_id_issued = value
    return value


def tracking_refused(request: HttpRequest) -> bool:
    """The browser asks not to be tracked: ``Sec-GPC: 1`` (Global Privacy Control) or ``DNT: 1``."""
    return request.headers.get("Sec-GPC", "").strip() == "1" or request.headers.get("DNT", "").strip() == "1"


class BrowserIdMiddleware:
    """Sets the browser-id cookie on responses to requests that issued (or renewed) one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        value = getattr(request, "_browser_id_issued", None)
        if value:
            response.set_signed_cookie(
                cookie_name(), value, salt=COOKIE_SALT, max_age=COOKIE_MAX_AGE,
                secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax",
            )
        return response
