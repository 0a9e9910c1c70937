"""Customers' console pages (namespace "console")."""

from django.urls import path

from .views import consent, console

urlpatterns = [
    path("customers/", console.customers, name="customers"),
    path("customers/<int:pk>/", console.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", console.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/consent/", consent.customer_consent, name="customer_consent"),
    path("customers/<int:pk>/events/", console.customer_event_add, name="customer_event_add"),
]
