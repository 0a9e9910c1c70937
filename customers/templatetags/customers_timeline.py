"""Filters the console timeline uses to put an event's stored codes in words."""

from urllib.parse import unquote

from django import template
from django.utils.translation import gettext as _

from customers.models import ConsentChannel, ConsentPurpose

register = template.Library()


@register.filter
def readable_path(path: str) -> str:
    """A page path as the visitor read it: /products/?q=%E5%9C%9F%E9%8D%8B -> /products/?q=土鍋."""
    return unquote(str(path or ""), errors="replace")


@register.filter
def consent_change(data) -> str:
    """A consent_changed event's data in words: "Email · Marketing: opted in"."""
    if not isinstance(data, dict) or "granted" not in data:
        return ""
    channel = data.get("channel") or ""
    purpose = data.get("purpose") or ConsentPurpose.MARKETING
    channel_label = ConsentChannel(channel).label if channel in ConsentChannel.values else channel
    purpose_label = ConsentPurpose(purpose).label if purpose in ConsentPurpose.values else purpose
    state = _("opted in") if data.get("granted") else _("opted out")
    what = " · ".join(str(part) for part in (channel_label, purpose_label) if part)
    return _("%(what)s: %(state)s") % {"what": what, "state": state} if what else str(state)
