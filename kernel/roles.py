"""Staff roles as groups with real permissions, and the location scope of each user.

A role is a group whose name is the role code. ``sync_roles`` keeps each group's
permissions exactly as listed here (run after every migrate). Store staff and warehouse
operators are scoped to ``user.location``; HQ marketers and administrators see all.
"""

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

STORE_STAFF = "store_staff"
WAREHOUSE_OPERATOR = "warehouse_operator"
HQ_MARKETER = "hq_marketer"
ADMINISTRATOR = "administrator"

ROLE_LABELS = {
    STORE_STAFF: _("Store staff"),
    WAREHOUSE_OPERATOR: _("Warehouse operator"),
    HQ_MARKETER: _("HQ marketer"),
    ADMINISTRATOR: _("Administrator"),
}

# Roles whose users act only at their own location.
SCOPED_ROLES = {STORE_STAFF, WAREHOUSE_OPERATOR}

ROLE_PERMISSIONS: dict[str, list[str]] = {
    STORE_STAFF: [
        "orders.view_order",
        "orders.run_pickup_desk",
        "orders.add_order",
        "inventory.view_stocklevel",
        "inventory.add_stockmovement",
        "inventory.view_stockmovement",
        "inventory.view_product",
        "omnishop.view_location",
        "customers.view_customer",
        "brandkit.view_brandkit",
    ],
    WAREHOUSE_OPERATOR: [
        "inventory.view_stocklevel",
        "inventory.add_stockmovement",
        "inventory.view_stockmovement",
        "inventory.view_product",
        "omnishop.view_location",
        "orders.view_order",
        "orders.ship_orders",
        "brandkit.view_brandkit",
    ],
    HQ_MARKETER: [
        "inventory.view_product",
        "inventory.manage_catalogue",
        "inventory.view_stocklevel",
        "omnishop.view_location",
        "inventory.view_stockmovement",
        "customers.view_customer",
        "customers.change_customer",
        "orders.view_order",
        "orders.view_sales_dashboard",
        "brandkit.view_brandkit",
        "brandkit.change_brandkit",
    ],
    ADMINISTRATOR: [
        "inventory.view_product",
        "inventory.manage_catalogue",
        "inventory.view_stocklevel",
        "omnishop.view_location",
        "omnishop.change_location",
        "inventory.add_stockmovement",
        "inventory.view_stockmovement",
        "customers.view_customer",
        "customers.change_customer",
        "orders.view_order",
        "orders.add_order",
        "orders.run_pickup_desk",
        "orders.view_sales_dashboard",
        "orders.ship_orders",
        "brandkit.view_brandkit",
        "brandkit.change_brandkit",
        "omnishop.view_user",
        "omnishop.add_user",
        "omnishop.change_user",
        "omnishop.view_channel",
        "omnishop.change_channel",
    ],
}


def _permission_filter(names: list[str]) -> Q:
    condition = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".", 1)
        condition |= Q(content_type__app_label=app_label, codename=codename)
    return condition


def sync_roles() -> None:
    for role, names in ROLE_PERMISSIONS.items():
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
        cached = set(user.groups.values_list("name", flat=True)) & set(ROLE_PERMISSIONS)
        user._omnishop_roles = cached
    return cached


def is_console_user(user) -> bool:
    return user.is_authenticated and user.is_active and (user.is_superuser or bool(roles_of(user)))


def is_scoped(user) -> bool:
    return not user.is_superuser and bool(roles_of(user)) and roles_of(user) <= SCOPED_ROLES


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
    if role not in ROLE_PERMISSIONS:
        raise ValueError(role)
    if role in SCOPED_ROLES and location is None:
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
