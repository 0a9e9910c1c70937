from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BrandkitConfig(AppConfig):
    name = "brandkit"
    verbose_name = _("Brandkit")
