"""What each recipient's message is made of: the merge fields (name with 様, favourite store, last
purchase, points, the postcard's address) and a recommendation block picked from the customer's
own history, for a whole sending batch at once.

The sender renders messages in batches of a few hundred customers; everything here reads a batch
in a fixed number of queries, however many customers it holds (never one per customer):

- ``merge_contexts``: one ``MergeContext`` per customer (4 queries; at most 7 more with recommendations).
- ``recommendations_for``: up to ``limit`` products per customer, from three sources in this
  order: products they viewed in the last ``VIEWED_DAYS`` days, products bought together with
  what they bought (other orders of the last ``TOGETHER_DAYS`` days), best sellers of the
  categories they bought from. Never what they already bought, an unpublished product, or one
  that can be bought neither online nor at their favourite store.
- ``featured_in_stock``: the re-check, at the moment of sending, that the products a campaign
  features can still be bought (one query).

``MERGE_FIELDS`` names every field a message template may use, with its label for the builder.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, Sum, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Address, Customer, CustomerEvent, EventKind, Identity, IdentityKind
from inventory.models import Product, ProductImage, StockLevel, StockPolicy, Variant
from kernel.models import Location
from kernel.site import absolute_url
from orders.models import OrderLine, OrderStatus

# What counts as bought: every order but a cancelled one (customers.scores.BOUGHT_STATUSES).
BOUGHT_STATUSES = [status for status in OrderStatus.values if status != OrderStatus.CANCELLED]

VIEWED_DAYS = 30  # a product viewed this recently and not bought is recommended first
TOGETHER_DAYS = 180  # orders whose lines say what is bought together
BEST_SELLER_DAYS = 180  # sales that make a category's best sellers
TOGETHER_PER_PRODUCT = 10  # the products most often bought with each product that are kept
BEST_SELLERS_PER_CATEGORY = 20  # a category's best sellers that are kept (before each one's exclusions)

# Merge fields a message template may use (campaigns.rendering); the lead's renderer adds its own
# (offer_code, unsubscribe_url, shop_url). The postcard's address block (postal code, address
# lines) is on MergeContext for the print layout, not a merge field.
MERGE_FIELDS: dict[str, str] = {
    "name": _("Full name"),
    "name_honorific": _("Full name with the honorific 様 (the name alone in English messages)"),
    "family_name": _("Family name"),
    "given_name": _("Given name"),
    "favourite_store": _("Favourite store"),
    "favourite_store_url": _("Favourite store's page"),
    "last_purchase": _("Product of their last purchase"),
    "last_purchase_date": _("Date of their last purchase"),
    "points": _("Loyalty points (empty until loyalty exists)"),
    "recommendations": _("Recommended products (from their own history)"),
}


class RecommendationReason:
    """Why a product is recommended (``Recommendation.reason``), in the order the sources fill the block."""

    VIEWED_NOT_BOUGHT = "viewed_not_bought"
    BOUGHT_TOGETHER = "bought_together"
    SAME_CATEGORY = "same_category"

    labels = {
        VIEWED_NOT_BOUGHT: _("You looked at this"),
        BOUGHT_TOGETHER: _("Often bought together with your purchases"),
        SAME_CATEGORY: _("Popular in a category you like"),
    }


@dataclass(frozen=True)
class Recommendation:
    product_id: int
    code: str
    name: str
    price: int  # yen, tax included: the lowest price of its variants
    image_url: str  # absolute URL of its first photo ('' when it has none)
    url: str  # absolute URL of its product page
    reason: str  # RecommendationReason
    in_stock_at_favourite: bool

    @property
    def reason_label(self) -> str:
        return str(RecommendationReason.labels[self.reason])


@dataclass(frozen=True)
class MergeContext:
    customer_id: int
    name: str  # family and given name in kanji: "山田 花子"
    name_honorific: str  # "山田 花子 様" (ja); the name alone otherwise, never Mr/Ms
    family_name: str
    given_name: str
    language: str  # the customer's (settings.LANGUAGE_CODE when they chose none)
    favourite_store: str  # the store's name, '' when none (or it closed)
    favourite_store_id: int | None  # for featured_in_stock(location_id=...) at sending time
    favourite_store_url: str  # the store's storefront page: '' (the storefront has no store pages yet)
    last_purchase: str  # the product of their most recent purchase, '' when none
    last_purchase_date: date | None
    points: int | None  # None: no loyalty programme yet
    email: str
    phone: str  # for SMS, as the profile has it
    line_user_id: str
    postal_code: str
    prefecture: str  # the prefecture's name (東京都)
    address_lines: tuple[str, ...]  # for a postcard: prefecture + city + street, then the building
    address_name: str  # whom the postcard is addressed to (the address book's recipient, or their name)
    time_zone: str
    recommendations: list[Recommendation] = field(default_factory=list)
    journey_values: dict = field(default_factory=dict)  # a journey's message: its order, product, store

    def as_context(self) -> dict:
        """The merge fields (``MERGE_FIELDS``) and their values, for the template renderer."""
        return {name: getattr(self, name) for name in MERGE_FIELDS}


def honorific(name: str, language: str) -> str:
    """How a message addresses the customer: 様 after the name in Japanese, the name alone otherwise."""
    if not name:
        return ""
    return f"{name} 様" if language.split("-")[0] == "ja" else name


def merge_contexts(*, customer_ids: Sequence[int], language: str | None = None, now=None,
                   recommendations: bool = False, limit: int = 4) -> dict[int, MergeContext]:
    """The merge context of each customer of ``customer_ids`` (erased customers and unknown ids
    are left out), in 4 queries, at most 7 more with ``recommendations``. ``language``: the language
    the message is written in (how the name is addressed); by default each customer's own."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    now = now or timezone.now()
    customers = list(Customer.objects.filter(pk__in=ids, erased_at__isnull=True)
                     .select_related("favourite_location").order_by("pk"))
    if not customers:
        return {}
    ids = [customer.pk for customer in customers]
    addresses = {address.customer_id: address for address in Address.objects.filter(
        customer_id__in=ids, is_default=True)}
    line_ids: dict[int, str] = {}
    for customer_id, value in (Identity.objects.filter(customer_id__in=ids, kind=IdentityKind.LINE)
                               .order_by("customer_id", "id").values_list("customer_id", "value")):
        line_ids[customer_id] = value  # the most recently learnt wins
    last = _last_purchases(ids)
    favourites = {customer.pk: _favourite(customer) for customer in customers}
    picks = (_recommend({pk: store.pk if store else None for pk, store in favourites.items()}, limit=limit, now=now)
             if recommendations else {})
    contexts = {}
    for customer in customers:
        own_language = customer.language or settings.LANGUAGE_CODE
        store = favourites[customer.pk]
        product, bought_at = last.get(customer.pk, ("", None))
        postal_code, prefecture, lines, addressee = _postal_address(customer, addresses.get(customer.pk))
        contexts[customer.pk] = MergeContext(
            customer_id=customer.pk, name=customer.full_name,
            name_honorific=honorific(customer.full_name, language or own_language),
            family_name=customer.family_name, given_name=customer.given_name, language=own_language,
            favourite_store=store.name if store else "", favourite_store_id=store.pk if store else None,
            favourite_store_url="",
            last_purchase=product, last_purchase_date=timezone.localdate(bought_at) if bought_at else None,
            points=None, email=customer.email or "", phone=customer.phone,
            line_user_id=line_ids.get(customer.pk, ""), postal_code=postal_code, prefecture=prefecture,
            address_lines=lines, address_name=addressee, time_zone=customer.time_zone or settings.TIME_ZONE,
            recommendations=picks.get(customer.pk, []),
        )
    return contexts


