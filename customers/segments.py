"""Segments: the rule schema, its compiler to one SQL filter on Customer, and the segment,
static-list, snapshot, export and persona services.

Rules are JSON::

    {"match": "all",                     # how groups combine: "all" (AND) or "any" (OR)
     "groups": [{"match": "any",         # how a group's conditions combine
                 "conditions": [{"field": "prefecture", "operator": "in", "value": ["13", "14"]},
                                {"field": "bought_category", "operator": "in_last_days",
                                 "value": "シャツ", "days": 90}]}]}

Each field (``FIELDS``) declares its operators, the type of its value and any extra inputs
(``days``, ``location``, ``purpose``, ``size_kind``). ``rules_clean`` refuses anything else
with the path of the bad item (``rules.groups.0.conditions.2.field``); ``rules_compile`` turns
clean rules into one ``Q`` (EXISTS / IN subqueries over the reverse relations), so a count or a
member list is one SQL statement, never a loop over customers. Orders sit above this domain:
they are reached by string lookups on ``Customer.orders`` and ``Customer.cart`` only.

Distance to a store is an approximation, and says so in the builder: neither ``Customer`` nor
``Location`` has coordinates and postal codes cannot be geocoded offline (no postal-code
coordinate data ships with the app), so a customer is placed at their prefecture's prefectural
office (``PREFECTURE_CENTROIDS``) and a store at its prefecture's; a "within 100 km of 梅田店" rule
is "lives in a prefecture whose office is within 100 km of Osaka's". Exact distances need
latitude/longitude columns on both (a migration) and a geocoding source.
"""

import csv
import io
import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import BooleanField, Count, Exists, OuterRef, Q, QuerySet, TextField, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import Contains, Exact
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kernel.audit import audit_changes, audit_record, audit_values
from kernel.events import publish
from kernel.japan import Prefecture, normalize_phone
from kernel.models import ChannelKind, Location

from . import domain_events
from .consent import consent_latest, consent_q
from .errors import SegmentError, SegmentInUse, SegmentRulesInvalid
from .models import (
    CONTACT_CHANNEL_CHOICES,
    CONTACT_CHANNELS,
    ConsentChannel,
    ConsentPurpose,
    Customer,
    CustomerEvent,
    EventKind,
    ExportEncoding,
    Gender,
    JobStatus,
    Persona,
    RfmLabel,
    Segment,
    SegmentExport,
    SegmentKind,
    SegmentMember,
    SegmentSnapshot,
    SegmentSnapshotMember,
    consent_applies,
)
from .scores import BOUGHT_STATUSES

# --- geography ------------------------------------------------------------------------------

# Latitude, longitude of each prefecture's prefectural office (都道府県庁所在地): where most of a
# prefecture's people live is nearer its capital than its geometric centre.
PREFECTURE_CENTROIDS: dict[str, tuple[float, float]] = {
    "01": (43.0642, 141.3469), "02": (40.8244, 140.7400), "03": (39.7036, 141.1527), "04": (38.2688, 140.8721),
    "05": (39.7186, 140.1024), "06": (38.2404, 140.3633), "07": (37.7503, 140.4676), "08": (36.3418, 140.4468),
    "09": (36.5657, 139.8836), "10": (36.3911, 139.0608), "11": (35.8570, 139.6489), "12": (35.6050, 140.1233),
    "13": (35.6895, 139.6917), "14": (35.4478, 139.6425), "15": (37.9026, 139.0236), "16": (36.6953, 137.2113),
    "17": (36.5947, 136.6256), "18": (36.0652, 136.2216), "19": (35.6642, 138.5684), "20": (36.6513, 138.1810),
    "21": (35.3912, 136.7223), "22": (34.9769, 138.3831), "23": (35.1802, 136.9066), "24": (34.7303, 136.5086),
    "25": (35.0045, 135.8686), "26": (35.0212, 135.7556), "27": (34.6863, 135.5200), "28": (34.6913, 135.1830),
    "29": (34.6851, 135.8329), "30": (34.2261, 135.1675), "31": (35.5039, 134.2383), "32": (35.4723, 133.0505),
    "33": (34.6618, 133.9344), "34": (34.3966, 132.4596), "35": (34.1859, 131.4714), "36": (34.0658, 134.5593),
    "37": (34.3401, 134.0434), "38": (33.8416, 132.7657), "39": (33.5597, 133.5311), "40": (33.6064, 130.4181),
    "41": (33.2494, 130.2988), "42": (32.7448, 129.8737), "43": (32.7898, 130.7417), "44": (33.2382, 131.6126),
    "45": (31.9111, 131.4239), "46": (31.5602, 130.5581), "47": (26.2124, 127.6809),
}


def distance_km(a: str, b: str) -> float:
    """Great-circle distance between two prefectures' offices (haversine, Earth radius 6371 km)."""
    (lat1, lon1), (lat2, lon2) = PREFECTURE_CENTROIDS[a], PREFECTURE_CENTROIDS[b]
    p1, p2, dp, dl = map(math.radians, (lat1, lat2, lat2 - lat1, lon2 - lon1))
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


def prefectures_within(prefecture: str, km: int) -> list[str]:
    return sorted(code for code in PREFECTURE_CENTROIDS if distance_km(prefecture, code) <= km)


# --- the field registry -----------------------------------------------------------------------

