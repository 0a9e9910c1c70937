from django.urls import include, path

from .views import tracking

urlpatterns = [
    path("r/<str:code>/", tracking.link_redirect, name="campaign_link"),
    path("", include("campaigns.urls_webhooks")),  # POST /webhooks/receipts/<provider>/
]
