"""The storefront's analytics consent banner (its form posts here, with or without JavaScript)."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kernel.browser import browser_id, browser_id_issue, tracking_refused
from kernel.throttling import client_address

from .. import tracking


@require_POST
def analytics_consent(request: HttpRequest) -> HttpResponse:
    """"Accept analytics" or "Decline": a ledger row (the customer's when signed in, else the
    browser's) and a signed cookie remembering it. A browser that refuses tracking (GPC/DNT) is
    never recorded as accepting. The script posts with ``Accept: application/json`` and gets
    ``{"analytics": true|false}``; without JavaScript the form redirects back to the page."""
    choice = request.POST.get("choice", "")
    wants_json = "application/json" in request.headers.get("Accept", "")
    if choice not in ("accept", "decline"):
        if wants_json:
            return JsonResponse({"code": "invalid", "errors": {"choice": ["accept or decline"]}}, status=400)
        return redirect(_next(request))
    granted = choice == "accept" and not tracking_refused(request)
    # a browser id only for a visitor who accepts (or already has one, from a cart): declining
    # must not leave an identifier behind; the signed decision cookie remembers the "no"
    bid = browser_id_issue(request) if granted else (browser_id(request) or "")
    tracking.analytics_consent_record(
        granted=granted, browser_id=bid, customer=tracking.request_customer(request),
        ip_address=client_address(request), user_agent=request.headers.get("User-Agent", ""),
        acting_user=request.user if request.user.is_authenticated else None)
    response = JsonResponse({"analytics": granted}) if wants_json else redirect(_next(request))
    tracking.consent_cookie_set(response, granted)
    return response


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return "/"
