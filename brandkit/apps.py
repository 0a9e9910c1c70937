from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from kernel.registry import NavEntry
from kernel.roles import ADMINISTRATOR, HQ_MARKETER, STORE_STAFF, WAREHOUSE_OPERATOR


class BrandkitConfig(AppConfig):
    name = "brandkit"
    verbose_name = _("Brandkit")
    # URLs, console navigation and role permissions (kernel.registry). Its console pages and API
    # have their own namespace inside the shared ones (console:brandkit:index, api:brandkit:...).
    console_urls = ("brand/", "brandkit.urls_console")
    api_urls = ("brandkit/", "brandkit.urls_api")
    console_nav = [NavEntry("console:brandkit:index", _("Brand kit"), "brand", "brandkit.view_brandkit", "brand", 10)]
    audit_actions = "brandkit.models.KitAction"  # the history page's labels, shown by the admin too
    role_permissions = {
        STORE_STAFF: ["brandkit.view_brandkit"],
        WAREHOUSE_OPERATOR: ["brandkit.view_brandkit"],
        HQ_MARKETER: ["brandkit.view_brandkit", "brandkit.change_brandkit"],
        ADMINISTRATOR: ["brandkit.view_brandkit", "brandkit.change_brandkit"],
    }
