"""Filters of the engagement card (customers.engagement): a rate in words."""

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def rate_percent(value) -> str:
    """A rate (0.4167) as a percentage with one decimal (41.7%); "—" when there is nothing to divide by."""
    if value is None or value == "":
        return "—"
    return f"{number_format(float(value) * 100, 1)}%"
