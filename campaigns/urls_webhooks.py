"""The providers' delivery receipts webhook (storefront area, no session): the lead mounts it
with ``path("", include("campaigns.urls_webhooks"))`` in campaigns.urls_storefront."""

from django.urls import path

from .views import webhooks

urlpatterns = [
    path("webhooks/receipts/<str:provider>/", webhooks.receipts_webhook, name="campaign_receipts_webhook"),
]
