from django.urls import path

from .views import tracking

urlpatterns = [
    path("r/<str:code>/", tracking.link_redirect, name="campaign_link"),
]
