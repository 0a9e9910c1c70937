"""The kernel's console pages (namespace "console"): sign in and sign out."""

from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.ConsoleLoginView.as_view(), name="login"),
    path("logout/", views.ConsoleLogoutView.as_view(), name="logout"),
]
