from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kernel import subjects
from kernel.registry import NavEntry
from kernel.roles import ADMINISTRATOR, HQ_MARKETER, STORE_STAFF, WAREHOUSE_OPERATOR


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = _("Inventory")
    # URLs, console navigation and role permissions (kernel.registry).
    console_urls = "inventory.urls_console"
    storefront_urls = "inventory.urls_storefront"
    api_routes = "inventory.urls_api.register_routes"
    console_nav = [
        NavEntry("console:products", _("Products"), "products", "inventory.view_product", "catalogue", 10,
                 active_also=("console:product_create", "console:product_detail", "console:product_edit")),
        NavEntry("console:stock", _("Stock levels"), "stock", "inventory.view_stocklevel", "catalogue", 20),
        NavEntry("console:stock_receive", _("Receive stock"), "receive", "inventory.add_stockmovement",
                 "catalogue", 30),
        NavEntry("console:stock_adjust", _("Adjust stock"), "adjust", "inventory.add_stockmovement", "catalogue", 40),
        NavEntry("console:ledger", _("Stock ledger"), "ledger", "inventory.view_stockmovement", "catalogue", 50),
    ]
    role_permissions = {
        STORE_STAFF: ["inventory.view_stocklevel", "inventory.add_stockmovement", "inventory.view_stockmovement",
                      "inventory.view_product"],
        WAREHOUSE_OPERATOR: ["inventory.view_stocklevel", "inventory.add_stockmovement",
                             "inventory.view_stockmovement", "inventory.view_product"],
        HQ_MARKETER: ["inventory.view_product", "inventory.manage_catalogue", "inventory.view_stocklevel",
                      "inventory.view_stockmovement"],
        ADMINISTRATOR: ["inventory.view_product", "inventory.manage_catalogue", "inventory.view_stocklevel",
                        "inventory.add_stockmovement", "inventory.view_stockmovement"],
    }
    # How the customer timeline shows cart adds (sku:) and product views (product:) (kernel.subjects).
    event_subjects = {subjects.SKU: "inventory.selectors.sku_subject_labels",
                      subjects.PRODUCT: "inventory.selectors.product_subject_labels"}
    # The domain events its services publish (kernel.events).
    domain_events = "inventory.domain_events.EVENT_TYPES"
    # What the audit trail calls its services' writes (kernel.audit).
    audit_actions = {
        "product_create": _("Product created"),
        "product_update": _("Product edited"),
        "product_delete": _("Product deleted"),
        "product_image_add": _("Product image added"),
        "variant_add": _("Variant added"),
        "variant_update": _("Variant edited"),
        "variant_delete": _("Variant deleted"),
        "location_create": _("Location created"),
        "location_update": _("Location edited"),
        "location_delete": _("Location deleted"),
    }
