from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kernel import subjects
from kernel.registry import NavEntry
from kernel.roles import ADMINISTRATOR, HQ_MARKETER, STORE_STAFF, WAREHOUSE_OPERATOR


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
    console_nav = [
        NavEntry("console:pickup_desk", _("Pickup desk"), "pickup", "orders.run_pickup_desk", "store", 10,
                 active_also=("console:pickup_ready", "console:pickup_hand_over"), badge="console:pickup_badge"),
        NavEntry("console:orders", _("Orders"), "orders", "orders.view_order", "store", 20,
                 active_also=("console:order_detail",)),
        NavEntry("console:shipments", _("Shipments"), "truck", "orders.ship_orders", "warehouse", 10,
                 active_also=("console:pick_list", "console:packing_slips")),
    ]
    role_permissions = {
        # orders.change_order: staff notes and tags on the orders they see
        STORE_STAFF: ["orders.view_order", "orders.run_pickup_desk", "orders.add_order", "orders.change_order"],
        WAREHOUSE_OPERATOR: ["orders.view_order", "orders.ship_orders", "orders.change_order"],
        HQ_MARKETER: ["orders.view_order", "orders.view_sales_dashboard"],
        ADMINISTRATOR: ["orders.view_order", "orders.add_order", "orders.run_pickup_desk",
                        "orders.view_sales_dashboard", "orders.ship_orders", "orders.change_order"],
    }
    # How the customer timeline shows the subjects orders give customer events (kernel.subjects).
    event_subjects = {subjects.ORDER: "orders.selectors.event_subject_labels"}
    # The domain events its services publish (kernel.events).
    domain_events = "orders.domain_events.EVENT_TYPES"
    # What the audit trail calls its services' writes (kernel.audit).
    audit_actions = {"orders_import": _("Orders imported"), "order_tags_set": _("Order tags changed"),
                     "orders_anonymise_for_customers": _("Orders anonymised after the customer's erasure")}

    @property
    def event_consumers(self) -> dict:
        """What it does when other domains' events happen (kernel.events): a customer's erasure
        blanks the personal free text of their orders (orders.privacy). A property: kernel.events
        imports models, which cannot be imported while the app configs are being loaded."""
        from kernel.events import EventConsumer

        return {"orders.customer_erased": EventConsumer("orders.privacy.customer_erased_handle",
                                                        types=("customers.customer_erased",))}

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_migrate

        from .cart import cart_merge_on_sign_in

        post_migrate.connect(ensure_schedules, sender=self)
        user_logged_in.connect(cart_merge_on_sign_in, dispatch_uid="orders.cart_merge_on_sign_in")
