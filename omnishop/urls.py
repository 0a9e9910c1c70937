from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from kernel import media

urlpatterns = [
    path("", include(("omnishop.urls_storefront", "storefront"))),
    path("console/", include(("omnishop.urls_console", "console"))),
    path("api/v1/", include(("omnishop.urls_api", "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("brand-guide/", include(("brandkit.urls_public", "brandguide"))),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
]

if settings.MODE != "production" or getattr(settings, "SERVE_MEDIA", False):
    # Uploaded photos and logos in the embedded setup, with headers that keep them from running
    # (kernel.media); behind a proxy, serve MEDIA_ROOT there with the same headers (README).
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", media.serve, name="media"),
    ]