def _favourite(customer: Customer) -> Location | None:
    store = customer.favourite_location
    return store if store is not None and store.is_active else None


def _postal_address(customer: Customer, address: Address | None) -> tuple[str, str, tuple[str, ...], str]:
    """(postal code, prefecture name, address lines, addressee) from the address book's default
    address, else from the profile."""
    if address is not None:
        prefecture = address.get_prefecture_display()
        lines = (f"{prefecture}{address.city}{address.line1}", address.line2)
        return address.postal_code, prefecture, tuple(line for line in lines if line), address.name
    prefecture = customer.get_prefecture_display() if customer.prefecture else ""
    # the profile's address often starts with the city already (imported profiles)
    city = "" if customer.address.startswith(customer.city) else customer.city
    street = f"{prefecture}{city}{customer.address}" if customer.address else ""
    return customer.postal_code, prefecture, (street,) if street else (), customer.full_name


def _last_purchases(ids: list[int]) -> dict[int, tuple[str, datetime]]:
    """Per customer, the product of their most recent order that was not cancelled (its dearest
    line) and when it was placed. One query."""
    rows = (OrderLine.objects.filter(order__customer_id__in=ids, order__status__in=BOUGHT_STATUSES)
            .annotate(rank=Window(RowNumber(), partition_by=F("order__customer_id"),
                                  order_by=[F("order__created_at").desc(), F("order_id").desc(),
                                            F("line_total").desc(), F("id").asc()]))
            .filter(rank=1).values_list("order__customer_id", "product_name", "order__created_at"))
    return {customer_id: (name, placed_at) for customer_id, name, placed_at in rows}


