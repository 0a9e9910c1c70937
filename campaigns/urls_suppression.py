"""The suppression list's console pages (namespace "console"): the lead mounts them with
``path("", include("campaigns.urls_suppression"))`` in campaigns.urls_console."""

from django.urls import path

from .views import suppression

urlpatterns = [
    path("suppressions/", suppression.suppression_list, name="suppressions"),
    path("suppressions/add/", suppression.suppression_add, name="suppression_add"),
    path("suppressions/<int:pk>/remove/", suppression.suppression_remove, name="suppression_remove"),
]
