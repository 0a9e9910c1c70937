"""Small template helpers of the storefront shell."""

from django import template

from kernel.browser import browser_id
from kernel.templatetags.money import yen
from orders.cart import cart_count as count_in_cart

register = template.Library()


@register.simple_tag(takes_context=True)
def cart_count(context) -> int:
    """Units in the visitor's cart for the header badge: one query for a signed-in customer or a
    browser with a cart cookie, none for anyone else; remembered for the rest of the request."""
    request = context.get("request")
    if request is None or not hasattr(request, "user"):
        return 0
    if not hasattr(request, "_cart_count"):
        customer = getattr(request.user, "customer", None) if request.user.is_authenticated else None
        request._cart_count = count_in_cart(customer=customer,
                                            browser_id=None if customer else browser_id(request))
    return request._cart_count


@register.simple_tag
def price_range(product) -> str:
    """Tax-inclusive price or price range of a product from its (prefetched) variants."""
    prices = [variant.price for variant in product.variants.all()]
    if not prices:
        return ""
    low, high = min(prices), max(prices)
    return yen(low) if low == high else f"{yen(low)}〜{yen(high)}"


@register.filter
def first_image(product):
    """The first photo of a product with prefetched images, or None."""
    images = product.images.all()
    return images[0] if images else None
