"""Campaigns' API (namespace "api")."""

from django.urls import path

from . import api_attribution, api_offers, api_suppression
from .api import CampaignViewSet, MergeFieldsView, SendingPolicyView

urlpatterns = [
    path("campaigns/merge-fields/", MergeFieldsView.as_view(), name="campaign-merge-fields"),
    path("attribution/", api_attribution.AttributionView.as_view(), name="attribution"),
    path("campaigns/policy/", SendingPolicyView.as_view(), name="campaign-policy"),
]


def register_routes(router) -> None:
    router.register("campaigns", CampaignViewSet, basename="campaign")
    api_suppression.register_routes(router)
    api_offers.register_routes(router)
    api_attribution.register_routes(router)
