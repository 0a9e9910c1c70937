from django.urls import path
from rest_framework.routers import DefaultRouter

from .api import BrandViewSet, KitViewSet, LintView, VersionViewSet

app_name = "brandkit"

router = DefaultRouter()
router.include_root_view = False
router.register("brands", BrandViewSet, basename="brandkit-brand")
router.register("kits", KitViewSet, basename="brandkit-kit")
router.register("versions", VersionViewSet, basename="brandkit-version")

urlpatterns = [
    path("lint/", LintView.as_view(), name="brandkit-lint"),
    *router.urls,
]
