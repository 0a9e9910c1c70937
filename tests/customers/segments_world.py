"""A mixed set of customers for the segment and score tests, built through the services (orders,
carts, events, consent), and a Python reference of every rule field to compare the SQL with."""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from customers import segments
from customers.models import ConsentRecord, Customer, CustomerEvent, EventKind, Gender
from customers.services import consent_set, event_record
from inventory import services as inventory
from inventory.services import VariantIn
from orders import cart as carts
from orders import services as orders
from orders.models import Cart, Order
from orders.services import FulfillmentIn, LineIn

NOW = timezone.now()
PREFS = ["13", "14", "27", "01", "40", "11"]
CITIES = ["渋谷区", "横浜市", "大阪市北区", "札幌市", "福岡市"]
TAGS = ["linen", "茶", "tableware", "アウトドア"]


@pytest.fixture(autouse=True)
def private_exports(settings, tmp_path):
    """Member exports go to their own private folder (never MEDIA_ROOT), one per test."""
    settings.SEGMENT_EXPORTS_ROOT = tmp_path / "exports"
    return settings.SEGMENT_EXPORTS_ROOT


@dataclass
class World:
    shop: object
    customers: list[Customer] = field(default_factory=list)
    tea_sku: str = "TEA-1"


def build_world(shop, *, n: int = 36, seed: int = 8) -> World:
    rng = random.Random(seed)
    inventory.product_create(code="sencha", name="煎茶", category="茶",
                             variants=[VariantIn(sku="TEA-1", barcode="4900000000108", price=1200)])
    from inventory.models import Variant

    for variant in Variant.objects.all():
        inventory.stock_receive(variant=variant, location=shop.store_a, quantity=500, reference="PO-seg")
    world = World(shop)
    today = timezone.localdate(NOW)
    for i in range(n):
        birthday = None
        if i % 5:
            birthday = date(today.year - rng.randint(18, 70), rng.randint(1, 12), rng.randint(1, 28))
        if i == 3:  # exactly 30 today
            birthday = segments._years_ago(today, 30)
        if i == 4:  # 30 tomorrow: still 29
            birthday = segments._years_ago(today, 30) + timedelta(days=1)
        customer = Customer.objects.create(
            email=f"c{i}@example.jp", family_name="山田", given_name=f"{i}",
            prefecture=rng.choice(PREFS + [""]), city=rng.choice(CITIES + [""]), birthday=birthday,
            gender=rng.choice([*Gender.values, ""]), preferred_channel=rng.choice(["email", "line", "sms", ""]),
            favourite_location=rng.choice([shop.store_a, shop.store_b, None]),
            sizes=rng.choice([{}, {"tops": "M"}, {"tops": "L", "shoes": "24.5"}]),
            interests=rng.sample(TAGS, rng.randint(0, 3)),
            language=["ja", "en", ""][i % 3],  # not drawn from rng: the rest of the world stays as it was
        )
        world.customers.append(customer)
        for _k in range(rng.choice([0, 0, 1, 1, 2, 3, 5])):
            sku = rng.choice(["LS-S", "LS-L", "TEA-1"])
            channel = rng.choice([shop.web, shop.pos_a])
            order = orders.order_place(channel=channel, customer=customer, lines=[LineIn(sku=sku, quantity=1)],
                                       fulfillment=FulfillmentIn(method="pickup", location=shop.store_a.code))
            if rng.random() < 0.15:
                orders.order_cancel(order=order)
            Order.objects.filter(pk=order.pk).update(created_at=NOW - timedelta(days=rng.randint(0, 400),
                                                                                 hours=rng.randint(0, 23)))
        for _k in range(rng.randint(0, 4)):
            kind = rng.choice([EventKind.PRODUCT_VIEWED, EventKind.STORE_VISIT, EventKind.EMAIL_OPENED,
                               EventKind.EMAIL_SENT])
            event_record(customer=customer, kind=kind, channel=rng.choice([shop.web, None]),
                         occurred_at=NOW - timedelta(days=rng.randint(0, 200)))
        if rng.random() < 0.3:
            carts.cart_add(variant=shop.small, quantity=1, customer=customer)
            Cart.objects.filter(customer=customer).update(updated_at=NOW - timedelta(hours=rng.randint(1, 100)))
        for _k in range(rng.randint(0, 3)):
            consent_set(customer=customer, channel=rng.choice(["email", "line"]), granted=rng.random() < 0.6,
                        source="test")
        if rng.random() < 0.3:
            ConsentRecord.objects.create(customer=customer, channel="email", purpose="personalisation",
                                         granted=rng.random() < 0.5, source="test")
    return world


# --- the Python reference ---------------------------------------------------------------------

def _age(birthday: date, today: date) -> int:
    return today.year - birthday.year - ((today.month, today.day) < (birthday.month, birthday.day))


