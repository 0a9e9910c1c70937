"""The staff console shell: the ``console_view`` guard every console page sits behind, the
navigation built from the user's permissions, and small helpers shared by console views."""

from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from . import registry, roles

FORBIDDEN_TEMPLATE = "console/403.html"
# How often a navigation badge (NavEntry.badge) asks its count again: one cheap request per open
# console tab.
BADGE_POLL = "20s"


def navigation(user, current_url_name: str = "") -> list[dict]:
    """Sections of nav links the user may open, from what the apps declare (``console_nav``,
    ``console_sections``: kernel.registry). A link whose URL does not resolve (an app still being
    built) is left out rather than breaking every page."""
    section_defs = registry.nav_sections()
    sections: dict[str, dict] = {}
    for item in registry.nav_entries():
        if item.permission and not user.has_perm(item.permission):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        label = section_defs[item.section].label if item.section in section_defs else ""
        section = sections.setdefault(item.section, {"label": label, "items": []})
        active = current_url_name == item.url_name or current_url_name in item.active_also or (
            item.url_name.count(":") > 1 and current_url_name.startswith(item.url_name.rsplit(":", 1)[0] + ":")
        )
        badge_url = ""
        if item.badge:
            try:
                badge_url = reverse(item.badge)
            except NoReverseMatch:
                badge_url = ""
        section["items"].append({"url": url, "label": item.label, "icon": item.icon, "active": active,
                                 "badge_url": badge_url, "badge_poll": BADGE_POLL})
    return list(sections.values())


def role_label(user) -> str:
    if user.is_superuser and not roles.roles_of(user):
        return str(_("Superuser"))
    return " / ".join(roles.role_label(r) for r in sorted(roles.roles_of(user)))


def forbidden(request, message: str = ""):
    request.console_nav = _nav_for(request)
    request.console_role = role_label(request.user) if request.user.is_authenticated else ""
    return render(request, FORBIDDEN_TEMPLATE, {"message": message}, status=403)


def _nav_for(request) -> list[dict]:
    user = request.user
    if not roles.is_console_user(user):
        return []
    match = getattr(request, "resolver_match", None)
    return navigation(user, match.view_name if match else "")


def console_view(permission: str | None = None):
    """Guard a console view: login (else the console login page), a console role (else
    403), and ``permission`` when given (else 403). A PermissionDenied raised inside the
    view (e.g. by ``roles.require_location``) renders the console's 403 page too."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                login_url = reverse("console:login")
                return redirect(f"{login_url}?{urlencode({'next': request.get_full_path()})}")
            if not roles.is_console_user(user):
                return forbidden(request, _("This page is for shop staff."))
            if permission and not user.has_perm(permission):
                return forbidden(request)
            request.console_nav = _nav_for(request)
            request.console_role = role_label(user)
            try:
                return view(request, *args, **kwargs)
            except PermissionDenied as exc:
                return forbidden(request, str(exc) if exc.args else "")

        wrapper.console_permission = permission
        return wrapper

    return decorator


def location_choice(request, *, param: str = "location", queryset=None, default_first: bool = False):
    """The location a console page is filtered to, from ``?location=<id>``.

    Returns (location or None, locations the user may pick). Asking for a location
    outside the user's scope raises PermissionDenied; scoped users always get their own.
    """
    allowed = list(queryset if queryset is not None else roles.scoped_locations(request.user))
    raw = (request.GET.get(param) or request.POST.get(param) or "").strip()
    chosen = None
    if raw:
        chosen = next((loc for loc in allowed if str(loc.pk) == raw or loc.code == raw), None)
        if chosen is None:
            raise PermissionDenied(_("You cannot act for this location."))
    elif roles.is_scoped(request.user) or default_first:
        chosen = allowed[0] if allowed else None
    return chosen, allowed


def paginate(request, queryset, per_page: int = 50):
    paginator = Paginator(queryset, per_page)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    page.querystring = query.urlencode()
    return page


def htmx_template(request, template: str, partial: str) -> str:
    """The full page, or only the named partial when htmx asks for that region (the
    region's element id is the partial's name)."""
    htmx = getattr(request, "htmx", None)
    if htmx and htmx.target == partial:
        return f"{template}#{partial}"
    return template


def today_bounds():
    """Start and end of today in the shop's time zone (settings.TIME_ZONE)."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    zone = ZoneInfo(settings.TIME_ZONE)
    today = timezone.now().astimezone(zone).date()
    start = datetime.combine(today, time.min, tzinfo=zone)
    return start, start + timedelta(days=1)
