from django.apps import AppConfig

from kernel.registry import NavEntry, NavSection
from kernel.roles import STORE_STAFF


class SampleAppConfig(AppConfig):
    name = "tests.sample_app"
    label = "sample_app"
    default_auto_field = "django.db.models.BigAutoField"

    console_urls = "tests.sample_app.urls_console"
    api_routes = "tests.sample_app.api.register_routes"
    console_sections = {"notes": NavSection("Notes", order=35)}
    console_nav = [NavEntry("console:sample_board", "Notice board", "ledger", "sample_app.view_notice", "notes")]
    role_permissions = {STORE_STAFF: ["sample_app.view_notice"]}
