"""Storefront pages of the catalogue: home and the product grid with search.

The product page lives in orders.views.storefront because it combines the catalogue
with the cart and the customer event stream (orders may depend on inventory and
customers, never the reverse)."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from inventory.models import Product
from inventory.selectors import catalogue
from kernel.models import Location

PAGE_SIZE = 24
FEATURED = 8


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "inventory/storefront/home.html", {
        "featured": catalogue()[:FEATURED],
        "stores": Location.objects.pickup_points().order_by("prefecture", "code"),
    })


def catalogue_page(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    category = request.GET.get("category", "").strip()[:100]
    page = Paginator(catalogue(query=query, category=category), PAGE_SIZE).get_page(request.GET.get("page"))
    template = "inventory/storefront/catalogue.html"
    context = {"page": page, "products": page.object_list, "query": query, "category": category}
    if request.htmx:
        return render(request, template + "#results", context)
    context["categories"] = (Product.objects.published().exclude(category="")
                             .values_list("category", flat=True).distinct().order_by("category"))
    return render(request, template, context)
