from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OmnishopConfig(AppConfig):
    name = "omnishop"
    verbose_name = _("Omnishop")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import channels, roles

        # Roles are configuration, not business logic: keep the groups' permissions in step
        # with the code after every migrate. No sender filter: post_migrate runs app by app in
        # INSTALLED_APPS order, and the permissions of apps after "omnishop" (inventory,
        # orders, ...) only exist once their own post_migrate has run.
        post_migrate.connect(roles.sync_roles_after_migrate, dispatch_uid="omnishop.sync_roles")
        post_migrate.connect(channels.channels_ensure_after_migrate, sender=self,
                             dispatch_uid="omnishop.channels_ensure")
