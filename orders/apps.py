from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def ensure_schedules(sender, **kwargs) -> None:
    """Recurring jobs are configuration: make sure they exist after every migrate."""
    from django_q.models import Schedule

    Schedule.objects.get_or_create(
        name="orders.pickups_expire",
        defaults={"func": "orders.tasks.pickups_expire", "schedule_type": Schedule.HOURLY, "repeats": -1},
    )


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(ensure_schedules, sender=self)