# --- recommendations ------------------------------------------------------------------------

def recommendations_for(*, customer_ids: Sequence[int], limit: int = 4, now=None) -> dict[int, list[Recommendation]]:
    """Up to ``limit`` recommended products per customer (erased customers left out; a customer
    with nothing to recommend gets an empty list). At most 8 queries, however many customers."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    favourites = {pk: store if active else None for pk, store, active in Customer.objects.filter(
        pk__in=ids, erased_at__isnull=True).values_list("pk", "favourite_location_id", "favourite_location__is_active")}
    return _recommend(favourites, limit=limit, now=now or timezone.now())


def _recommend(favourites: dict[int, int | None], *, limit: int, now) -> dict[int, list[Recommendation]]:
    """``favourites``: customer id -> their favourite (active) store's id or None. At most 7 queries."""
    ids = list(favourites)
    if not ids or limit <= 0:
        return {pk: [] for pk in ids}
    # 1. what each customer bought (never recommended), and the categories they bought from
    bought: dict[int, set[int]] = defaultdict(set)
    categories: dict[int, set[str]] = defaultdict(set)
    for customer_id, product_id, category in (
            OrderLine.objects.filter(order__customer_id__in=ids, order__status__in=BOUGHT_STATUSES).order_by()
            .values_list("order__customer_id", "variant__product_id", "variant__product__category").distinct()):
        bought[customer_id].add(product_id)
        if category:
            categories[customer_id].add(category)
    # 2. what they viewed lately, most recent first (the event names the product by its code)
    viewed: dict[int, list[str]] = defaultdict(list)
    for customer_id, code, _last in (
            CustomerEvent.objects.filter(customer_id__in=ids, kind=EventKind.PRODUCT_VIEWED,
                                         occurred_at__gte=now - timedelta(days=VIEWED_DAYS))
            .values_list("customer_id", "data__code").annotate(last=Max("occurred_at"))
            .order_by("customer_id", "-last", "data__code")):
        if isinstance(code, str) and code:
            viewed[customer_id].append(code)
    # 3. what is bought together with what they bought; 4. best sellers of their categories
    together = _bought_together({pk for products in bought.values() for pk in products}, now=now)
    best = _best_sellers({name for names in categories.values() for name in names}, now=now)
    # 5-7. the candidates' details, first photos and where they can be bought
    codes = {code for codes in viewed.values() for code in codes}
    candidate_ids = {pk for pairs in together.values() for pk, _n in pairs} | {
        pk for products in best.values() for pk in products}
    products = _products(candidate_ids, codes)
    by_code = {product["code"]: product for product in products.values()}
    images = _first_images(products)
    pages = {pk: absolute_url(reverse("storefront:product", kwargs={"code": product["code"]}))
             for pk, product in products.items()}
    online, at_store = _stock(products, {store for store in favourites.values() if store})

    result: dict[int, list[Recommendation]] = {}
    for customer_id in ids:
        store = favourites[customer_id]
        own = bought.get(customer_id, set())
        scores: dict[int, int] = defaultdict(int)
        for anchor in own:
            for other, count in together.get(anchor, ()):
                scores[other] += count
        sources = [
            (RecommendationReason.VIEWED_NOT_BOUGHT,
             [by_code[code]["id"] for code in viewed.get(customer_id, ()) if code in by_code]),
            (RecommendationReason.BOUGHT_TOGETHER, sorted(scores, key=lambda pk: (-scores[pk], pk))),
            (RecommendationReason.SAME_CATEGORY, _category_order(categories.get(customer_id, ()), best)),
        ]
        picks: list[Recommendation] = []
        seen = set(own)
        for reason, candidates in sources:
            for product_id in candidates:
                if len(picks) >= limit:
                    break
                product = products.get(product_id)
                if product_id in seen or product is None:
                    continue
                seen.add(product_id)
                in_store = store is not None and (product_id, store) in at_store
                orderable_online = product_id in online or product["stock_policy"] != StockPolicy.NORMAL
                if not (orderable_online or in_store):
                    continue
                picks.append(Recommendation(
                    product_id=product_id, code=product["code"], name=product["name"], price=product["price"],
                    image_url=images.get(product_id, ""),
                    url=pages[product_id],
                    reason=reason, in_stock_at_favourite=in_store))
        result[customer_id] = picks
    return result


