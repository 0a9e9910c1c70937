"""The project's URLs with the offers' console pages and API mounted, as CampaignsConfig will
mount them (``console_urls`` including campaigns.urls_offers, ``api_routes`` calling
campaigns.api_offers.register_routes): the tests run before the lead wires them."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from campaigns import api_offers, urls_offers
from omnishop import urls, urls_api, urls_console

router = DefaultRouter()
router.include_root_view = False
api_offers.register_routes(router)

urlpatterns = [
    path("console/", include(([*urls_offers.urlpatterns, *urls_console.urlpatterns], "console"))),
    path("api/v1/", include(([*router.urls, *urls_api.urlpatterns], "api"))),
    *[p for p in urls.urlpatterns if str(p.pattern) not in ("console/", "api/v1/")],
]
