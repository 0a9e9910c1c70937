from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OmnishopConfig(AppConfig):
    name = "omnishop"
    verbose_name = _("Omnishop")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import roles

        # Roles are configuration, not business logic: keep the groups' permissions in step
        # with the code after every migrate.
        post_migrate.connect(roles.sync_roles_after_migrate, sender=self)