def _category_order(names: Iterable[str], best: dict[str, list[int]]) -> list[int]:
    """The best sellers of the customer's categories, interleaved: each category's first, then each one's second…"""
    lists = [best.get(name, []) for name in sorted(names)]
    return [lst[rank] for rank in range(max(map(len, lists), default=0)) for lst in lists if rank < len(lst)]


def _bought_together(anchors: set[int], *, now) -> dict[int, list[tuple[int, int]]]:
    """For each product of ``anchors``, the products most often in the same order (orders of
    the last TOGETHER_DAYS days that were not cancelled): ``[(product id, orders), …]`` most
    frequent first, at most TOGETHER_PER_PRODUCT each. One query: the lines joined to the other
    lines of their order, counted per pair, ranked per product by a window."""
    if not anchors:
        return {}
    pairs = (OrderLine.objects.filter(order__created_at__gte=now - timedelta(days=TOGETHER_DAYS),
                                      order__status__in=BOUGHT_STATUSES, variant__product_id__in=anchors)
             .annotate(anchor=F("variant__product_id"), other=F("order__lines__variant__product_id"))
             .filter(~Q(other=F("anchor"))).order_by()
             .values("anchor", "other").annotate(orders=Count("order_id", distinct=True))
             .annotate(rank=Window(RowNumber(), partition_by=F("anchor"),
                                   order_by=[F("orders").desc(), F("other").asc()]))
             .filter(rank__lte=TOGETHER_PER_PRODUCT).values_list("anchor", "other", "orders"))
    together: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for anchor, other, count in sorted(pairs, key=lambda row: (row[0], -row[2], row[1])):
        together[anchor].append((other, count))
    return together


