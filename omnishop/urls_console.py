"""The staff console, mounted at /console/ under the namespace "console": the dashboard (it
composes several domains, so it is the shell's) and the pages every app declares
(``console_urls`` on its AppConfig, kernel.registry)."""

from django.urls import path

from kernel.registry import url_includes

from . import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    *url_includes("console_urls"),
]
