from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kernel import subjects
from kernel.registry import NavEntry
from kernel.roles import ADMINISTRATOR, HQ_MARKETER, STORE_STAFF, WAREHOUSE_OPERATOR

# Registers (orders.registers): store staff open and close their store's; HQ reads every store's
# reports; administrators also set registers up.
REGISTER_PERMISSIONS = {
    STORE_STAFF: ["orders.view_register", "orders.operate_register"],
    HQ_MARKETER: ["orders.view_register"],
    ADMINISTRATOR: ["orders.view_register", "orders.operate_register", "orders.add_register"],
}


def ensure_schedules(sender, **kwargs) -> None:
    """Recurring jobs are configuration: make sure they exist after every migrate."""
    from django_q.models import Schedule

    Schedule.objects.get_or_create(
        name="orders.pickups_expire",
        defaults={"func": "orders.tasks.pickups_expire", "schedule_type": Schedule.HOURLY, "repeats": -1},
    )
    Schedule.objects.get_or_create(
        name="orders.carts_expire",
        defaults={"func": "orders.tasks.carts_expire", "schedule_type": Schedule.DAILY, "repeats": -1},
    )


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")
    # URLs, console navigation and role permissions (kernel.registry).
    console_urls = "orders.urls_console"
    storefront_urls = "orders.urls_storefront"
    api_urls = "orders.urls_api"
    api_routes = "orders.urls_api.register_routes"
    console_dashboard_tiles = "orders.dashboard.dashboard_tiles"
    console_nav = [
        NavEntry("console:pickup_desk", _("Pickup desk"), "pickup", "orders.run_pickup_desk", "store", 10,
                 active_also=("console:pickup_ready", "console:pickup_hand_over"), badge="console:pickup_badge"),
        NavEntry("console:till", _("Till"), "cart", "orders.operate_register", "store", 5,
                 active_also=("console:till_register", "console:till_receipt", "console:till_aisle")),
        NavEntry("console:orders", _("Orders"), "orders", "orders.view_order", "store", 20,
                 active_also=("console:order_detail",)),
        NavEntry("console:registers", _("Registers"), "store", "orders.view_register", "store", 25,
                 active_also=("console:register_create", "console:register_open", "console:register_close",
                              "console:register_session", "console:register_day", "console:register_history")),
        NavEntry("console:shipments", _("Shipments"), "truck", "orders.ship_orders", "warehouse", 10,
                 active_also=("console:pick_list", "console:packing_slips")),
        NavEntry("console:returns", pgettext_lazy("return", "Returns"), "return", "orders.view_return", "store", 15,
                 active_also=("console:return_new", "console:return_detail")),
    ]
    role_permissions = {
        # orders.change_order: staff notes and tags on the orders they see
        STORE_STAFF: ["orders.view_order", "orders.run_pickup_desk", "orders.add_order", "orders.change_order",
                      *REGISTER_PERMISSIONS[STORE_STAFF], "orders.view_return", "orders.take_returns",
                      "orders.refund_order"],
        WAREHOUSE_OPERATOR: ["orders.view_order", "orders.ship_orders", "orders.change_order", "orders.view_return",
                             "orders.take_returns"],
        HQ_MARKETER: ["orders.view_order", "orders.view_sales_dashboard", *REGISTER_PERMISSIONS[HQ_MARKETER],
                      "orders.view_return"],
        ADMINISTRATOR: ["orders.view_order", "orders.add_order", "orders.run_pickup_desk",
                        "orders.view_sales_dashboard", "orders.ship_orders", "orders.change_order",
                        *REGISTER_PERMISSIONS[ADMINISTRATOR], "orders.view_return", "orders.take_returns",
                        "orders.refund_order"],
    }
    # How the customer timeline shows the subjects orders give customer events (kernel.subjects).
    event_subjects = {subjects.ORDER: "orders.selectors.event_subject_labels"}
    # How the stock history names the ledger's ``fulfillment:<id>`` references (inventory.selectors).
    stock_references = {"fulfillment": "orders.selectors.stock_reference_labels"}
    # The domain events its services publish (kernel.events).
    domain_events = "orders.domain_events.EVENT_TYPES"
    # What the audit trail calls its services' writes (kernel.audit).
    audit_actions = {"orders_import": _("Orders imported"), "order_refund": _("Order refunded without a return"),
                     "order_tags_set": _("Order tags changed"),
                     "register_create": _("Register set up"), "register_open": _("Register opened"),
                     "register_close": _("Register closed with a cash count"),
                     "till_sale_void": _("Till sale voided"),
                     "till_receipt_reprint": _("Till receipt reprinted"),
                     "till_receipt_email": _("Till receipt emailed"),
                     "orders_anonymise_for_customers": _("Orders anonymised after the customer's erasure")}

    @property
    def event_consumers(self) -> dict:
        """What it does when other domains' events happen (kernel.events): a customer's erasure
        blanks the personal free text of their orders (orders.privacy); a transfer carrying an
        endless-aisle order moves the order on (orders.aisle). A property: kernel.events
        imports models, which cannot be imported while the app configs are being loaded."""
        from kernel.events import EventConsumer

        return {"orders.customer_erased": EventConsumer("orders.privacy.customer_erased_handle",
                                                        types=("customers.customer_erased",)),
                # the endless aisle's pickups follow their transfers (orders.aisle)
                "orders.aisle_transfers": EventConsumer("orders.aisle.transfer_changed_handle",
                                                        types=("inventory.transfer_changed",))}

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_migrate

        from .cart import cart_merge_on_sign_in

        post_migrate.connect(ensure_schedules, sender=self)
        user_logged_in.connect(cart_merge_on_sign_in, dispatch_uid="orders.cart_merge_on_sign_in")
