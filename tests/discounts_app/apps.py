"""A test-only app that declares a discount provider on its AppConfig, the way campaigns does:
orders finds it through ``kernel.registry`` without importing it (tests/orders/test_discounts.py
installs it with a settings override)."""

from django.apps import AppConfig


class DiscountsAppConfig(AppConfig):
    name = "tests.discounts_app"
    label = "discounts_app"
    discount_providers = ["tests.discounts_app.providers.TestDiscounts"]
