"""Customers' storefront pages (namespace "storefront"): sign-up, sign-in, consent and self-service."""

from django.urls import path

from .views import account, consent, storefront
from .views import tracking as tracking_views

urlpatterns = [
    path("account/signup/", storefront.signup, name="signup"),
    path("account/login/", storefront.LoginView.as_view(), name="login"),
    path("account/logout/", storefront.LogoutView.as_view(), name="logout"),
    path("account/consent/", consent.preferences, name="consent"),
    path("consent/confirm/<str:token>/", consent.confirm, name="consent_confirm"),
    path("consent/unsubscribe/<str:token>/", consent.unsubscribe, name="consent_unsubscribe"),
    path("privacy/analytics/", tracking_views.analytics_consent, name="analytics_consent"),
    # self-service (issue 8): customers/views/account.py
    path("account/profile/", account.profile_edit, name="account_profile"),
    path("account/addresses/", account.addresses, name="account_addresses"),
    path("account/addresses/<int:pk>/", account.address_edit, name="account_address_edit"),
    path("account/addresses/<int:pk>/delete/", account.address_delete, name="account_address_delete"),
    path("account/addresses/<int:pk>/default/", account.address_default, name="account_address_default"),
    path("account/preferences/", account.preferences, name="account_preferences"),
    path("account/privacy/", account.privacy_page, name="account_privacy"),
    path("account/privacy/my-data/", account.data_download, name="account_data_download"),
    path("account/close/", account.account_close, name="account_close"),
    path("account/closed/", account.account_closed, name="account_closed"),
    path("account/password/", account.PasswordChangeView.as_view(), name="account_password"),
    path("account/password-reset/", account.PasswordResetView.as_view(), name="password_reset"),
    path("account/password-reset/sent/", account.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("account/password-reset/<uidb64>/<token>/", account.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("account/password-reset/done/", account.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
]
