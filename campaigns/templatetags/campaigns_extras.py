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


@register.filter
def change_percent(value) -> str:
    """A change (0.125, -0.04) with its sign (+12.5%, −4.0%); "—" when there is no base to compare."""
    if value is None or value == "":
        return "—"
    number = float(value) * 100
    sign = "+" if number > 0 else ("−" if number < 0 else "±")
    return f"{sign}{number_format(abs(number), 1)}%"


@register.filter
def change_class(value) -> str:
    """The CSS class of a change: up, down or flat."""
    if value is None or value == "":
        return "flat"
    return "up" if value > 0 else ("down" if value < 0 else "flat")
