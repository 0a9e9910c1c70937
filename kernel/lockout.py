"""Failed-login throttling: how django-axes is wired into the shop.

Every login (storefront, console, Django admin, API token) authenticates through
``django.contrib.auth.authenticate`` with the request, so ``AxesStandaloneBackend``, first in
``AUTHENTICATION_BACKENDS``, refuses a locked-out caller before any password is hashed.
Failures are counted per account (the email, normalised) and per client address
(``kernel.throttling.client_address``, the same rule as the API throttles); either reaching
``AXES_FAILURE_LIMIT`` within ``AXES_COOLOFF_TIME`` locks that account or address until the
cool-off has passed since the failure that locked it. Nothing locks for good: attempts during
a lockout are not counted and do not extend it, and an administrator can unlock early
(``manage.py axes_reset_username`` / ``axes_reset_ip``, or the admin's access attempts).

Settings point here: ``AXES_USERNAME_CALLABLE``, ``AXES_LOCKOUT_CALLABLE``, ``AXES_HANDLER``.
"""

import math

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import ngettext

API_PREFIX = "/api/"
CONSOLE_PREFIXES = ("/console/", "/admin/")


def login_username(request, credentials: dict | None) -> str | None:
    """The account a login attempt is for: the email, stripped and lower-cased (accounts are
    stored lower-case, so ``A@x.jp`` and ``a@x.jp`` share one count). The HTML logins send it as
    ``username`` (Django's AuthenticationForm), the API as ``email``."""
    value = None
    if credentials:
        value = credentials.get("email") or credentials.get("username")
    if value is None and request is not None:
        data = request.POST
        value = data.get("email") or data.get("username")
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().lower()[:255]


class LoginAttemptHandler(AxesDatabaseHandler):
    """Axes' database handler, except that a successful login clears only the failures of the
    account that signed in. Axes would also clear every failure from the same address, so an
    attacker with an account of their own (anyone may sign up) could reset the address's count
    by signing in between guesses at other accounts."""

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        username = get_client_username(request, credentials)
        if not username:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count


def seconds_until_unlock(request, credentials: dict | None) -> int:
    """How long the caller stays locked out: for each count that reached the limit (this
    account, this address), until enough of its newest failures are older than the cool-off."""
    cool_off = get_cool_off(request)
    limit = get_failure_limit(request, credentials)
    now = timezone.now()
    longest = 0.0
    for attempts in AxesProxyHandler.get_implementation().get_user_attempts(request, credentials):
        total = 0
        for attempt_time, failures in attempts.order_by("-attempt_time").values_list(
                "attempt_time", "failures_since_start"):
            total += failures
            if total >= limit:
                longest = max(longest, (attempt_time + cool_off - now).total_seconds())
                break
    return max(1, math.ceil(longest))


def lockout_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many failed sign-in attempts, so signing in is paused for your security. "
        "Please try again in %(minutes)s minute.",
        "Too many failed sign-in attempts, so signing in is paused for your security. "
        "Please try again in %(minutes)s minutes.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials: dict | None = None) -> HttpResponse:
    """429 for a locked-out login: JSON ``{"code": "locked_out", "detail"}`` for the API, else
    the storefront's or the console's page, in the visitor's language; ``Retry-After`` on both."""
    seconds = seconds_until_unlock(request, credentials)
    message = lockout_message(seconds)
    if request.path_info.startswith(API_PREFIX):
        response = JsonResponse({"code": "locked_out", "detail": message}, status=429,
                                json_dumps_params={"ensure_ascii": False})
    else:
        staff = request.path_info.startswith(CONSOLE_PREFIXES)
        template = "console/login_locked.html" if staff else "storefront/login_locked.html"
        response = render(request, template, {"message": message}, status=429)
    response["Retry-After"] = str(seconds)
    return response
