from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kernel import subjects
from kernel.registry import NavEntry
from kernel.roles import ADMINISTRATOR, HQ_MARKETER, STORE_STAFF, WAREHOUSE_OPERATOR

# What staff who move stock may do with transfers, receipts and counts, at the locations of their
# scope (a store requests and receives transfers, a warehouse approves and ships them; whoever
# counts does not approve their own count: inventory.counts).
WAREHOUSE_WORK = ["inventory.view_transfer", "inventory.add_transfer", "inventory.view_receipt",
                  "inventory.add_receipt", "inventory.view_stockcount", "inventory.add_stockcount",
                  "inventory.approve_stockcount"]


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = _("Inventory")
    # URLs, console navigation and role permissions (kernel.registry).
    console_urls = "inventory.urls_console"
    storefront_urls = "inventory.urls_storefront"
    api_routes = "inventory.urls_api.register_routes"
    console_dashboard_tiles = "inventory.dashboard.dashboard_tiles"
    console_nav = [
        NavEntry("console:products", _("Products"), "products", "inventory.view_product", "catalogue", 10,
                 active_also=("console:product_create", "console:product_detail", "console:product_edit")),
        NavEntry("console:stock", _("Stock levels"), "stock", "inventory.view_stocklevel", "catalogue", 20),
        NavEntry("console:receipts", _("Receiving"), "receive", "inventory.view_receipt", "catalogue", 30,
                 active_also=("console:receipt_new", "console:receipt_detail", "console:stock_receive")),
        NavEntry("console:purchase_orders", _("Purchase orders"), "orders", "inventory.view_purchaseorder",
                 "catalogue", 32, active_also=("console:purchase_order_new", "console:purchase_order_detail")),
        NavEntry("console:transfers", _("Transfers"), "truck", "inventory.view_transfer", "catalogue", 34,
                 active_also=("console:transfer_new", "console:transfer_detail", "console:transfer_action")),
        NavEntry("console:counts", _("Stock counts"), "adjust", "inventory.view_stockcount", "catalogue", 36,
                 active_also=("console:count_new", "console:count_detail", "console:count_enter",
                              "console:count_action")),
        NavEntry("console:stock_zones", _("Zones / bins"), "ledger", "inventory.set_stock_zone", "catalogue", 38),
        NavEntry("console:stock_adjust", _("Adjust stock"), "adjust", "inventory.add_stockmovement", "catalogue", 40),
        NavEntry("console:ledger", _("Stock ledger"), "ledger", "inventory.view_stockmovement", "catalogue", 50),
    ]
    role_permissions = {
        STORE_STAFF: ["inventory.view_stocklevel", "inventory.set_stock_zone", "inventory.add_stockmovement", "inventory.view_stockmovement",
                      "inventory.view_product", *WAREHOUSE_WORK, "inventory.view_purchaseorder"],
        WAREHOUSE_OPERATOR: ["inventory.view_stocklevel", "inventory.set_stock_zone", "inventory.add_stockmovement",
                             "inventory.view_stockmovement", "inventory.view_product", *WAREHOUSE_WORK,
                             "inventory.view_purchaseorder", "inventory.add_purchaseorder"],
        HQ_MARKETER: ["inventory.view_product", "inventory.manage_catalogue", "inventory.view_stocklevel",
                      "inventory.view_stockmovement", "inventory.view_transfer", "inventory.view_receipt",
                      "inventory.view_purchaseorder", "inventory.view_stockcount"],
        ADMINISTRATOR: ["inventory.view_product", "inventory.manage_catalogue", "inventory.view_stocklevel",
                        "inventory.set_stock_zone", "inventory.add_stockmovement", "inventory.view_stockmovement", *WAREHOUSE_WORK,
                        "inventory.view_purchaseorder", "inventory.add_purchaseorder",
                        # the supervisor's: receive over what was expected, approve a count one counted
                        "inventory.receive_over_expected", "inventory.approve_own_stockcount"],
    }
    # How the customer timeline shows cart adds (sku:) and product views (product:) (kernel.subjects).
    event_subjects = {subjects.SKU: "inventory.selectors.sku_subject_labels",
                      subjects.PRODUCT: "inventory.selectors.product_subject_labels"}
    # How the stock history names the warehouse documents' ledger references (inventory.selectors).
    stock_references = {"transfer": "inventory.selectors.transfer_reference_labels",
                        "receipt": "inventory.selectors.receipt_reference_labels",
                        "count": "inventory.selectors.count_reference_labels",
                        "po": "inventory.selectors.purchase_order_reference_labels"}
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
        "stock_zones_set": _("Zone / bin set"),
    }
