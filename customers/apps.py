from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

from kernel.registry import NavEntry
from kernel.roles import ADMINISTRATOR, HQ_MARKETER, STORE_STAFF

# Segments, personas and scores: marketers and administrators; store staff see none of it.
SEGMENT_PERMISSIONS = [
    "customers.view_segment", "customers.add_segment", "customers.change_segment", "customers.delete_segment",
    "customers.export_segment", "customers.recompute_scores", "customers.view_persona", "customers.add_persona",
    "customers.change_persona", "customers.delete_persona", "customers.view_customerscore",
]


def ensure_schedules(sender, **kwargs) -> None:
    """Recurring jobs are configuration: make sure they exist after every migrate."""
    from django_q.models import Schedule

    Schedule.objects.get_or_create(
        name="customers.anonymous_events_expire",
        defaults={"func": "customers.tracking.anonymous_events_expire", "schedule_type": Schedule.DAILY,
                  "repeats": -1},
    )
    Schedule.objects.get_or_create(
        name="customers.exports_expire",
        defaults={"func": "customers.customer_list.customer_exports_expire", "schedule_type": Schedule.HOURLY,
                  "repeats": -1},
    )
    Schedule.objects.get_or_create(  # RFM scores and historic CLV (customers.scores)
        name="customers.scores_recompute",
        defaults={"func": "customers.scores.scores_recompute_task", "schedule_type": Schedule.DAILY, "repeats": -1})
    Schedule.objects.get_or_create(  # every segment's size (customers.segments)
        name="customers.segments_snapshot",
        defaults={"func": "customers.segments.segments_snapshot_all", "schedule_type": Schedule.DAILY,
                  "repeats": -1})
    Schedule.objects.get_or_create(
        name="customers.duplicates_scan",
        defaults={"func": "customers.merge.duplicates_scan_task", "schedule_type": Schedule.DAILY, "repeats": -1},
    )


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
        NavEntry("console:duplicates", _("Duplicates"), "user", "customers.merge_customer", "store", 31,
                 active_also=("console:customer_merge_with",)),
        NavEntry("console:segments", _("Segments"), "tag", "customers.view_segment", "store", 35,
                 active_also=("console:segment_create", "console:segment_detail", "console:segment_edit",
                              "console:personas", "console:persona_create", "console:persona_edit")),
    ]
    role_permissions = {
        STORE_STAFF: ["customers.view_customer"],
        HQ_MARKETER: ["customers.view_customer", "customers.change_customer", "customers.export_customers",
                      "customers.merge_customer", *SEGMENT_PERMISSIONS],
        ADMINISTRATOR: ["customers.view_customer", "customers.change_customer", "customers.export_customers",
                        "customers.handle_privacy_requests", "customers.ingest_events", "customers.merge_customer",
                        *SEGMENT_PERMISSIONS],
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
        # identities and first-party events (customers.identities, customers.tracking)
        "identity_add": _("Customer identity added"),
        "identity_remove": _("Customer identity removed"),
        "browser_attach": _("Browser's anonymous events attached to the customer"),
        "events_ingest": _("Events received through the API"),
        # segments, personas and scores (customers.segments, customers.scores)
        "segment_create": _("Segment created"),
        "segment_update": _("Segment edited"),
        "segment_delete": _("Segment deleted"),
        "segment_members_upload": _("Static list uploaded"),
        "segment_snapshot_take": _("Segment snapshot taken"),
        "segment_export_start": _("Segment members exported"),
        "persona_create": _("Persona created"),
        "persona_update": _("Persona edited"),
        "persona_delete": _("Persona deleted"),
        "scores_recompute": _("RFM scores recomputed"),
        # profile, address book and privacy (issue 8)
        "address_add": _("Address added"),
        "address_update": _("Address corrected"),
        "address_set_default": _("Default address changed"),
        "address_delete": _("Address removed"),
        "customer_addresses_replace": _("Address book replaced"),
        "customer_data_export": _("Customer's personal data exported"),
        "customer_erase": _("Customer's personal data erased"),
        "customer_list_export": _("Customer list exported as CSV"),
        "customer_merge": _("Customers merged"),
        "duplicate_dismiss": _("Possible duplicate dismissed"),
        "duplicates_scan": _("Duplicate search started"),
    }

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .tracking import browser_attach_on_sign_in

        post_migrate.connect(ensure_schedules, sender=self, dispatch_uid="customers.ensure_schedules")
        user_logged_in.connect(browser_attach_on_sign_in, dispatch_uid="customers.browser_attach_on_sign_in")
