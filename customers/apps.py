from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kernel.registry import NavEntry
from kernel.roles import ADMINISTRATOR, HQ_MARKETER, STORE_STAFF


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")
    # URLs, console navigation and role permissions (kernel.registry).
    console_urls = "customers.urls_console"
    storefront_urls = "customers.urls_storefront"
    api_urls = "customers.urls_api"
    api_routes = "customers.urls_api.register_routes"
    console_nav = [
        NavEntry("console:customers", _("Customers"), "customers", "customers.view_customer", "store", 30,
                 active_also=("console:customer_detail", "console:customer_edit")),
    ]
    role_permissions = {
        STORE_STAFF: ["customers.view_customer"],
        HQ_MARKETER: ["customers.view_customer", "customers.change_customer"],
        ADMINISTRATOR: ["customers.view_customer", "customers.change_customer"],
    }
    # The domain events its services publish (kernel.events).
    domain_events = "customers.domain_events.EVENT_TYPES"
    # What the audit trail calls its services' writes (kernel.audit).
    audit_actions = {
        "customer_create": _("Customer created"),
        "customer_update_profile": _("Customer profile edited"),
        "customer_email_change": _("Customer email address changed"),
        "customer_delete": _("Customer deleted"),
        "customers_import": _("Customers imported"),
        "customer_events_import": _("Past touchpoints imported"),
    }
