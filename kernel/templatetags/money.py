"""Money in templates: integer yen shown tax-inclusive, ``{{ 1234|yen }}`` -> ``¥1,234``."""

from django import template

register = template.Library()


@register.filter
def yen(value) -> str:
    """Format an integer yen amount with the yen sign and thousands separators."""
    if value is None or value == "":
        return ""
    try:
        amount = int(value)
    except (TypeError, ValueError):
        return ""
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,}"
