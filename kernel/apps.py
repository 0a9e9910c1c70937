from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def ensure_schedules(sender, **kwargs) -> None:
    """Recurring jobs are configuration: make sure they exist after every migrate."""
    from django_q.models import Schedule

    # update_or_create: a database made before the kernel moved out of omnishop/ holds the old path.
    Schedule.objects.update_or_create(
        name="omnishop.idempotency_records_expire",
        defaults={"func": "kernel.tasks.idempotency_records_expire", "schedule_type": Schedule.DAILY,
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

    def ready(self) -> None:
        from django.core import checks as django_checks
        from django.db.models.signals import post_migrate

        from . import channels, checks, roles

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