OPERATORS = {
    "eq": gettext_lazy("is"),
    "gte": gettext_lazy("at least"),
    "lte": gettext_lazy("at most"),
    "in": gettext_lazy("is one of"),
    "not_in": gettext_lazy("is none of"),
    "contains": gettext_lazy("contains"),
    "any_of": gettext_lazy("any of"),
    "all_of": gettext_lazy("all of"),
    "in_last_days": gettext_lazy("in the last N days"),
    "not_in_last_days": gettext_lazy("not in the last N days"),
    "within_km": gettext_lazy("within (km)"),
    "idle_hours": gettext_lazy("left for at least (hours)"),
    "granted": gettext_lazy("opted in"),
    "not_granted": gettext_lazy("not opted in"),
}

STORE_KINDS = ("store", "popup")
NOT_A_VISIT = (EventKind.EMAIL_SENT, EventKind.SMS_SENT, EventKind.CONSENT_CHANGED, EventKind.ORDER_READY,
               EventKind.ORDER_SHIPPED, EventKind.ORDER_CANCELLED, EventKind.STAFF_NOTE)
SIZE_KIND = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
MAX_GROUPS = 20
MAX_CONDITIONS = 50
MAX_LIST = 100
MAX_TEXT = 200


def _store_choices() -> list[tuple[str, str]]:
    return [(str(pk), name) for pk, name in
            Location.objects.filter(kind__in=STORE_KINDS).order_by("name").values_list("pk", "name")]


@dataclass(frozen=True)
class Input:
    """One input of a condition: its value, or an extra like ``days``."""

    kind: str  # int | text | choice | choices | tags
    label: object = ""
    choices: Callable[[], list[tuple[str, str]]] | None = None
    minimum: int | None = None
    maximum: int | None = None
    coerce_int: bool = False  # choices whose values are numbers (months, location ids)

    def clean(self, raw, path: str, errors: dict):
        def bad(message):
            errors.setdefault(path, []).append(str(message))

        if self.kind == "int":
            if isinstance(raw, bool) or raw in (None, ""):
                return bad(_("Enter a whole number."))
            try:
                number = int(str(raw).strip())
            except ValueError:
                return bad(_("Enter a whole number."))
            if self.minimum is not None and number < self.minimum:
                return bad(_("At least %(n)d.") % {"n": self.minimum})
            if self.maximum is not None and number > self.maximum:
                return bad(_("At most %(n)d.") % {"n": self.maximum})
            return number
        if self.kind == "text":
            if not isinstance(raw, str | int) or isinstance(raw, bool) or not str(raw).strip():
                return bad(_("Enter a value."))
            if len(str(raw)) > MAX_TEXT:
                return bad(_("At most %(n)d characters.") % {"n": MAX_TEXT})
            return str(raw).strip()
        allowed = {str(value) for value, _label in self.choices()} if self.choices else None
        if self.kind == "choice":
            if allowed is None or str(raw) not in allowed or isinstance(raw, list | dict | bool):
                return bad(_("Choose one of the listed values."))
            return int(raw) if self.coerce_int else str(raw)
        # choices / tags: a non-empty list
        if isinstance(raw, str | int) and not isinstance(raw, bool) and str(raw).strip():
            raw = [raw]
        if not isinstance(raw, list) or not raw:
            return bad(_("Choose at least one value."))
        if len(raw) > MAX_LIST:
            return bad(_("At most %(n)d values.") % {"n": MAX_LIST})
        values = []
        for item in raw:
            text = str(item).strip() if isinstance(item, str | int) and not isinstance(item, bool) else ""
            if not text or len(text) > MAX_TEXT:
                return bad(_("Each value must be a short text."))
            if allowed is not None and text not in allowed:
                return bad(_("Unknown value: %(value)s.") % {"value": text})
            values.append(int(text) if self.coerce_int else text)
        return sorted(set(values), key=values.index)


@dataclass(frozen=True)
class Field:
    key: str
    label: object
    group: object
    operators: tuple[str, ...]
    value: Input
    compile: Callable  # (operator, value, extras, context) -> Q
    extras: dict[str, Input] = field(default_factory=dict)
    help: object = ""  # shown beside the condition in the builder and in GET /segments/fields/


DAYS = Input("int", gettext_lazy("days"), minimum=1, maximum=3650)


