"""Named places on the storefront's pages that a higher app fills without the page's app
importing it: the home page's and the product page's personalised block (campaigns' on-site
banners), the product page's availability section (``product_stock``, given the product, the
size shown and its store stock: campaigns' "Notify me when it's back") and the account's
navigation (``account_nav``, given the page it is on: campaigns' back-in-stock list). A page marks the place with ``{% slot "home" %}`` (``{% load slots %}``); an app
declares what fills it on its AppConfig::

    storefront_slots = {"home": "campaigns.onsite.onsite_block", "product": "campaigns.onsite.onsite_block"}

The console's pages have places too, declared the same way as ``console_slots`` (the customer's
360 page: ``customer_360``, filled with the journeys they are in by campaigns). A filler checks
the user's permission itself (it gets the request).

A filler is ``filler(request, *, slot, **context) -> str`` (HTML, already escaped; "" for
nothing). A filler that fails is logged and leaves its place empty: a banner never takes the
page down with it."""

import logging
from functools import cache

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string
from django.utils.safestring import mark_safe

from .registry import declarations

logger = logging.getLogger(__name__)


@cache
def slot_fillers(slot: str) -> tuple:
    fillers = []
    for attribute in ("storefront_slots", "console_slots"):
        for _label, declared in declarations(attribute):
            dotted = declared.get(slot)
            for path in [dotted] if isinstance(dotted, str) else (dotted or []):
                fillers.append(import_string(path))
    return tuple(fillers)


@receiver(setting_changed)
def _installed_apps_changed(*, setting, **kwargs) -> None:
    if setting == "INSTALLED_APPS":
        slot_fillers.cache_clear()


def slot_render(slot: str, request, **context) -> str:
    parts = []
    for filler in slot_fillers(slot):
        try:
            parts.append(filler(request, slot=slot, **context) or "")
        except Exception:  # noqa: BLE001 (a failing banner leaves its place empty, logged)
            logger.exception("Storefront slot %s: %s failed", slot, getattr(filler, "__qualname__", filler))
    return mark_safe("".join(parts))  # noqa: S308 (each filler returns escaped HTML)
