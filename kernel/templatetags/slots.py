"""``{% slot "home" %}``: the place on a storefront page a higher app fills (kernel.slots)."""

from django import template

from kernel.slots import slot_render

register = template.Library()


@register.simple_tag(takes_context=True)
def slot(context, name: str, **values) -> str:
    request = context.get("request")
    if request is None:
        return ""
    return slot_render(name, request, **values)
