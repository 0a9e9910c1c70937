"""The storefront's first-party events: ``{% tracking_script %}`` (in the head) and
``{% consent_banner %}`` (end of the body), both reading the visitor's analytics consent once
per request (``customers.tracking.analytics_consent``)."""

from django import template
from django.conf import settings
from django.urls import reverse

from customers import tracking

register = template.Library()


def _consent(request):
    """The visitor's analytics consent; crawlers and headless browsers are asked nothing (their
    events would be filtered anyway, and a banner is no part of a page a search engine indexes)."""
    if request is None:
        return False
    if not hasattr(request, "_analytics_consent"):
        bot = tracking.bot_reason(user_agent=request.headers.get("User-Agent", ""), browser_id=None, count=0)
        request._analytics_consent = False if bot else tracking.analytics_consent(request)
    return request._analytics_consent


def _page(context) -> dict:
    """What the page shows that the script reports: the product, the search and its results."""
    data = {}
    product = context.get("product")
    code = getattr(product, "code", None)
    if isinstance(code, str) and code:
        data["product"] = code
    query = context.get("query")
    page = context.get("page")
    if isinstance(query, str) and query.strip():
        data["search_query"] = query.strip()
        paginator = getattr(page, "paginator", None)
        if paginator is not None:
            data["search_results"] = paginator.count
    return data


@register.inclusion_tag("customers/storefront/tracking_script.html", takes_context=True)
def tracking_script(context):
    """The script, unless the visitor declined or the browser refuses tracking (then nothing at all)."""
    request = context.get("request")
    consent = _consent(request)
    return {
        "show": consent is not False, "consent": "granted" if consent else "pending",
        "endpoint": reverse("api:events"), "consent_url": reverse("storefront:analytics_consent"),
        "cart_add": reverse("storefront:cart_add"), "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "page": _page(context), "csp_nonce": context.get("csp_nonce", ""),
    }


@register.inclusion_tag("customers/storefront/tracking_banner.html", takes_context=True)
def consent_banner(context):
    """The banner, only while the visitor has not decided (never for a browser refusing tracking)."""
    request = context.get("request")
    return {"show": _consent(request) is None, "request": request,
            "next": request.get_full_path() if request is not None else "/"}