def _best_sellers(categories: set[str], *, now) -> dict[str, list[int]]:
    """The published products of each category by units sold in the last BEST_SELLER_DAYS days,
    best first, at most BEST_SELLERS_PER_CATEGORY each. One query."""
    if not categories:
        return {}
    rows = (OrderLine.objects.filter(order__created_at__gte=now - timedelta(days=BEST_SELLER_DAYS),
                                     order__status__in=BOUGHT_STATUSES, variant__product__category__in=categories,
                                     variant__product__is_active=True).order_by()
            .values(product=F("variant__product_id"), category=F("variant__product__category"))
            .annotate(sold=Sum("quantity"))
            .annotate(rank=Window(RowNumber(), partition_by=F("variant__product__category"),
                                  order_by=[F("sold").desc(), F("variant__product_id").asc()]))
            .filter(rank__lte=BEST_SELLERS_PER_CATEGORY).values_list("category", "product", "sold"))
    best: dict[str, list[int]] = defaultdict(list)
    for category, product, _sold in sorted(rows, key=lambda row: (row[0], -row[2], row[1])):
        best[category].append(product)
    return best


def _products(ids: set[int], codes: set[str]) -> dict[int, dict]:
    """The published products among ``ids`` and ``codes`` that have a price (a variant). One query."""
    if not ids and not codes:
        return {}
    rows = (Product.objects.published().filter(Q(pk__in=ids) | Q(code__in=codes)).order_by()
            .annotate(price=Min("variants__price")).filter(price__isnull=False)
            .values("id", "code", "name", "stock_policy", "price"))
    return {row["id"]: row for row in rows}


def _first_images(products: dict[int, dict]) -> dict[int, str]:
    """The absolute URL of each product's first photo (its thumbnail, else the original). One query."""
    if not products:
        return {}
    storage = ProductImage._meta.get_field("original").storage
    urls: dict[int, str] = {}
    for product_id, thumbnail, original in (ProductImage.objects.filter(product_id__in=products)
                                            .order_by("product_id", "position", "id")
                                            .values_list("product_id", "thumbnail", "original")):
        if product_id not in urls and (thumbnail or original):
            urls[product_id] = absolute_url(storage.url(thumbnail or original))
    return urls


def _stock(products: dict[int, dict], stores: set[int]) -> tuple[set[int], set[tuple[int, int]]]:
    """(products with units available to promise at a location that ships online orders,
    (product, store) pairs with units available at one of ``stores``). One query."""
    if not products:
        return set(), set()
    where = Q(location__is_active=True, location__ships_orders=True)
    if stores:
        where |= Q(location_id__in=stores)
    online: set[int] = set()
    at_store: set[tuple[int, int]] = set()
    for product_id, location_id, ships, active in (
            StockLevel.objects.with_available().filter(where, variant__product_id__in=products, available_qty__gt=0)
            .values_list("variant__product_id", "location_id", "location__ships_orders", "location__is_active")
            .distinct()):
        if ships and active:
            online.add(product_id)
        if location_id in stores:
            at_store.add((product_id, location_id))
    return online, at_store


# --- the re-check at sending time -----------------------------------------------------------

def featured_in_stock(*, skus: Sequence[str], location_id: int | None) -> dict[str, bool]:
    """Whether each SKU a campaign features can still be bought: its product is published and it
    has units available to promise at the store ``location_id``, or, for None (online), at a
    location that ships online orders or its product takes backorders or pre-orders. An unknown
    SKU is not. One query."""
    wanted = list(dict.fromkeys(skus))
    if not wanted:
        return {}
    stocked = StockLevel.objects.with_available().filter(variant_id=OuterRef("pk"), available_qty__gt=0)
    if location_id is None:
        stocked = stocked.filter(location__is_active=True, location__ships_orders=True)
        # sold online before it is in stock: orderable all the same
        orderable = Q(Exists(stocked)) | Q(product__stock_policy__in=[StockPolicy.BACKORDER, StockPolicy.PREORDER])
    else:
        orderable = Q(Exists(stocked.filter(location_id=location_id)))
    found = set(Variant.objects.filter(orderable, sku__in=wanted, product__is_active=True)
                .values_list("sku", flat=True))
    return {sku: sku in found for sku in wanted}
