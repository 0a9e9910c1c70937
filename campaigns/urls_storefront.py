from django.urls import include, path

from .views import tracking

urlpatterns = [
    path("r/<str:code>/", tracking.link_redirect, name="campaign_link"),
    path("", include("campaigns.urls_webhooks")),  # POST /webhooks/receipts/<provider>/
    # opens and clicks of a recipient's message (campaigns.tracking)
    path("t/o/<str:token>.gif", tracking.open_pixel, name="campaign_open"),
    path("t/c/<str:token>/", tracking.click_redirect, name="campaign_click"),
]
