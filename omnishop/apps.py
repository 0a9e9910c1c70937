from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kernel.registry import NavEntry


class ShellConfig(AppConfig):
    """The shell: settings, root URLs and the demo, composing every domain. Registered as an
    app (after the domains) so its management commands and template tags are found; it owns
    no models. The label "omnishop" belongs to the kernel (kernel.apps.KernelConfig)."""

    name = "omnishop"
    label = "shell"
    default_auto_field = "django.db.models.BigAutoField"
    # The dashboard composes several domains, so it is the shell's page (omnishop.urls_console).
    console_nav = [NavEntry("console:dashboard", _("Dashboard"), "dashboard", order=0)]
