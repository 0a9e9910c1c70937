"""Customers' API (namespace "api"): the signed-in customer's consent, and the viewsets."""

from django.urls import path

from .api import CustomerEventViewSet, CustomerViewSet, MyConsentView
from .api_merge import CustomerMergeView, DuplicateDismissView, DuplicateListView, DuplicateScanView

urlpatterns = [
    path("me/consent/", MyConsentView.as_view(), name="me-consent"),
    # duplicate review and merge (before the customers router: "duplicates" is not a customer id)
    path("customers/duplicates/", DuplicateListView.as_view(), name="customer-duplicates"),
    path("customers/duplicates/scan/", DuplicateScanView.as_view(), name="customer-duplicates-scan"),
    path("customers/duplicates/<int:pk>/dismiss/", DuplicateDismissView.as_view(), name="customer-duplicate-dismiss"),
    path("customers/<int:pk>/merge/", CustomerMergeView.as_view(), name="customer-merge"),
]


def register_routes(router) -> None:
    router.register("customers", CustomerViewSet, basename="customer")
    router.register(r"customers/(?P<customer_id>[0-9]+)/events", CustomerEventViewSet, basename="customer-event")
