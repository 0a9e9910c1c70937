from django.urls import path

from .views import tracking

urlpatterns = [
    path("r/<str:code>/", tracking.link_redirect, name="campaign_link"),
    # opens and clicks of a recipient's message (campaigns.tracking)
    path("t/o/<str:token>.gif", tracking.open_pixel, name="campaign_open"),
    path("t/c/<str:token>/", tracking.click_redirect, name="campaign_click"),
]
