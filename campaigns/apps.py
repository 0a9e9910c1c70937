from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from kernel.registry import NavEntry, NavSection
from kernel.roles import ADMINISTRATOR, HQ_MARKETER, STORE_STAFF

CAMPAIGN_PERMISSIONS = [
    "campaigns.view_campaign", "campaigns.add_campaign", "campaigns.change_campaign",
    "campaigns.approve_campaign", "campaigns.send_campaign", "campaigns.view_sendingpolicy",
    "campaigns.change_sendingpolicy", "campaigns.view_suppression", "campaigns.add_suppression",
    "campaigns.delete_suppression",
    "campaigns.view_offer", "campaigns.add_offer", "campaigns.change_offer", "campaigns.export_codes",
    "campaigns.view_attribution", "campaigns.view_channelcost", "campaigns.add_channelcost",
    "campaigns.change_channelcost", "campaigns.delete_channelcost",
    "campaigns.view_journey", "campaigns.add_journey", "campaigns.change_journey", "campaigns.activate_journey",
    "campaigns.view_backinstocksubscription",
]
# Store staff see who waits for what at their own store (campaigns.views.backinstock).
STORE_STAFF_PERMISSIONS = ["campaigns.view_backinstocksubscription"]


def ensure_schedules(sender, **kwargs) -> None:
    """Recurring jobs are configuration: make sure they exist after every migrate."""
    from django_q.models import Schedule

    Schedule.objects.get_or_create(  # scheduled campaigns, quiet hours, retries, finishing
        name="campaigns.tick",
        defaults={"func": "campaigns.sending.campaigns_tick", "schedule_type": Schedule.MINUTES, "minutes": 1,
                  "repeats": -1})
    Schedule.objects.get_or_create(  # journeys: new events in, due steps run (campaigns.journey_engine)
        name="campaigns.journeys",
        defaults={"func": "campaigns.journey_engine.journeys_tick", "schedule_type": Schedule.MINUTES, "minutes": 1,
                  "repeats": -1})
    Schedule.objects.get_or_create(  # journeys started by time: birthdays, inactivity, segments
        name="campaigns.journeys_scan",
        defaults={"func": "campaigns.journey_engine.journeys_scan", "schedule_type": Schedule.HOURLY,
                  "repeats": -1})


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")
    console_urls = "campaigns.urls_console"
    storefront_urls = "campaigns.urls_storefront"
    api_urls = "campaigns.urls_api"
    api_routes = "campaigns.urls_api.register_routes"
    # the personalised block on the storefront's home and product pages (kernel.slots)
    storefront_slots = {"home": "campaigns.onsite.onsite_block", "product": "campaigns.onsite.onsite_block",
                        # back-in-stock: the product page's availability section, the account's navigation
                        "product_stock": "campaigns.views.backinstock.product_stock_block",
                        "account_nav": "campaigns.views.backinstock.account_nav_link"}
    # the journeys a customer is in, on their 360 page in the console (kernel.slots)
    console_slots = {"customer_360": "campaigns.views.journeys.customer_journeys_block"}
    # HQ's reports (campaigns.reports): here, because they read orders, consent and campaigns.
    console_sections = {"marketing": NavSection(_("Marketing"), order=35), "reports": NavSection(_("Reports"), order=38)}
    console_dashboard_tiles = "campaigns.dashboard.dashboard_tiles"
    console_nav = [
        NavEntry("console:campaigns", _("Campaigns"), "megaphone", "campaigns.view_campaign", "marketing", 10,
                 active_also=("console:campaign_create", "console:campaign_detail", "console:campaign_edit",
                              "console:campaign_message", "console:campaign_preview", "console:sending_policy")),
        NavEntry("console:journeys", _("Journeys"), "megaphone", "campaigns.view_journey", "marketing", 15,
                 active_also=("console:journey_create", "console:journey_detail", "console:journey_edit",
                              "console:journey_step_new", "console:journey_step_edit")),
        NavEntry("console:offers", _("Offers and codes"), "tag", "campaigns.view_offer", "marketing", 20,
                 active_also=("console:offer_create", "console:offer_detail", "console:offer_edit")),
        NavEntry("console:attribution", _("Attribution"), "stock", "campaigns.view_attribution", "marketing", 30,
                 active_also=("console:attribution_costs",)),
        NavEntry("console:suppressions", _("Suppression list"), "x", "campaigns.view_suppression", "marketing", 40),
        NavEntry("console:back_in_stock", _("Back-in-stock requests"), "bell", "campaigns.view_backinstocksubscription",
                 "marketing", 50),
        NavEntry("console:report_sales", _("Sales"), "stock", "orders.view_sales_dashboard", "reports", 10),
        NavEntry("console:report_fulfilment", _("Pickup and fulfilment times"), "pickup",
                 "orders.view_sales_dashboard", "reports", 20),
        NavEntry("console:report_performance", _("Campaign performance"), "megaphone", "campaigns.view_campaign",
                 "reports", 30),
        NavEntry("console:report_engagement", _("Engagement"), "mail", "campaigns.view_campaign", "reports", 40),
    ]
    role_permissions = {
        STORE_STAFF: STORE_STAFF_PERMISSIONS,
        HQ_MARKETER: CAMPAIGN_PERMISSIONS,
        ADMINISTRATOR: CAMPAIGN_PERMISSIONS,
    }

    audit_actions = "campaigns.services.AUDIT_ACTIONS"
    # offers apply to orders through the orders domain's one discount hook (orders.discounts)
    discount_providers = ["campaigns.offers.OfferDiscounts"]
    # The domain events its services publish (kernel.events).
    domain_events = "campaigns.domain_events.EVENT_TYPES"
    # How the customer timeline shows the campaign its opens and clicks were of (kernel.subjects).
    event_subjects = {"campaign": "campaigns.tracking.event_subject_labels"}

    @property
    def event_consumers(self) -> dict:
        """What it does when other domains' events happen (kernel.events): an order placed becomes
        the conversion of the customer's last campaign touch (campaigns.conversions). A property:
        kernel.events imports models, which cannot be imported while the app configs load."""
        from kernel.events import EventConsumer

        from .journey_engine import CONSUMED_TYPES

        return {"campaigns.conversions": EventConsumer("campaigns.conversions.order_placed_handle",
                                                       types=("orders.order_placed",)),
                # journeys (campaigns.journey_engine): triggers, goals, exits
                "campaigns.journeys": EventConsumer("campaigns.journey_engine.journeys_handle", types=CONSUMED_TYPES)}

    def ready(self) -> None:
        post_migrate.connect(ensure_schedules, sender=self, dispatch_uid="campaigns.ensure_schedules")
