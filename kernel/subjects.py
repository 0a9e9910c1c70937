"""What a customer event is about, as people read it.

A customer event names its subject with a key, ``<prefix>:<reference>``: ``order:W00004348``,
``order:W00004348:ready`` (the "ready for pickup" email of that order), ``sku:HONEY-0168-1``,
``product:HONEY-0168``. Keys are for machines; the timeline shows "注文 W00004348" or
"商品 HONEY-0168-1 はちみつ 大" with a link. The event stream lives low (customers) and what the
keys point at lives higher up (orders, inventory), so the stream cannot resolve them by
importing those apps. Each app that makes subjects declares instead, on its AppConfig (like
its URLs and navigation, kernel.registry), a resolver per prefix::

    class OrdersConfig(AppConfig):
        event_subjects = {"order": "orders.selectors.event_subject_labels"}

A resolver takes the references of its prefix (a set of strings) and returns a
``SubjectLabel`` per reference it knows, in a fixed number of queries however many there are.
``subject_labels`` calls each resolver at most once for a whole page of events.
"""

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, replace

from django.utils.module_loading import import_string

from .registry import declarations


@dataclass(frozen=True)
class SubjectLabel:
    text: str  # "注文 W00004348", "商品 HONEY-0168-1"
    detail: str = ""  # what the key does not say: the product's name, which email
    url: str = ""  # the subject's console page
    permission: str = ""  # what a user needs to follow ``url``


Resolver = Callable[[Collection[str]], dict[str, SubjectLabel]]

# The keys' prefixes and how each key is built: here once, below every app that writes or reads
# them (customers and inventory import neither each other). Stored keys: never change these.
ORDER = "order"
SKU = "sku"
PRODUCT = "product"
CART = "cart"
CAMPAIGN = "campaign"


def order_subject(number: str, *about: str) -> str:
    """``order:<number>``, or ``order:<number>:<about>`` (e.g. an email about the order)."""
    return ":".join((ORDER, number, *about))


def sku_subject(sku: str) -> str:
    """``sku:<SKU>``: a variant (what went into a cart, stock that became available)."""
    return f"{SKU}:{sku}"


def product_subject(code: str) -> str:
    """``product:<code>``: a product (a product page viewed)."""
    return f"{PRODUCT}:{code}"


def cart_subject(cart_id: int) -> str:
    """``cart:<id>``: a storefront cart (the domain events of its changes)."""
    return f"{CART}:{cart_id}"


def campaign_subject(campaign_id: int) -> str:
    """``campaign:<id>``: a marketing campaign (its messages sent, opened, clicked; the ledger's
    message key; the unsubscribe link's reference)."""
    return f"{CAMPAIGN}:{campaign_id}"


def split(subject: str) -> tuple[str, str]:
    """``"order:W00004348:ready"`` -> ``("order", "W00004348:ready")``; no prefix -> ``("", subject)``."""
    prefix, sep, reference = subject.partition(":")
    return (prefix, reference) if sep else ("", subject)


def resolvers() -> dict[str, Resolver]:
    """The resolver of each prefix, as the installed apps declare them (``event_subjects``; read
    each time, so a test that changes INSTALLED_APPS sees its apps)."""
    found: dict[str, Resolver] = {}
    for label, declared in declarations("event_subjects"):
        for prefix, path in declared.items():
            if prefix in found:
                raise ValueError(f"Event subjects {prefix!r} are resolved twice (again by {label}).")
            found[prefix] = import_string(path)
    return found


def subject_labels(subjects: Iterable[str], *, user=None) -> dict[str, SubjectLabel]:
    """A label for each non-empty subject key, resolved in bulk (one call per prefix). A key
    no app resolves shows its reference without the prefix. With ``user``, links the user may
    not follow are left out."""
    by_prefix: dict[str, set[str]] = defaultdict(set)
    for subject in subjects:
        if subject:
            prefix, reference = split(subject)
            by_prefix[prefix].add(reference)
    known = resolvers()
    labels: dict[str, SubjectLabel] = {}
    for prefix, references in by_prefix.items():
        resolved = known[prefix](references) if prefix in known else {}
        for reference in references:
            label = resolved.get(reference) or SubjectLabel(text=reference)
            if label.url and user is not None and label.permission and not user.has_perm(label.permission):
                label = replace(label, url="")
            labels[f"{prefix}:{reference}" if prefix else reference] = label
    return labels
