"""Small filters of the campaign pages: a rate as a percentage, a label looked up by key."""

from django import template
from django.utils.formats import number_format

from ..models import MessageChannel

register = template.Library()


@register.filter
def percent(value) -> str:
    """A rate (0.1234) as a percentage with one decimal (12.3%); "" for None."""
    if value is None or value == "":
        return ""
    return f"{number_format(float(value) * 100, 1)}%"


@register.filter
def channel_label(value: str) -> str:
    try:
        return str(MessageChannel(value).label)
    except ValueError:
        return value


@register.filter
def list_of(first, second) -> list:
    """``{% for field in form.a|list_of:form.b %}``: two bound fields to loop over."""
    return [first, second]
