"""Staff roles as groups with real permissions, and the location scope of each user.

A role is a group whose name is the role code. The roles and what each may do are declared by
the apps on their AppConfig (``staff_roles``, ``role_permissions``: kernel.registry), each app
granting its own permissions; ``sync_roles`` keeps each group's permissions exactly as declared
(run after every migrate). Store staff and warehouse operators are scoped to ``user.location``;
HQ marketers and administrators see all.

This module imports no model at import time, so an ``apps.py`` may use the role codes.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from . import registry
from .registry import StaffRole

STORE_STAFF = "store_staff"
WAREHOUSE_OPERATOR = "warehouse_operator"
HQ_MARKETER = "hq_marketer"
ADMINISTRATOR = "administrator"

# The kernel's roles (KernelConfig.staff_roles); another app may declare more.
STAFF_ROLES = {
    STORE_STAFF: StaffRole(_("Store staff"), scoped=True, order=10),
    WAREHOUSE_OPERATOR: StaffRole(_("Warehouse operator"), scoped=True, order=20),
    HQ_MARKETER: StaffRole(_("HQ marketer"), order=30),
    ADMINISTRATOR: StaffRole(_("Administrator"), order=40),
}


def role_codes() -> set[str]:
    return set(registry.staff_roles())


def role_label(code: str) -> str:
    return str(registry.staff_roles()[code].label)


def scoped_roles() -> set[str]:
    """Roles whose users act only at their own location."""
    return {code for code, role in registry.staff_roles().items() if role.scoped}


def role_permissions() -> dict[str, tuple[str, ...]]:
    """``{role: ("app_label.codename", ...)}`` as the installed apps grant them."""
    return registry.role_permissions()


def _permission_filter(names) -> Q:
    condition = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".", 1)
        condition |= Q(content_type__app_label=app_label, codename=codename)
    return condition


def sync_roles() -> None:
    from django.contrib.auth.models import Group, Permission

    for role, names in role_permissions().items():
        group, _created = Group.objects.get_or_create(name=role)
        permissions = list(Permission.objects.filter(_permission_filter(names)))
        group.permissions.set(permissions)


def sync_roles_after_migrate(sender, **kwargs) -> None:
    sync_roles()


def roles_of(user) -> set[str]:
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_omnishop_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True)) & role_codes()
        user._omnishop_roles = cached
    return cached


def is_console_user(user) -> bool:
    return user.is_authenticated and user.is_active and (user.is_superuser or bool(roles_of(user)))


def is_administrator(user) -> bool:
    """A superuser or a user with the administrator role: the one who may load another system's
    data into the shop (the import endpoints)."""
    return is_console_user(user) and (user.is_superuser or ADMINISTRATOR in roles_of(user))


def is_scoped(user) -> bool:
    return not user.is_superuser and bool(roles_of(user)) and roles_of(user) <= scoped_roles()


def scoped_locations(user) -> QuerySet:
    """The locations a console user may see and act on."""
    from kernel.models import Location

    if not is_console_user(user):
        return Location.objects.none()
    if is_scoped(user):
        return Location.objects.filter(pk=user.location_id) if user.location_id else Location.objects.none()
    return Location.objects.all()


def can_act_at(user, location) -> bool:
    if not is_console_user(user):
        return False
    if not is_scoped(user):
        return True
    return location is not None and user.location_id == getattr(location, "pk", location)


def require_location(user, location) -> None:
    if not can_act_at(user, location):
        raise PermissionDenied(_("You cannot act for this location."))


def assign_role(user, role: str, location=None) -> None:
    """Give ``user`` a staff role (and, for scoped roles, the location they work at)."""
    from django.contrib.auth.models import Group

    if role not in role_codes():
        raise ValueError(role)
    if role in scoped_roles() and location is None:
        raise ValueError("Scoped roles need a location.")
    group, _created = Group.objects.get_or_create(name=role)
    if _created:
        sync_roles()
    user.groups.add(group)
    user.is_staff = role == ADMINISTRATOR or user.is_staff
    if location is not None:
        user.location = location
    user.save()
    user._omnishop_roles = None
