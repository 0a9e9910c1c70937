from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from .registry import NavSection
from .roles import ADMINISTRATOR, HQ_MARKETER, STAFF_ROLES, STORE_STAFF, WAREHOUSE_OPERATOR


def ensure_schedules(sender, **kwargs) -> None:
    """Recurring jobs are configuration: make sure they exist after every migrate."""
    from django_q.models import Schedule

    # update_or_create: a database made before the kernel moved out of omnishop/ holds the old path.
    Schedule.objects.update_or_create(
        name="omnishop.idempotency_records_expire",
        defaults={"func": "kernel.tasks.idempotency_records_expire", "schedule_type": Schedule.DAILY,
                  "repeats": -1},
    )
    Schedule.objects.update_or_create(
        name="omnishop.events_dispatch",
        defaults={"func": "kernel.tasks.events_dispatch", "schedule_type": Schedule.MINUTES, "minutes": 1,
                  "repeats": -1},
    )


class KernelConfig(AppConfig):
    """What every app stands on: users and roles, locations and channels, Japanese text rules,
    the API and console bases. It imports no domain app.

    The label stays "omnishop" (the project package's label before the kernel moved out of it),
    so the tables (omnishop_user, ...), the migration history, permission codenames
    ("omnishop.view_user") and AUTH_USER_MODEL = "omnishop.User" did not change."""

    name = "kernel"
    label = "omnishop"
    verbose_name = _("Omnishop")

    # What the kernel contributes (kernel.registry): the console's sign-in pages, token sign-in,
    # the standing staff roles and console sections, and its own permissions per role.
    console_urls = "kernel.urls_console"
    api_urls = "kernel.urls_api"
    staff_roles = STAFF_ROLES
    console_sections = {
        "": NavSection("", order=0),
        "store": NavSection(_("Store"), order=10),
        "warehouse": NavSection(_("Warehouse"), order=20),
        "catalogue": NavSection(_("Catalogue & stock"), order=30),
        "brand": NavSection(_("Brand"), order=40),
    }
    # What the audit trail calls the kernel's own writes (kernel.audit).
    audit_actions = {"delivery_release": _("Message released to be sent again")}
    role_permissions = {
        STORE_STAFF: ["omnishop.view_location"],
        WAREHOUSE_OPERATOR: ["omnishop.view_location"],
        HQ_MARKETER: ["omnishop.view_location"],
        ADMINISTRATOR: ["omnishop.view_location", "omnishop.change_location", "omnishop.view_user",
                        "omnishop.add_user", "omnishop.change_user", "omnishop.view_channel",
                        "omnishop.change_channel"],
    }

    def ready(self) -> None:
        from django.core import checks as django_checks
        from django.db.models.signals import post_migrate

        from . import channels, checks, registry, roles

        django_checks.register(registry.check_declarations)
        django_checks.register(checks.check_invoice_registration_number)
        django_checks.register(checks.check_invoice_seller_name)
        django_checks.register(checks.check_site_url)

        # Roles are configuration, not business logic: keep the groups' permissions in step
        # with the code after every migrate. No sender filter: post_migrate runs app by app in
        # INSTALLED_APPS order, and the permissions of apps after "omnishop" (inventory,
        # orders, ...) only exist once their own post_migrate has run.
        post_migrate.connect(roles.sync_roles_after_migrate, dispatch_uid="omnishop.sync_roles")
        post_migrate.connect(channels.channels_ensure_after_migrate, sender=self,
                             dispatch_uid="omnishop.channels_ensure")
        post_migrate.connect(ensure_schedules, sender=self, dispatch_uid="omnishop.ensure_schedules")
