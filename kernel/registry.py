"""What each app contributes to the whole, declared on its own ``AppConfig``.

An app owns its URLs, its console navigation entries and the permissions its staff roles get.
It declares them as attributes of its ``AppConfig``; the shell (``omnishop/urls*.py``), the
console navigation (``kernel.console``) and the roles (``kernel.roles``) are built by walking
``apps.get_app_configs()`` in ``INSTALLED_APPS`` order. Adding an app therefore touches no other
app's files (the way django-oscar's apps declare ``get_urls`` and ``permissions_map``)::

    class ReturnsConfig(AppConfig):
        name = "returns"
        console_urls = "returns.urls_console"        # patterns join the "console" namespace
        storefront_urls = "returns.urls_storefront"  # ... the "storefront" namespace
        api_urls = "returns.urls_api"                # plain API paths ("api" namespace)
        api_routes = "returns.api.register_routes"   # register_routes(router): viewsets on the shared router
        console_nav = [NavEntry("console:returns", _("Returns"), "returns", "returns.view_return",
                                section="store", order=40)]
        role_permissions = {STORE_STAFF: ["returns.view_return", "returns.add_return"]}

A URL attribute is a module path, mounted at the root of its area, or a ``(prefix, module)``
pair; a module with ``app_name`` gets a nested namespace (``console:brandkit:index``).
``staff_roles`` declares new roles and ``console_sections`` new navigation sections; the kernel
declares the four standing roles and the sections every console has.

Nothing here imports a model, so an ``apps.py`` may import ``NavEntry`` and ``StaffRole``.
"""

from dataclasses import dataclass
from functools import cache

from django.apps import apps
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import include, path
from django.utils.module_loading import import_string

URL_AREAS = ("console_urls", "storefront_urls", "api_urls")


@dataclass(frozen=True)
class NavEntry:
    """One link of the console navigation, shown to users with ``permission`` (None: everyone
    with a console role). ``order`` sorts links inside their section; ``active_also`` names the
    pages that light this link up besides its own (a detail page under its list)."""

    url_name: str
    label: str
    icon: str
    permission: str | None = None
    section: str = ""
    order: int = 100
    active_also: tuple[str, ...] = ()
    # A console URL name answering a small count fragment (e.g. pickups to prepare): the link
    # shows it as a badge, loaded with the page and polled by htmx (kernel.console.BADGE_POLL).
    badge: str | None = None


@dataclass(frozen=True)
class NavSection:
    label: str
    order: int = 100


@dataclass(frozen=True)
class StaffRole:
    """A staff role: a group named by its code. ``scoped`` roles act only at ``user.location``."""

    label: str
    scoped: bool = False
    order: int = 100


def declarations(attribute: str) -> list[tuple[str, object]]:
    """``(app label, value)`` of every installed app declaring ``attribute``, in INSTALLED_APPS order."""
    return [(config.label, getattr(config, attribute)) for config in apps.get_app_configs()
            if getattr(config, attribute, None)]


def url_includes(attribute: str) -> list:
    """The URL patterns the apps declare for one area (``console_urls``, ``storefront_urls`` or
    ``api_urls``), each app's module included at its prefix."""
    if attribute not in URL_AREAS:
        raise ValueError(attribute)
    patterns = []
    for _label, value in declarations(attribute):
        prefix, module = value if isinstance(value, tuple | list) else ("", value)
        patterns.append(path(prefix, include(module)))
    return patterns


def register_api_routes(router) -> None:
    """Let every app register its viewsets on the shared API router (``api_routes``)."""
    for _label, dotted in declarations("api_routes"):
        import_string(dotted)(router)


@cache
def nav_sections() -> dict[str, NavSection]:
    found: dict[str, NavSection] = {}
    for label, sections in declarations("console_sections"):
        for key, section in sections.items():
            if key in found:
                raise ValueError(f"Console section {key!r} is declared twice (again by {label}).")
            found[key] = section
    return found


@cache
def nav_entries() -> tuple[NavEntry, ...]:
    """Every app's navigation entries, by section order and then entry order."""
    sections = nav_sections()
    entries = [entry for _label, declared in declarations("console_nav") for entry in declared]
    return tuple(sorted(entries, key=lambda e: (sections[e.section].order if e.section in sections else 1000,
                                                e.section, e.order)))


@cache
def staff_roles() -> dict[str, StaffRole]:
    found: dict[str, StaffRole] = {}
    for label, roles in declarations("staff_roles"):
        for code, role in roles.items():
            if code in found:
                raise ValueError(f"Staff role {code!r} is declared twice (again by {label}).")
            found[code] = role
    return dict(sorted(found.items(), key=lambda item: item[1].order))


@cache
def role_permissions() -> dict[str, tuple[str, ...]]:
    """``{role: ("app_label.codename", ...)}``: what each app grants each role, merged."""
    merged: dict[str, list[str]] = {code: [] for code in staff_roles()}
    for _label, grants in declarations("role_permissions"):
        for role, permissions in grants.items():
            if role in merged:  # an undeclared role is reported by check_declarations
                merged[role].extend(name for name in permissions if name not in merged[role])
    return {role: tuple(names) for role, names in merged.items()}


def check_declarations(app_configs=None, **kwargs) -> list:
    """System check: the roles and sections apps refer to are declared by some app."""
    from django.core.checks import Error

    errors = []
    roles, sections = staff_roles(), nav_sections()
    for label, grants in declarations("role_permissions"):
        errors += [Error(f"The app {label!r} grants permissions to {role!r}, which no app declares as a staff role.",
                         hint="Declare it in an AppConfig's staff_roles.", id="omnishop.E010")
                   for role in grants if role not in roles]
    for label, entries in declarations("console_nav"):
        errors += [Error(f"The app {label!r} puts {entry.url_name!r} in the console section {entry.section!r}, "
                         "which no app declares.", hint="Declare it in an AppConfig's console_sections.",
                         id="omnishop.E011")
                   for entry in entries if entry.section and entry.section not in sections]
    return errors


def clear_cache() -> None:
    for function in (nav_sections, nav_entries, staff_roles, role_permissions):
        function.cache_clear()


@receiver(setting_changed)
def _installed_apps_changed(*, setting, **kwargs) -> None:
    if setting == "INSTALLED_APPS":
        clear_cache()
