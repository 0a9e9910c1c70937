"""Orders' API (namespace "api"): the signed-in user, and the order viewset."""

from django.urls import path

from .api import MeView, OrderViewSet

urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
]


def register_routes(router) -> None:
    router.register("orders", OrderViewSet, basename="order")