def _years_ago(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _age(op, value, extras, ctx) -> Q:
    today = timezone.localdate(ctx.now)
    oldest_birthday_for = _years_ago(today, value)  # born on or before: at least ``value`` years old
    younger_than_next = _years_ago(today, value + 1)  # born after: not yet ``value + 1``
    if op == "gte":
        return Q(birthday__lte=oldest_birthday_for)
    if op == "lte":
        return Q(birthday__gt=younger_than_next)
    return Q(birthday__lte=oldest_birthday_for, birthday__gt=younger_than_next)


def _choice_in(column: str) -> Callable:
    def compile_(op, value, extras, ctx) -> Q:
        condition = Q(**{f"{column}__in": value})
        return ~condition if op == "not_in" else condition
    return compile_


def _compare(column: str) -> Callable:
    def compile_(op, value, extras, ctx) -> Q:
        return Q(**{f"{column}__exact" if op == "eq" else f"{column}__{op}": value})
    return compile_


def _city(op, value, extras, ctx) -> Q:
    return Q(city__contains=value) if op == "contains" else Q(city=value)


def _distance(op, value, extras, ctx) -> Q:
    prefecture = ctx.store_prefecture(extras["location"])
    if not prefecture:
        return Q(pk__in=[])
    return Q(prefecture__in=prefectures_within(prefecture, value))


def _in_window(op, subquery: QuerySet, column: str = "pk") -> Q:
    condition = Q(pk__in=subquery.values(column))
    return ~condition if op == "not_in_last_days" else condition


def _bought_product(op, value, extras, ctx) -> Q:
    since = ctx.now - timedelta(days=extras["days"])
    buyers = Customer.objects.filter(
        Q(orders__lines__sku=value) | Q(orders__lines__variant__product__code=value),
        orders__created_at__gte=since, orders__status__in=BOUGHT_STATUSES)
    return _in_window(op, buyers)


def _bought_category(op, value, extras, ctx) -> Q:
    since = ctx.now - timedelta(days=extras["days"])
    buyers = Customer.objects.filter(orders__lines__variant__product__category=value,
                                     orders__created_at__gte=since, orders__status__in=BOUGHT_STATUSES)
    return _in_window(op, buyers)


def _channels(op, value, extras, ctx) -> Q:
    return (Q(pk__in=Customer.objects.filter(orders__channel__kind__in=value).values("pk"))
            | Q(pk__in=CustomerEvent.objects.filter(channel__kind__in=value).values("customer_id")))


def _event(op, value, extras, ctx) -> Q:
    since = ctx.now - timedelta(days=extras["days"])
    return _in_window(op, CustomerEvent.objects.filter(kind=value, occurred_at__gte=since), "customer_id")


def _cart_abandoned(op, value, extras, ctx) -> Q:
    cutoff = ctx.now - timedelta(hours=value)
    ordered_since = Customer.objects.filter(pk=OuterRef("pk"), orders__created_at__gte=OuterRef("cart__updated_at"))
    carts = Customer.objects.filter(cart__updated_at__lt=cutoff, cart__lines__isnull=False).filter(
        ~Exists(ordered_since))
    return Q(pk__in=carts.values("pk"))


def _last_visit(op, value, extras, ctx) -> Q:
    since = ctx.now - timedelta(days=value)
    visits = CustomerEvent.objects.exclude(kind__in=NOT_A_VISIT)
    recent = Q(pk__in=visits.filter(occurred_at__gte=since).values("customer_id"))
    if op == "lte":
        return recent
    return Q(pk__in=visits.filter(occurred_at__lt=since).values("customer_id")) & ~recent


def _size(op, value, extras, ctx) -> Q:
    # an explicit key transform: a kind named like a lookup ("contains", "in") stays a key
    return Q(Exact(KeyTextTransform(extras["size_kind"], "sizes"), value))


def _interests(op, value, extras, ctx) -> Q:
    def has(tag: str) -> Q:
        if connection.vendor == "postgresql":
            return Q(interests__contains=[tag])
        # SQLite has no JSON containment: match the tag as Django stores it ('["linen", "茶"]' with
        # \\u escapes), quotes included, in the column's text.
        return Q(Contains(Cast("interests", TextField()), json.dumps(tag)))

    conditions = [has(tag) for tag in value]
    combined = conditions[0]
    for condition in conditions[1:]:
        combined = combined & condition if op == "all_of" else combined | condition
    return combined


def consent_not_granted_q(*, channel: str, purpose: str) -> Q:
    """The complement of ``consent.consent_q``: opted out OR never asked on (channel, purpose).
    ``~consent_q(...)`` is not it: SQL's ``NOT (NULL = TRUE)`` is NULL, which would drop every
    customer who was never asked. The decision in force is the consent module's own subquery
    (``consent_latest``); only the NULL is folded here."""
    in_force = consent_latest(channel=channel, purpose=purpose)
    return Q(Exact(Coalesce(in_force, Value(False), output_field=BooleanField()), Value(False)))


def _consent(op, value, extras, ctx) -> Q:
    # The consent module's audience check, as a Q that AND/OR groups combine: per channel and
    # purpose the latest ledger row wins, exactly as campaigns ask ``customers_consenting``.
    if op == "granted":
        return consent_q(channel=value, purpose=extras["purpose"])
    return consent_not_granted_q(channel=value, purpose=extras["purpose"])


def _languages():
    from django.conf import settings

    return list(settings.LANGUAGES)


def _months():
    return [(str(n), str(n)) for n in range(1, 13)]


DEMOGRAPHICS, GEOGRAPHY = gettext_lazy("Demographics"), gettext_lazy("Geography")
BEHAVIOUR, PREFERENCES, CONSENT = gettext_lazy("Behaviour"), gettext_lazy("Preferences"), gettext_lazy("Consent")
SCORE = Input("int", minimum=1, maximum=5)

FIELDS: dict[str, Field] = {f.key: f for f in [
    Field("age", gettext_lazy("Age"), DEMOGRAPHICS, ("eq", "gte", "lte"), Input("int", minimum=0, maximum=130),
          _age),
    Field("birthday_month", gettext_lazy("Birthday month"), DEMOGRAPHICS, ("in",),
          Input("choices", choices=_months, coerce_int=True), lambda op, v, e, c: Q(birthday__month__in=v)),
    Field("gender", gettext_lazy("Gender"), DEMOGRAPHICS, ("in", "not_in"),
          Input("choices", choices=lambda: Gender.choices), _choice_in("gender")),
    Field("prefecture", gettext_lazy("Prefecture"), GEOGRAPHY, ("in", "not_in"),
          Input("choices", choices=lambda: Prefecture.choices), _choice_in("prefecture")),
    Field("city", gettext_lazy("City"), GEOGRAPHY, ("eq", "contains"), Input("text"), _city),
    Field("distance_to_store", gettext_lazy("Distance to a store (by prefecture)"), GEOGRAPHY, ("within_km",),
          Input("int", gettext_lazy("km"), minimum=1, maximum=3000), _distance,
          {"location": Input("choice", gettext_lazy("store"), choices=_store_choices, coerce_int=True)},
          help=gettext_lazy("Approximate: customers and stores have no map coordinates, so the distance is "
                            "measured between prefectural offices (the customer's prefecture and the "
                            "store's). Customers without a prefecture never match.")),
    Field("rfm_r", gettext_lazy("RFM recency score (1–5)"), BEHAVIOUR, ("eq", "gte", "lte"), SCORE,
          _compare("score__r")),
    Field("rfm_f", gettext_lazy("RFM frequency score (1–5)"), BEHAVIOUR, ("eq", "gte", "lte"), SCORE,
          _compare("score__f")),
    Field("rfm_m", gettext_lazy("RFM monetary score (1–5)"), BEHAVIOUR, ("eq", "gte", "lte"), SCORE,
          _compare("score__m")),
    Field("rfm_segment", gettext_lazy("RFM segment"), BEHAVIOUR, ("in", "not_in"),
          Input("choices", choices=lambda: RfmLabel.choices), _choice_in("score__label")),
    Field("clv", gettext_lazy("Total spent (historic CLV, ¥)"), BEHAVIOUR, ("gte", "lte"),
          Input("int", minimum=0, maximum=10**12), _compare("score__monetary")),
    Field("bought_product", gettext_lazy("Bought a product (code or SKU)"), BEHAVIOUR,
          ("in_last_days", "not_in_last_days"), Input("text"), _bought_product, {"days": DAYS}),
    Field("bought_category", gettext_lazy("Bought in a category"), BEHAVIOUR, ("in_last_days", "not_in_last_days"),
          Input("text"), _bought_category, {"days": DAYS}),
    Field("channels_used", gettext_lazy("Channels used"), BEHAVIOUR, ("any_of",),
          Input("choices", choices=lambda: ChannelKind.choices), _channels),
    Field("event", gettext_lazy("Activity"), BEHAVIOUR, ("in_last_days", "not_in_last_days"),
          Input("choice", choices=lambda: EventKind.choices), _event, {"days": DAYS}),
    Field("cart_abandoned", gettext_lazy("Cart abandoned"), BEHAVIOUR, ("idle_hours",),
          Input("int", gettext_lazy("hours"), minimum=1, maximum=24 * 365), _cart_abandoned),
    Field("days_since_last_visit", gettext_lazy("Days since last visit"), BEHAVIOUR, ("gte", "lte"),
          Input("int", minimum=0, maximum=3650), _last_visit),
    Field("size", gettext_lazy("Size"), PREFERENCES, ("eq",), Input("text"), _size,
          {"size_kind": Input("text", gettext_lazy("kind, e.g. tops"))}),
    Field("interests", gettext_lazy("Interests"), PREFERENCES, ("any_of", "all_of"), Input("tags"), _interests),
    Field("language", gettext_lazy("Language"), PREFERENCES, ("in", "not_in"),
          Input("choices", choices=_languages), _choice_in("language")),
    Field("preferred_channel", gettext_lazy("Preferred channel"), PREFERENCES, ("in", "not_in"),
          Input("choices", choices=lambda: CONTACT_CHANNEL_CHOICES), _choice_in("preferred_channel")),
    Field("favourite_store", gettext_lazy("Favourite store"), PREFERENCES, ("in", "not_in"),
          Input("choices", choices=_store_choices, coerce_int=True), _choice_in("favourite_location_id")),
    Field("consent", gettext_lazy("Consent"), CONSENT, ("granted", "not_granted"),
          Input("choice", choices=lambda: ConsentChannel.choices), _consent,
          {"purpose": Input("choice", gettext_lazy("purpose"), choices=lambda: ConsentPurpose.choices)}),
]}


# --- validation and compilation -------------------------------------------------------------

MATCHES = ("all", "any")


def rules_clean(rules, *, prefix: str = "rules") -> dict:
    """The rules in their stored form, or SegmentRulesInvalid with every message by path."""
    errors: dict[str, list[str]] = {}

    def bad(path: str, message) -> None:
        errors.setdefault(path, []).append(str(message))

    if not isinstance(rules, dict):
        raise SegmentRulesInvalid({prefix: [_("Rules must be an object with groups.")]})
    for key in set(rules) - {"match", "groups"}:
        bad(f"{prefix}.{key}", _("Unknown key."))
    match = rules.get("match", "all")
    if match not in MATCHES:
        bad(f"{prefix}.match", _("Use \"all\" or \"any\"."))
    groups = rules.get("groups")
    clean_groups = []
    if not isinstance(groups, list) or not groups:
        bad(f"{prefix}.groups", _("Add at least one group of conditions."))
        groups = []
    if len(groups) > MAX_GROUPS:
        bad(f"{prefix}.groups", _("At most %(n)d groups.") % {"n": MAX_GROUPS})
        groups = []
    total = 0
    for g, group in enumerate(groups):
        gpath = f"{prefix}.groups.{g}"
        if not isinstance(group, dict):
            bad(gpath, _("A group must be an object with conditions."))
            continue
        for key in set(group) - {"match", "conditions"}:
            bad(f"{gpath}.{key}", _("Unknown key."))
        gmatch = group.get("match", "all")
        if gmatch not in MATCHES:
            bad(f"{gpath}.match", _("Use \"all\" or \"any\"."))
        conditions = group.get("conditions")
        if not isinstance(conditions, list) or not conditions:
            bad(f"{gpath}.conditions", _("Add at least one condition."))
            continue
        total += len(conditions)
        clean_conditions = []
        for c, condition in enumerate(conditions):
            cpath = f"{gpath}.conditions.{c}"
            clean = condition_clean(condition, cpath, errors)
            if clean:
                clean_conditions.append(clean)
        clean_groups.append({"match": gmatch, "conditions": clean_conditions})
    if total > MAX_CONDITIONS:
        bad(f"{prefix}.groups", _("At most %(n)d conditions in all.") % {"n": MAX_CONDITIONS})
    if errors:
        raise SegmentRulesInvalid(errors)
    return {"match": match, "groups": clean_groups}


def condition_clean(condition, path: str, errors: dict) -> dict | None:
    if not isinstance(condition, dict):
        errors.setdefault(path, []).append(_("A condition must be an object with field, operator and value."))
        return None
    spec = FIELDS.get(condition.get("field"))
    if spec is None:
        errors.setdefault(f"{path}.field", []).append(_("Unknown field: %(field)s.") % {
            "field": str(condition.get("field"))[:60]})
        return None
    before = len(errors)
    for key in set(condition) - {"field", "operator", "value", *spec.extras}:
        errors.setdefault(f"{path}.{key}", []).append(_("Unknown key for this field."))
    operator = condition.get("operator")
    if operator not in spec.operators:
        errors.setdefault(f"{path}.operator", []).append(
            _("Unknown operator for %(field)s: use one of %(ops)s.") % {
                "field": spec.key, "ops": ", ".join(spec.operators)})
    clean = {"field": spec.key, "operator": operator, "value": spec.value.clean(
        condition.get("value"), f"{path}.value", errors)}
    for name, extra in spec.extras.items():
        clean[name] = extra.clean(condition.get(name), f"{path}.{name}", errors)
    if spec.key == "size" and isinstance(clean.get("size_kind"), str) and not SIZE_KIND.match(clean["size_kind"]):
        errors.setdefault(f"{path}.size_kind", []).append(
            _("Lower-case letters, digits and _ only, e.g. tops or shoes."))
    if spec.key == "consent" and len(errors) == before and not consent_applies(clean["value"], clean["purpose"]):
        errors.setdefault(f"{path}.purpose", []).append(
            _("The online store sends no marketing: choose a channel that reaches the customer."))
    return clean if len(errors) == before else None


@dataclass
class CompileContext:
    now: datetime
    _stores: dict | None = None

    def store_prefecture(self, location_id: int) -> str:
        if self._stores is None:
            self._stores = {}
        if location_id not in self._stores:
            self._stores[location_id] = Location.objects.filter(pk=location_id).values_list(
                "prefecture", flat=True).first() or ""
        return self._stores[location_id]


def rules_compile(rules: dict, *, now: datetime | None = None) -> Q:
    """One Q on Customer for clean rules (``rules_clean``). Reads the database only for a
    distance rule (the store's prefecture)."""
    ctx = CompileContext(now=now or timezone.now())
    group_qs = []
    for group in rules["groups"]:
        parts = [FIELDS[c["field"]].compile(c["operator"], c["value"], c, ctx) for c in group["conditions"]]
        combined = parts[0]
        for part in parts[1:]:
            combined = combined & part if group["match"] == "all" else combined | part
        group_qs.append(combined)
    combined = group_qs[0]
    for part in group_qs[1:]:
        combined = combined & part if rules["match"] == "all" else combined | part
    return combined


PREVIEW_SIZE = 10  # members shown beside the live count (console builder, API preview)


def rules_customers(rules: dict, *, now: datetime | None = None) -> QuerySet[Customer]:
    return Customer.objects.filter(rules_compile(rules, now=now))


def segment_condition(segment: Segment, *, now: datetime | None = None) -> Q:
    if segment.kind == SegmentKind.STATIC:
        return Q(pk__in=SegmentMember.objects.filter(segment_id=segment.pk).values("customer_id"))
    if not segment.rules:
        return Q(pk__in=[])
    return rules_compile(segment.rules, now=now)


def segment_customers(segment: Segment, *, now: datetime | None = None) -> QuerySet[Customer]:
    """The segment's members now: one query (a static list: its rows; dynamic: its rules)."""
    return Customer.objects.filter(segment_condition(segment, now=now))


def segment_counts(segments: list[Segment]) -> dict[int, int]:
    """Member counts of many segments in ONE query (a conditional count per segment)."""
    if not segments:
        return {}
    counts = Customer.objects.aggregate(**{
        f"s{segment.pk}": Count("pk", filter=segment_condition(segment)) for segment in segments})
    return {segment.pk: counts[f"s{segment.pk}"] for segment in segments}


# --- segments and personas ------------------------------------------------------------------

SEGMENT_FIELDS = ("name", "description", "kind", "rules", "persona")


def _segment_errors(segment: Segment) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if segment.kind == SegmentKind.DYNAMIC:
        try:
            segment.rules = rules_clean(segment.rules)
        except SegmentRulesInvalid as exc:
            errors.update(exc.errors)
    elif segment.rules:
        errors["rules"] = [_("A static list has members, not rules.")]
    try:
        segment.full_clean(exclude=["rules", "created_by", "updated_by"])
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    return errors


def _changed(segment: Segment, change: str, acting_user) -> None:
    publish(domain_events.SEGMENT_CHANGED, subject=f"segment:{segment.pk}", actor=acting_user,
            payload=domain_events.SegmentChanged(segment_id=segment.pk, kind=segment.kind, change=change))


@transaction.atomic
def segment_create(*, name: str, kind: str = SegmentKind.DYNAMIC, rules: dict | None = None, description: str = "",
                   persona: Persona | None = None, acting_user=None) -> Segment:
    """Define a segment. Raise SegmentRulesInvalid / ValidationError naming every bad field or
    rule path; nothing is stored then."""
    segment = Segment(name=(name or "").strip(), kind=kind, rules=rules or {}, description=description or "",
                      persona=persona, created_by=_user(acting_user), updated_by=_user(acting_user))
    errors = _segment_errors(segment)
    if errors:
        raise SegmentRulesInvalid(errors)
    segment.save()
    audit_record(actor=acting_user, action="segment_create", obj=segment,
                 changes=audit_values(segment, ["name", "kind", "rules", "persona"]))
    _changed(segment, "created", acting_user)
    return segment


@transaction.atomic
def segment_update(*, segment: Segment, acting_user=None, **fields) -> Segment:
    unknown = set(fields) - set(SEGMENT_FIELDS)
    if unknown:
        raise ValueError(", ".join(sorted(unknown)))
    if "kind" in fields and fields["kind"] != segment.kind and segment.pk:
        raise SegmentRulesInvalid({"kind": [_("A segment's kind cannot change; create a new segment.")]})
    before = audit_values(segment, fields)
    for name, value in fields.items():
        setattr(segment, name, value.strip() if name == "name" and isinstance(value, str) else value)
    errors = _segment_errors(segment)
    if errors:
        segment.refresh_from_db()
        raise SegmentRulesInvalid(errors)
    segment.updated_by = _user(acting_user)
    segment.save()
    audit_record(actor=acting_user, action="segment_update", obj=segment, changes=audit_changes(before, segment))
    _changed(segment, "updated", acting_user)
    return segment


@transaction.atomic
def segment_users(segment: Segment) -> dict[str, int]:
    """What outside the customers domain uses the segment, by the user's model label
    (``{"campaigns.campaign": 2}``): found through the relations other apps declare to Segment, so
    this domain names no higher one."""
    used: dict[str, int] = {}
    for relation in Segment._meta.related_objects:
        model = relation.related_model
        if model._meta.app_label == Segment._meta.app_label:
            continue  # the segment's own rows (members, snapshots, exports) go with it
        count = model._default_manager.filter(**{relation.field.name: segment}).distinct().count()
        if count:
            used[model._meta.label_lower] = used.get(model._meta.label_lower, 0) + count
    return used


def segment_delete(*, segment: Segment, acting_user=None) -> None:
    """Delete a segment nothing else uses; a segment a campaign or an offer uses is refused
    (SegmentInUse), so an audience never changes behind a marketer's back."""
    used = segment_users(segment)
    if used:
        from django.apps import apps

        names = ", ".join(f"{apps.get_model(label)._meta.verbose_name_plural} ({count})"
                          for label, count in sorted(used.items()))
        raise SegmentInUse(_("This segment is in use and cannot be deleted: %(users)s. Take it out of them first.")
                           % {"users": names}, used_by=used)
    audit_record(actor=acting_user, action="segment_delete", obj=segment, changes={"name": segment.name})
    _changed(segment, "deleted", acting_user)
    segment.delete()


def _user(acting_user):
    return acting_user if getattr(acting_user, "is_authenticated", False) else None


PERSONA_FIELDS = ("name", "summary", "goals", "preferred_channels", "messages")


def _persona_clean(persona: Persona) -> None:
    errors: dict[str, list[str]] = {}
    channels = persona.preferred_channels
    if not isinstance(channels, list) or any(c not in CONTACT_CHANNELS for c in channels):
        errors["preferred_channels"] = [_("Choose channels from the list.")]
    try:
        persona.full_clean(exclude=["preferred_channels"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def persona_create(*, name: str, acting_user=None, **fields) -> Persona:
    unknown = set(fields) - set(PERSONA_FIELDS)
    if unknown:
        raise ValueError(", ".join(sorted(unknown)))
    persona = Persona(name=(name or "").strip(), **fields)
    _persona_clean(persona)
    persona.save()
    audit_record(actor=acting_user, action="persona_create", obj=persona,
                 changes=audit_values(persona, PERSONA_FIELDS))
    return persona


@transaction.atomic
def persona_update(*, persona: Persona, acting_user=None, **fields) -> Persona:
    unknown = set(fields) - set(PERSONA_FIELDS)
    if unknown:
        raise ValueError(", ".join(sorted(unknown)))
    before = audit_values(persona, fields)
    for name, value in fields.items():
        setattr(persona, name, value)
    try:
        _persona_clean(persona)
    except ValidationError:
        persona.refresh_from_db()
        raise
    persona.save()
    audit_record(actor=acting_user, action="persona_update", obj=persona, changes=audit_changes(before, persona))
    return persona


@transaction.atomic
def persona_delete(*, persona: Persona, acting_user=None) -> None:
    audit_record(actor=acting_user, action="persona_delete", obj=persona, changes={"name": persona.name})
    persona.delete()


# --- static lists ---------------------------------------------------------------------------

UPLOAD_MAX_ROWS = 100_000
UPLOAD_COLUMNS = {
    "email": "email", "メールアドレス": "email", "メール": "email",
    "customer_id": "id", "id": "id", "顧客id": "id", "顧客番号": "id",
    "phone": "phone", "電話番号": "phone", "電話": "phone",
}


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SegmentError(_("The file is neither UTF-8 nor Shift_JIS text."))


def members_file_resolve(data: bytes) -> tuple[list[int], list[dict]]:
    """Customer ids of an uploaded CSV (a header naming an ``email``, ``customer_id`` or ``phone``
    column; UTF-8 or Shift_JIS), and every bad row as ``{"row": n, "value": ..., "error": ...}``.
    Resolved in three queries whatever the number of rows."""
    text = _decode(data)
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    columns = {}
    for index, name in enumerate(header or []):
        kind = UPLOAD_COLUMNS.get(name.strip().lower())
        if kind and kind not in columns:
            columns[kind] = index
    if not columns:
        raise SegmentError(_("The first row must name a column: email, customer_id or phone."))
    rows: list[tuple[int, str, str]] = []  # (row number, kind, value)
    problems: list[dict] = []
    for number, row in enumerate(reader, start=2):
        if len(rows) + len(problems) >= UPLOAD_MAX_ROWS:
            raise SegmentError(_("At most %(n)d rows per file.") % {"n": UPLOAD_MAX_ROWS})
        found = next(((kind, row[i].strip()) for kind, i in columns.items() if i < len(row) and row[i].strip()),
                     None)
        if found is None:
            if any(cell.strip() for cell in row):
                problems.append({"row": number, "value": "", "error": _("No email, customer id or phone.")})
            continue
        rows.append((number, *found))
    emails = {v.lower() for _n, k, v in rows if k == "email"}
    ids = {int(v) for _n, k, v in rows if k == "id" and v.isdigit()}
    phones = {normalize_phone(v) for _n, k, v in rows if k == "phone"} - {""}
    by_email = dict(Customer.objects.filter(email__in=emails).values_list("email", "pk")) if emails else {}
    known_ids = set(Customer.objects.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    by_phone: dict[str, list[int]] = {}
    if phones:
        for digits, pk in Customer.objects.filter(phone_digits__in=phones).values_list("phone_digits", "pk"):
            by_phone.setdefault(digits, []).append(pk)
    resolved: list[int] = []
    for number, kind, value in rows:
        pk, error = None, ""
        if kind == "email":
            pk = by_email.get(value.lower())
            error = "" if pk else _("No customer has this email address.")
        elif kind == "id":
            pk = int(value) if value.isdigit() and int(value) in known_ids else None
            error = "" if pk else _("No customer has this id.")
        else:
            matches = by_phone.get(normalize_phone(value), [])
            if len(matches) == 1:
                pk = matches[0]
            else:
                error = _("No customer has this phone number.") if not matches else _(
                    "Several customers have this phone number: use their email or id.")
        if pk:
            resolved.append(pk)
        else:
            problems.append({"row": number, "value": value, "error": error})
    return sorted(set(resolved)), problems


@transaction.atomic
def segment_members_upload(*, segment: Segment, data: bytes, replace: bool = True, acting_user=None) -> int:
    """Put the customers of an uploaded CSV on a static list, all or nothing: any bad row raises
    MembersFileInvalid listing every bad row, and the list stays as it was. Returns the size."""
    from .errors import MembersFileInvalid

    if segment.kind != SegmentKind.STATIC:
        raise SegmentError(_("Only a static list takes uploaded members."))
    customer_ids, problems = members_file_resolve(data)
    if problems:
        raise MembersFileInvalid(problems)
    if not customer_ids:
        raise SegmentError(_("The file lists no customers."))
    segment = Segment.objects.select_for_update().get(pk=segment.pk)
    before = segment.members.count()
    if replace:
        segment.members.all().delete()
        existing = set()
    else:
        existing = set(segment.members.values_list("customer_id", flat=True))
    SegmentMember.objects.bulk_create(
        [SegmentMember(segment=segment, customer_id=pk) for pk in customer_ids if pk not in existing],
        batch_size=2000)
    size = segment.members.count()
    audit_record(actor=acting_user, action="segment_members_upload", obj=segment,
                 changes={"members": [before, size], "rows": len(customer_ids), "replace": replace})
    _changed(segment, "members_uploaded", acting_user)
    return size


# --- snapshots ------------------------------------------------------------------------------

@transaction.atomic
def segment_snapshot_take(*, segment: Segment, with_members: bool = False, acting_user=None) -> SegmentSnapshot:
    """Record the segment's size now (and, with ``with_members``, who is in it: one
    INSERT ... SELECT of the compiled rules), e.g. to export the list as of that date."""
    members = segment_customers(segment)
    snapshot = SegmentSnapshot.objects.create(segment=segment, count=0, with_members=with_members)
    if with_members:
        sql, params = members.order_by().values("id").query.sql_with_params()
        table = SegmentSnapshotMember._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} (snapshot_id, customer_id) SELECT %s, m.id FROM ({sql}) m",  # noqa: S608
                           [snapshot.pk, *params])
        count = snapshot.members.count()
    else:
        count = members.count()
    SegmentSnapshot.objects.filter(pk=snapshot.pk).update(count=count)  # the row was born with it
    snapshot.count = count
    if acting_user is not None:
        audit_record(actor=acting_user, action="segment_snapshot_take", obj=segment,
                     changes={"snapshot": snapshot.pk, "count": count, "with_members": with_members})
    return snapshot


def segments_snapshot_all() -> int:
    """The daily job: every segment's size today. Returns how many segments were counted."""
    segments = list(Segment.objects.all())
    counts = segment_counts(segments)
    SegmentSnapshot.objects.bulk_create([SegmentSnapshot(segment=s, count=counts[s.pk]) for s in segments])
    return len(segments)


def snapshot_customers(snapshot: SegmentSnapshot) -> QuerySet[Customer]:
    return Customer.objects.filter(pk__in=SegmentSnapshotMember.objects.filter(snapshot=snapshot).values(
        "customer_id"))


# --- exports --------------------------------------------------------------------------------

EXPORT_BATCH = 5000


def export_storage():
    """Where member exports are written: NOT under MEDIA_ROOT (served publicly at /media/), but
    in ``SEGMENT_EXPORTS_ROOT`` (default ``<OMNISHOP_VAR_DIR>/exports``), read back only through
    the permission-checked download views."""
    from pathlib import Path

    from django.conf import settings
    from django.core.files.storage import FileSystemStorage

    root = getattr(settings, "SEGMENT_EXPORTS_ROOT", None) or Path(settings.VAR_DIR) / "exports"
    return FileSystemStorage(location=root, base_url=None)


def segment_exports_expire(*, before) -> int:
    """Delete segment exports (files and rows) made before ``before``: member lists are personal
    data, kept as long as the customer list's exports (``customer_list.customer_exports_expire``,
    hourly, calls this). Returns how many."""
    storage = export_storage()
    old = list(SegmentExport.objects.filter(created_at__lt=before))
    for export in old:
        if export.file and storage.exists(export.file):
            storage.delete(export.file)
    SegmentExport.objects.filter(pk__in=[e.pk for e in old]).delete()
    return len(old)


EXPORT_COLUMNS = ("id", "family_name", "given_name", "family_name_kana", "given_name_kana", "email", "phone",
                  "postal_code", "prefecture", "city", "score__r", "score__f", "score__m", "score__label",
                  "score__monetary")


def export_header() -> list[str]:
    return [_("Customer ID"), _("Family name"), _("Given name"), _("Family name (furigana)"),
            _("Given name (furigana)"), _("Email"), _("Phone"), _("Postal code"), _("Prefecture"), _("City"),
            "R", "F", "M", _("RFM segment"), _("Total spent (¥)")]


@transaction.atomic
def segment_export_start(*, segment: Segment, encoding: str = ExportEncoding.UTF8_BOM,
                         snapshot: SegmentSnapshot | None = None, acting_user=None) -> SegmentExport:
    """Queue a members CSV (a django-q2 job; the console shows its progress). Personal data
    leaves the system: the request is audited."""
    if encoding not in ExportEncoding.values:
        raise ValidationError({"encoding": [_("Choose UTF-8 or Shift_JIS.")]})
    if snapshot is not None and (snapshot.segment_id != segment.pk or not snapshot.with_members):
        raise ValidationError({"snapshot": [_("Choose a snapshot of this segment that kept its members.")]})
    export = SegmentExport.objects.create(segment=segment, encoding=encoding, snapshot=snapshot,
                                          requested_by=_user(acting_user))
    audit_record(actor=acting_user, action="segment_export_start", obj=segment,
                 changes={"export": export.pk, "encoding": encoding, "snapshot": snapshot.pk if snapshot else None})

    def queue():
        from django.conf import settings
        from django_q.tasks import async_task

        async_task("customers.segments.segment_export_run", export.pk, task_name=f"segment-export-{export.pk}",
                   sync=settings.Q_CLUSTER.get("sync", False))

    transaction.on_commit(queue)
    return export


def segment_export_run(export_id: int) -> SegmentExport:
    """Stream the CSV to its file: ONE query read ``EXPORT_BATCH`` rows at a time
    (``iterator(chunk_size=...)``, a server-side cursor on PostgreSQL), each chunk written and
    flushed before the next is fetched, the progress saved after each. The whole list is never
    held in memory. Cells that would start a spreadsheet formula get a leading apostrophe; in
    Shift_JIS, characters it lacks get the customer list's substitutes (𠮷→吉). Safe to run twice:
    a finished export is left alone, an interrupted one deletes its partial file and starts over."""
    import secrets

    from django.conf import settings
    from django.utils import translation

    from .customer_list import csv_cell, shift_jis_text

    export = SegmentExport.objects.select_related("segment", "snapshot", "requested_by").get(pk=export_id)
    if export.status == JobStatus.DONE:
        return export
    storage = export_storage()
    if export.file:  # an earlier run died half-way: its partial file goes
        storage.delete(export.file)
    members = snapshot_customers(export.snapshot) if export.snapshot else segment_customers(export.segment)
    total = members.count()
    name = f"segment-{export.segment_id}-{export.pk}-{secrets.token_hex(8)}.csv"
    SegmentExport.objects.filter(pk=export.pk).update(status=JobStatus.RUNNING, total=total, done=0, file=name,
                                                      error="")
    prefectures, rfm_labels = dict(Prefecture.choices), dict(RfmLabel.choices)
    shift_jis = export.encoding == ExportEncoding.SHIFT_JIS
    replaced: dict = {}  # what Shift_JIS lacked (the segment export has no column to report it)

    def cells(row) -> list[str]:
        out = [csv_cell(value) for value in row]
        return [shift_jis_text(cell, replaced) for cell in out] if shift_jis else out

    path = storage.path(name)
    done = 0
    language = getattr(export.requested_by, "language", "") or settings.LANGUAGE_CODE
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with translation.override(language), open(path, "x", encoding=export.encoding, errors="replace",
                                                  newline="") as out:
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(cells(export_header()))
            rows = members.order_by("pk").values_list(*EXPORT_COLUMNS).iterator(chunk_size=EXPORT_BATCH)
            for row in rows:
                row = list(row)
                row[8] = prefectures.get(row[8], row[8])
                row[13] = rfm_labels.get(row[13], row[13])
                writer.writerow(cells(row))
                done += 1
                if done % EXPORT_BATCH == 0:  # a chunk is written: on disk, and on the progress bar
                    out.flush()
                    SegmentExport.objects.filter(pk=export.pk).update(done=done)
    except Exception as exc:
        storage.delete(name)
        SegmentExport.objects.filter(pk=export.pk).update(status=JobStatus.FAILED, error=str(exc)[:1000], file="",
                                                          finished_at=timezone.now())
        raise
    SegmentExport.objects.filter(pk=export.pk).update(status=JobStatus.DONE, done=done, total=done, file=name,
                                                      finished_at=timezone.now())
    export.refresh_from_db()
    return export
