"""REST API v1 (namespace "api", mounted at /api/v1/). OpenAPI at /api/schema/, docs at /api/docs/.

The paths and viewsets every app declares (``api_urls`` and ``api_routes`` on its AppConfig,
kernel.registry), the viewsets on one shared router."""

from rest_framework.routers import DefaultRouter

from kernel.registry import register_api_routes, url_includes

router = DefaultRouter()
router.include_root_view = False
register_api_routes(router)

urlpatterns = [
    *url_includes("api_urls"),
    *router.urls,
]
