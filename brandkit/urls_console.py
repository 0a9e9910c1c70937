from django.urls import path

from .views import console

app_name = "brandkit"
urlpatterns = [
    path("", console.index, name="index"),
    path("draft/", console.draft_edit, name="draft"),
    path("draft/logo/", console.draft_logo, name="draft_logo"),
    path("draft/publish/", console.draft_publish, name="publish"),
    path("history/", console.history, name="history"),
    path("check/", console.check, name="check"),
    path("assets/", console.card, name="assets"),
    path("share/rotate/", console.share_rotate, name="share_rotate"),
    path("brands/new/", console.brand_create, name="brand_create"),
    path("brands/switch/", console.kit_switch, name="kit_switch"),
    path("brands/<int:brand_id>/default/", console.brand_default, name="brand_default"),
]
