"""The customer-facing storefront, mounted at / (namespace "storefront"): the pages every app
declares (``storefront_urls`` on its AppConfig, kernel.registry)."""

from kernel.registry import url_includes

urlpatterns = url_includes("storefront_urls")
