"""Small template helpers of the storefront shell (no queries: the cart lives in the session)."""

from django import template

from kernel.templatetags.money import yen
from orders.cart import Cart

register = template.Library()


@register.simple_tag(takes_context=True)
def cart_count(context) -> int:
    request = context.get("request")
    if request is None or not hasattr(request, "session"):
        return 0
    return Cart(request.session).count


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
