"""The project's URLs plus this area's own modules, mounted as the lead will mount them
(campaigns.urls_webhooks in the storefront, campaigns.urls_suppression in the console,
campaigns.api_suppression on the API router), until campaigns' AppConfig declares them."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from campaigns.api_suppression import register_routes
from omnishop import urls as root
from omnishop import urls_api, urls_console, urls_storefront

router = DefaultRouter()
router.include_root_view = False
register_routes(router)

urlpatterns = [
    path("", include(([*urls_storefront.urlpatterns, path("", include("campaigns.urls_webhooks"))], "storefront"))),
    path("console/", include(([*urls_console.urlpatterns, path("", include("campaigns.urls_suppression"))],
                              "console"))),
    path("api/v1/", include(([*urls_api.urlpatterns, *router.urls], "api"))),
    *[pattern for pattern in root.urlpatterns if str(pattern.pattern) not in ("", "console/", "api/v1/")],
]