def _cmp(op, left, right) -> bool:
    if left is None:
        return False
    return {"eq": left == right, "gte": left >= right, "lte": left <= right}[op]


def reference_ids(rules: dict, now: datetime = NOW) -> set[int]:
    """Which customers the rules select, decided customer by customer in Python."""
    today = timezone.localdate(now)
    chosen = set()
    for customer in Customer.objects.select_related("favourite_location").prefetch_related(
            "orders__lines__variant__product", "orders__channel", "events__channel", "consent_records"):
        facts = _facts(customer, today, now)
        groups = [[_holds(c, customer, facts, today, now) for c in g["conditions"]] for g in rules["groups"]]
        results = [all(g) if group["match"] == "all" else any(g) for g, group in zip(groups, rules["groups"], strict=True)]
        if all(results) if rules["match"] == "all" else any(results):
            chosen.add(customer.pk)
    return chosen


def _facts(customer, today, now) -> dict:
    orders_ = [o for o in customer.orders.all() if o.status != "cancelled"]
    try:
        score = customer.score
    except Exception:  # noqa: BLE001 - RelatedObjectDoesNotExist
        score = None
    cart = Cart.objects.filter(customer=customer).first()
    return {"orders": orders_, "all_orders": list(customer.orders.all()), "score": score, "cart": cart,
            "events": list(customer.events.all())}


def _latest_consent(customer, channel, purpose):
    rows = sorted((r for r in customer.consent_records.all() if r.channel == channel and r.purpose == purpose),
                  key=lambda r: (r.created_at, r.id))
    return rows[-1].granted if rows else False


def _holds(c, customer, facts, today, now) -> bool:  # noqa: C901 - one branch per field
    field_, op, value = c["field"], c["operator"], c["value"]
    score = facts["score"]
    if field_ == "age":
        return customer.birthday is not None and _cmp(op, _age(customer.birthday, today), value)
    if field_ == "birthday_month":
        return customer.birthday is not None and customer.birthday.month in value
    if field_ in ("gender", "prefecture", "preferred_channel", "language"):
        inside = getattr(customer, field_) in value
        return not inside if op == "not_in" else inside
    if field_ == "favourite_store":
        inside = customer.favourite_location_id in value
        return not inside if op == "not_in" else inside
    if field_ == "city":
        return value in customer.city if op == "contains" else customer.city == value
    if field_ == "distance_to_store":
        from kernel.models import Location

        store = Location.objects.get(pk=c["location"]).prefecture
        return bool(customer.prefecture) and segments.distance_km(customer.prefecture, store) <= value
    if field_ in ("rfm_r", "rfm_f", "rfm_m"):
        return score is not None and _cmp(op, getattr(score, field_[-1]), value)
    if field_ == "rfm_segment":
        inside = score is not None and score.label in value
        return not inside if op == "not_in" else inside
    if field_ == "clv":
        return score is not None and _cmp(op, score.monetary, value)
    if field_ in ("bought_product", "bought_category"):
        since = now - timedelta(days=c["days"])
        hit = any(o.created_at >= since and any(
            (line.sku == value or line.variant.product.code == value) if field_ == "bought_product"
            else line.variant.product.category == value for line in o.lines.all()) for o in facts["orders"])
        return not hit if op == "not_in_last_days" else hit
    if field_ == "channels_used":
        kinds = {o.channel.kind for o in facts["all_orders"]} | {
            e.channel.kind for e in facts["events"] if e.channel_id}
        return bool(kinds & set(value))
    if field_ == "event":
        since = now - timedelta(days=c["days"])
        hit = any(e.kind == value and e.occurred_at >= since for e in facts["events"])
        return not hit if op == "not_in_last_days" else hit
    if field_ == "cart_abandoned":
        cart = facts["cart"]
        return (cart is not None and cart.lines.exists() and cart.updated_at < now - timedelta(hours=value)
                and not any(o.created_at >= cart.updated_at for o in facts["all_orders"]))
    if field_ == "days_since_last_visit":
        visits = [e.occurred_at for e in facts["events"] if e.kind not in segments.NOT_A_VISIT]
        if not visits:
            return False
        days_since_cutoff = now - timedelta(days=value)
        return max(visits) >= days_since_cutoff if op == "lte" else max(visits) < days_since_cutoff
    if field_ == "size":
        return (customer.sizes or {}).get(c["size_kind"]) == value
    if field_ == "interests":
        tags = set(customer.interests or [])
        return set(value) <= tags if op == "all_of" else bool(set(value) & tags)
    if field_ == "consent":
        granted = _latest_consent(customer, value, c["purpose"])
        return granted if op == "granted" else not granted
    raise AssertionError(field_)


def events_count() -> int:
    return CustomerEvent.objects.count()
