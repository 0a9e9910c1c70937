"""Campaigns' API (namespace "api")."""

from django.urls import path

from . import api_attribution, api_backinstock, api_journeys, api_offers, api_reports, api_suppression
from .api import CampaignViewSet, MergeFieldsView, SendingPolicyView

urlpatterns = [
    path("campaigns/merge-fields/", MergeFieldsView.as_view(), name="campaign-merge-fields"),
    path("attribution/", api_attribution.AttributionView.as_view(), name="attribution"),
    path("journey-events/", api_journeys.CustomEventView.as_view(), name="journey-events"),
    path("attribution/runs/", api_attribution.AttributionRunsView.as_view(), name="attribution-runs"),
    path("attribution/runs/<int:pk>/", api_attribution.AttributionRunView.as_view(), name="attribution-run"),
    path("campaigns/policy/", SendingPolicyView.as_view(), name="campaign-policy"),
    path("reports/sales/", api_reports.SalesReportView.as_view(), name="report-sales"),
    path("reports/fulfilment/", api_reports.FulfilmentReportView.as_view(), name="report-fulfilment"),
    path("reports/performance/", api_reports.PerformanceReportView.as_view(), name="report-performance"),
    path("reports/engagement/", api_reports.EngagementReportView.as_view(), name="report-engagement"),
]


def register_routes(router) -> None:
    router.register("campaigns", CampaignViewSet, basename="campaign")
    api_suppression.register_routes(router)
    api_offers.register_routes(router)
    api_attribution.register_routes(router)
    api_backinstock.register_routes(router)
    api_journeys.register_routes(router)
