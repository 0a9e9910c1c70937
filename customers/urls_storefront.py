"""Customers' storefront pages (namespace "storefront"): sign-up, sign-in and consent."""

from django.urls import path

from .views import consent, storefront
from .views import tracking as tracking_views

urlpatterns = [
    path("account/signup/", storefront.signup, name="signup"),
    path("account/login/", storefront.LoginView.as_view(), name="login"),
    path("account/logout/", storefront.LogoutView.as_view(), name="logout"),
    path("account/consent/", consent.preferences, name="consent"),
    path("consent/confirm/<str:token>/", consent.confirm, name="consent_confirm"),
    path("consent/unsubscribe/<str:token>/", consent.unsubscribe, name="consent_unsubscribe"),
    path("privacy/analytics/", tracking_views.analytics_consent, name="analytics_consent"),
]
