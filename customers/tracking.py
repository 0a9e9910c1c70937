"""First-party events: what the storefront script and other systems send to ``POST /api/v1/events/``,
the visitor's analytics consent, anonymous browsers and their expiry, and the customer 360 timeline.

- **Ingest** (``events_ingest``): a batch of typed events (``EVENT_TYPES``: each type has an
  allow-listed schema of properties), validated as a whole: any bad item refuses the batch with
  errors keyed by its index (``{"3.type": [...]}``) and nothing is stored. Every event carries a
  client-generated ``id`` (UUID, unique in ``CustomerEvent.uid``): a retried batch stores each
  event once (one bulk insert that ignores conflicts).
- **Browsers** (the storefront script, same origin, session cookies and CSRF token) may send the
  storefront types only, and only with the visitor's analytics consent (``analytics_consent``);
  without it, or from a crawler or a flood (``bot_reason``), events are counted per day and
  reason (``FilteredEventCount``) and not stored. Their events carry the browser id
  (``kernel.browser``) and the customer when signed in.
- **Other systems** (a token with ``customers.ingest_events``) send any type, naming the customer
  by id or by an identity, or a browser id, with their channel and location.
- **Anonymous events** (no customer) are attached to the customer on sign-in or sign-up
  (``browser_attach``, from ``user_logged_in``), with a browser identity; those of browsers that
  never became anyone expire after ``ANONYMOUS_EVENT_RETENTION_DAYS`` (a daily job).
- **Consent**: the banner's decision is a ledger row. A signed-in customer's is a
  ``ConsentRecord`` with purpose ``analytics`` and an empty channel (analytics consent is per
  purpose, not per contact channel); an anonymous visitor's a ``BrowserConsent`` keyed by browser
  id, copied to their own ledger when they sign in; and a signed cookie remembers it for the page.
"""

import contextlib
import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kernel.audit import audit_record
from kernel.browser import BROWSER_ID_RE, tracking_refused
from kernel.events import publish
from kernel.models import Channel, ChannelKind, Location
from kernel.parsers import MAX_JSON_DEPTH
from kernel.subjects import product_subject, sku_subject

from . import domain_events
from .consent import consent_decide, consent_decision
from .errors import IdentityClaimed
from .identities import identities_find, identity_add, identity_normalise
from .models import (
    BrowserConsent,
    ConsentChannel,
    ConsentPurpose,
    ConsentRecord,
    ConsentSource,
    Customer,
    CustomerEvent,
    EventKind,
    FilteredEventCount,
    FilteredEventReason,
    Identity,
    IdentityKind,
    InteractionChannel,
)

logger = logging.getLogger(__name__)

CONSENT_COOKIE_SALT = "customers.analytics-consent"
BANNER_SOURCE = "banner"  # the ledger's source_detail (its source is the storefront)
BANNER_BROWSER_SOURCE = "banner, before signing in"  # decided before signing in, copied at sign-in
INGEST_SOURCE = "api-events"
# The consent ledger's channel for analytics: the online store itself (it contacts no one).
ANALYTICS_CONSENT_CHANNEL = ConsentChannel.WEB


def setting(name: str, default):
    return getattr(settings, name, default)


def max_batch() -> int:
    return setting("EVENTS_MAX_BATCH", 500)


def max_properties_bytes() -> int:
    return setting("EVENTS_MAX_PROPERTIES_BYTES", 4096)


def max_properties_depth() -> int:
    return setting("EVENTS_MAX_PROPERTIES_DEPTH", 3)


def max_age() -> timedelta:
    return timedelta(days=setting("EVENTS_MAX_AGE_DAYS", 30))


def max_clock_skew() -> timedelta:
    return timedelta(seconds=setting("EVENTS_MAX_CLOCK_SKEW_SECONDS", 300))


def retention_days() -> int:
    return setting("ANONYMOUS_EVENT_RETENTION_DAYS", 90)


def browser_rate_per_minute() -> int:
    return setting("EVENTS_BROWSER_MAX_PER_MINUTE", 300)


# --- the event types -------------------------------------------------------------------------

@dataclass(frozen=True)
class Prop:
    """One property of an event type: a string up to ``max_length`` or an integer in [low, high]."""

    type: type
    required: bool = False
    max_length: int = 200
    low: int = 0
    high: int = 10**9


@dataclass(frozen=True)
class EventType:
    kind: str  # the EventKind it is stored as
    props: dict[str, Prop]
    browser: bool = False  # the storefront script may send it
    extra: bool = False  # other properties are kept (within the size and depth limits)
    subject: str = ""  # the property naming what it is about: product code or SKU
    label: str = field(default="", compare=False)


def _subject(event_type: EventType, properties: dict) -> str:
    if event_type.subject == "code":
        return product_subject(properties["code"])
    if event_type.subject == "sku":
        return sku_subject(properties["sku"])
    return ""


URL = 2000
EVENT_TYPES: dict[str, EventType] = {
    # what the storefront script sends
    "page_view": EventType(EventKind.PAGE_VIEWED, {"path": Prop(str, True, URL), "title": Prop(str, max_length=300),
                                                   "referrer": Prop(str, max_length=URL)}, browser=True),
    "product_view": EventType(EventKind.PRODUCT_VIEWED, {"code": Prop(str, True, 60)}, browser=True, subject="code"),
    "search": EventType(EventKind.SEARCHED, {"query": Prop(str, True, 200), "results": Prop(int)}, browser=True),
    "add_to_cart": EventType(EventKind.CART_ADDED, {"sku": Prop(str, True, 60),
                                                    "quantity": Prop(int, True, low=1, high=99)},
                             browser=True, subject="sku"),
    # what other systems send (POS, email and SMS providers, marketplaces)
    "store_visit": EventType(EventKind.STORE_VISIT, {"note": Prop(str, max_length=500)}, extra=True),
    "email_sent": EventType(EventKind.EMAIL_SENT, {"message": Prop(str, True)}, extra=True),
    "email_opened": EventType(EventKind.EMAIL_OPENED, {"message": Prop(str, True)}, extra=True),
    "email_clicked": EventType(EventKind.EMAIL_CLICKED, {"message": Prop(str, True), "url": Prop(str, max_length=URL)},
                               extra=True),
    "sms_sent": EventType(EventKind.SMS_SENT, {"message": Prop(str, True)}, extra=True),
    "coupon_redeemed": EventType(EventKind.COUPON_REDEEMED, {"code": Prop(str, True, 60)}, extra=True),
}
BROWSER_TYPES = tuple(name for name, event_type in EVENT_TYPES.items() if event_type.browser)
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
BROWSER_FIELDS = frozenset({"id", "type", "occurred_at", "properties", "campaign", *UTM_FIELDS})
SYSTEM_FIELDS = BROWSER_FIELDS | {"customer", "identity", "browser_id", "channel", "location"}


# --- bots ------------------------------------------------------------------------------------

# Crawlers, link previewers, monitoring, HTTP libraries and automated browsers name themselves in
# the user agent; a real visitor's browser does not contain any of these words.
BOT_USER_AGENT = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|scrap|headless|phantomjs|selenium|puppeteer|playwright|lighthouse|"
    r"pagespeed|gtmetrix|pingdom|uptime|monitor|preview|facebookexternalhit|embedly|quora link|whatsapp|"
    r"python-|httpx|aiohttp|curl/|wget/|go-http-client|java/|okhttp|node-fetch|axios|libwww|feedfetcher|"
    r"mediapartners|baiduspider|yandex|ahrefs|semrush|mj12|petalbot|bytespider|applebot|duckduck",
    re.IGNORECASE,
)


def bot_reason(*, user_agent: str, browser_id: str | None, count: int) -> str | None:
    """Why a browser's batch is not a visitor's (a FilteredEventReason), or None: a crawler or
    headless user agent (an empty one too), or more than ``EVENTS_BROWSER_MAX_PER_MINUTE``
    events from one browser in a minute (no person clicks that fast)."""
    if not user_agent.strip() or BOT_USER_AGENT.search(user_agent):
        return FilteredEventReason.BOT
    if browser_id:
        key = f"events-rate:{browser_id}:{int(timezone.now().timestamp() // 60)}"
        if cache.add(key, count, 120):
            total = count
        else:
            try:
                total = cache.incr(key, count)
            except ValueError:
                total = count
        if total > browser_rate_per_minute():
            return FilteredEventReason.RATE
    return None


def filtered_count(*, reason: str, count: int) -> None:
    """Count ``count`` events refused for ``reason`` today (one row per day and reason)."""
    if count <= 0:
        return
    day = timezone.localdate()
    if FilteredEventCount.objects.filter(day=day, reason=reason).update(count=F("count") + count):
        return
    try:
        with transaction.atomic():
            FilteredEventCount.objects.create(day=day, reason=reason, count=count)
    except IntegrityError:  # another request opened the day's row first
        FilteredEventCount.objects.filter(day=day, reason=reason).update(count=F("count") + count)


# --- analytics consent -----------------------------------------------------------------------

def consent_cookie_name() -> str:
    return setting("ANALYTICS_CONSENT_COOKIE_NAME", "omnishop_analytics")


def consent_cookie(request) -> bool | None:
    """The banner's decision remembered by this browser (signed cookie), or None."""
    value = request.get_signed_cookie(consent_cookie_name(), default=None, salt=CONSENT_COOKIE_SALT,
                                      max_age=retention_days() * 86400)
    return {"1": True, "0": False}.get(value)


def consent_cookie_set(response, granted: bool) -> None:
    """Remember the decision as long as the ledger row that proves it is kept (the retention
    period of anonymous profiles): after that the banner asks again."""
    response.set_signed_cookie(consent_cookie_name(), "1" if granted else "0", salt=CONSENT_COOKIE_SALT,
                               max_age=retention_days() * 86400, secure=settings.SESSION_COOKIE_SECURE,
                               httponly=True, samesite="Lax")


def customer_analytics_consent(*, customer: Customer) -> bool | None:
    """The customer's latest analytics decision in their own ledger, or None when never asked."""
    record = consent_decision(customer=customer, channel=ANALYTICS_CONSENT_CHANNEL, purpose=ConsentPurpose.ANALYTICS)
    return record.granted if record is not None else None


def request_customer(request) -> Customer | None:
    """The signed-in storefront customer (staff browsing the shop are nobody's customer)."""
    from kernel.api import is_customer_account

    user = getattr(request, "user", None)
    return user.customer if user is not None and is_customer_account(user) else None


def analytics_consent(request) -> bool | None:
    """May this browser's behaviour be measured? False when the browser refuses tracking (GPC or
    DNT: then nobody asks); else the signed-in customer's own ledger, else the banner's cookie;
    None: not decided yet (the banner asks)."""
    if tracking_refused(request):
        return False
    customer = request_customer(request)
    if customer is not None:
        decided = customer_analytics_consent(customer=customer)
        if decided is not None:
            return decided
    return consent_cookie(request)


@transaction.atomic
def analytics_consent_record(*, granted: bool, browser_id: str, customer: Customer | None = None,
                             source: str = BANNER_SOURCE, ip_address: str | None = None, user_agent: str = "",
                             acting_user=None) -> ConsentRecord | BrowserConsent | None:
    """Record a visitor's "Accept analytics" or "Decline": in the customer's own consent ledger
    when signed in (through the consent service: channel ``web``, purpose analytics, source
    storefront with ``source`` as its detail, and a timeline entry), else in the browser's ledger
    (keyed by ``browser_id``, copied to the customer's when they sign in)."""
    if customer is not None:
        record = consent_decide(customer=customer, channel=ANALYTICS_CONSENT_CHANNEL,
                                purpose=ConsentPurpose.ANALYTICS, granted=granted, source=ConsentSource.STOREFRONT,
                                source_detail=source, acting_user=acting_user, ip_address=ip_address,
                                user_agent=user_agent)
        if record is None:  # already the decision in force: nothing to record or announce
            return consent_decision(customer=customer, channel=ANALYTICS_CONSENT_CHANNEL,
                                    purpose=ConsentPurpose.ANALYTICS)
    elif browser_id:
        record = BrowserConsent.objects.create(browser_id=browser_id, purpose=ConsentPurpose.ANALYTICS,
                                               granted=granted, source=source, ip_address=ip_address,
                                               user_agent=(user_agent or "")[:300])
    else:  # a visitor without a browser id declined: the signed cookie is the only record kept
        return None
    publish(domain_events.ANALYTICS_CONSENT_CHANGED, subject=f"customer:{customer.pk}" if customer else "",
            actor=acting_user,
            payload=domain_events.AnalyticsConsentChanged(customer_id=customer.pk if customer else None,
                                                          browser_id=browser_id or "", granted=granted,
                                                          source=source))
    return record


# --- ingest ----------------------------------------------------------------------------------

@dataclass
class IngestResult:
    received: int
    stored: int = 0
    duplicates: int = 0
    filtered: int = 0
    reason: str = ""


def _json_size(value) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def _depth(value) -> int:
    """How deep ``value`` nests (a scalar 0, {"a": 1} 1), walked without recursion."""
    deepest, pending = 0, [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            if depth > MAX_JSON_DEPTH:
                return depth
            pending.extend((child, depth) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _check_properties(event_type: EventType, properties, errors: dict, at: str) -> dict:
    if not isinstance(properties, dict):
        errors[f"{at}.properties"] = [_("Send the properties as an object.")]
        return {}
    flat = all(not isinstance(value, dict | list) for value in properties.values())
    if not flat and _depth(properties) > max_properties_depth():
        errors[f"{at}.properties"] = [_("Properties may nest at most %(n)d levels deep.") % {"n": max_properties_depth()}]
        return {}
    limit = max_properties_bytes()
    if flat:
        # what the storefront sends is measured without serialising it unless it may be too big: an
        # upper bound of its JSON size (an escaped character takes at most 6 bytes per byte)
        bound = sum(6 * (len(key.encode()) + (len(value.encode()) if isinstance(value, str) else 24)) + 4
                    for key, value in properties.items())
        too_big = bound > limit and _json_size(properties) > limit
    else:
        too_big = _json_size(properties) > limit
    if too_big:
        errors[f"{at}.properties"] = [_("Properties may take at most %(n)d bytes.") % {"n": limit}]
        return {}
    clean = {}
    for name, prop in event_type.props.items():
        value = properties.get(name)
        where = f"{at}.properties.{name}"
        if value is None or value == "":
            if prop.required:
                errors[where] = [_("This property is required.")]
            continue
        if prop.type is int:
            if isinstance(value, bool) or not isinstance(value, int) or not prop.low <= value <= prop.high:
                errors[where] = [_("Send a whole number from %(low)d to %(high)d.") % {"low": prop.low,
                                                                                       "high": prop.high}]
                continue
        elif not isinstance(value, str) or len(value) > prop.max_length:
            errors[where] = [_("Send text of at most %(n)d characters.") % {"n": prop.max_length}]
            continue
        clean[name] = value.strip() if isinstance(value, str) else value
    unknown = sorted(set(properties) - set(event_type.props))
    if unknown:
        if event_type.extra:
            clean.update({name: properties[name] for name in unknown})
        else:
            errors[f"{at}.properties"] = [_("Unknown properties: %(names)s.") % {"names": ", ".join(unknown)}]
    return clean


@dataclass
class _Item:
    uid: uuid.UUID
    event_type: EventType
    occurred_at: object
    properties: dict
    fields: dict  # campaign and UTM
    customer_id: int | None = None
    identity: tuple[str, str] | None = None
    browser_id: str = ""
    channel: str = ""
    location: str = ""


def _parse(events, *, system: bool) -> tuple[list[_Item], dict[str, list[str]]]:
    """Check the whole batch; return the items and the errors keyed ``"<index>.<field>"``."""
    errors: dict[str, list[str]] = {}
    if not isinstance(events, list):
        return [], {"non_field_errors": [_("Send a JSON array of events.")]}
    if not events:
        return [], {"non_field_errors": [_("Send at least one event.")]}
    if len(events) > max_batch():
        return [], {"non_field_errors": [_("Send at most %(n)d events per request.") % {"n": max_batch()}]}
    now = timezone.now()
    items: list[_Item] = []
    allowed = SYSTEM_FIELDS if system else BROWSER_FIELDS
    for index, raw in enumerate(events):
        at = str(index)
        if not isinstance(raw, dict):
            errors[at] = [_("Send each event as an object.")]
            continue
        unknown = sorted(set(raw) - allowed)
        if unknown:
            errors[at] = [_("Unknown fields: %(names)s.") % {"names": ", ".join(unknown)}]
        type_name = raw.get("type")
        event_type = EVENT_TYPES.get(type_name) if isinstance(type_name, str) else None
        if event_type is None or (not system and not event_type.browser):
            known = EVENT_TYPES if system else BROWSER_TYPES
            errors[f"{at}.type"] = [_("Unknown event type; known types: %(types)s.") % {"types": ", ".join(known)}]
        try:
            uid = uuid.UUID(str(raw.get("id") or ""))
        except ValueError:
            errors[f"{at}.id"] = [_("Send a UUID that names this event (the same one when the batch is retried).")]
            uid = None
        occurred_at = now
        if raw.get("occurred_at") not in (None, ""):
            parsed = parse_datetime(raw["occurred_at"]) if isinstance(raw["occurred_at"], str) else None
            if parsed is None or timezone.is_naive(parsed):
                errors[f"{at}.occurred_at"] = [_("Send an ISO 8601 time with its offset, e.g. "
                                                 "2026-11-30T20:15:00+09:00.")]
            elif parsed > now + max_clock_skew():
                errors[f"{at}.occurred_at"] = [_("This time is in the future.")]
            elif parsed < now - max_age():
                errors[f"{at}.occurred_at"] = [_("Events older than %(n)d days are not accepted.")
                                               % {"n": max_age().days}]
            else:
                occurred_at = parsed
        fields = {}
        for name, limit in (("campaign", 60), *((name, 100) for name in UTM_FIELDS)):
            value = raw.get(name, "")
            if value in (None, ""):
                continue
            if not isinstance(value, str) or len(value) > limit:
                errors[f"{at}.{name}"] = [_("Send text of at most %(n)d characters.") % {"n": limit}]
            else:
                fields[name] = value.strip()
        properties = (_check_properties(event_type, raw.get("properties", {}), errors, at)
                      if event_type is not None else {})
        item = _Item(uid=uid, event_type=event_type, occurred_at=occurred_at, properties=properties, fields=fields)
        if system:
            _parse_system_fields(raw, item, errors, at)
        items.append(item)
    return items, errors


def _parse_system_fields(raw: dict, item: _Item, errors: dict, at: str) -> None:
    who = [name for name in ("customer", "identity", "browser_id") if raw.get(name) not in (None, "")]
    if not who:
        errors[f"{at}.customer"] = [_("Name the customer (customer, identity) or the browser (browser_id).")]
    customer = raw.get("customer")
    if customer not in (None, ""):
        if isinstance(customer, bool) or not isinstance(customer, int) or customer <= 0:
            errors[f"{at}.customer"] = [_("Send the customer's id.")]
        else:
            item.customer_id = customer
    identity = raw.get("identity")
    if identity not in (None, ""):
        if not isinstance(identity, dict) or set(identity) != {"kind", "value"}:
            errors[f"{at}.identity"] = [_('Send the identity as {"kind": ..., "value": ...}.')]
        else:
            try:
                value = identity_normalise(kind=str(identity["kind"]), value=str(identity["value"]))
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    errors[f"{at}.identity.{name}"] = messages
            else:
                item.identity = (identity["kind"], value)
    browser = raw.get("browser_id")
    if browser not in (None, ""):
        if not isinstance(browser, str) or not BROWSER_ID_RE.fullmatch(browser):
            errors[f"{at}.browser_id"] = [_("A browser id is 32 hexadecimal characters.")]
        else:
            item.browser_id = browser
    for name in ("channel", "location"):
        value = raw.get(name)
        if value in (None, ""):
            continue
        if not isinstance(value, str) or len(value) > 40:
            errors[f"{at}.{name}"] = [_("Send the code.")]
        else:
            setattr(item, name, value)


def _resolve(items: list[_Item], errors: dict) -> tuple[dict, dict, dict]:
    """Customers, channels and locations named by the batch, a few queries for all of it."""
    ids = {item.customer_id for item in items if item.customer_id}
    customers = set(Customer.objects.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    known = identities_find(item.identity for item in items if item.identity)
    channel_codes = {item.channel for item in items if item.channel}
    location_codes = {item.location for item in items if item.location}
    channels = dict(Channel.objects.filter(code__in=channel_codes).values_list("code", "pk")) if channel_codes else {}
    locations = (dict(Location.objects.filter(code__in=location_codes).values_list("code", "pk"))
                 if location_codes else {})
    for index, item in enumerate(items):
        if item.customer_id and item.customer_id not in customers:
            errors[f"{index}.customer"] = [_("No customer has this id.")]
        if item.identity:
            owner = known.get(item.identity)
            if owner is None:
                errors[f"{index}.identity"] = [_("No customer is known by this identity.")]
            elif item.customer_id and owner != item.customer_id:
                errors[f"{index}.identity"] = [_("This identity belongs to another customer than the one named.")]
            else:
                item.customer_id = owner
        if item.channel and item.channel not in channels:
            errors[f"{index}.channel"] = [_("Unknown channel code.")]
        if item.location and item.location not in locations:
            errors[f"{index}.location"] = [_("Unknown location code.")]
    return customers, channels, locations


# The columns the ingest writes, in the order of ``_rows``' tuples.
INGEST_COLUMNS = ("uid", "kind", "occurred_at", "customer_id", "browser_id", "channel_id", "location_id", "subject",
                  "data", "interaction", "campaign", *UTM_FIELDS)


def _rows(items: list[_Item], *, customer_id=None, browser_id: str = "", channel_id=None, channels=None,
          locations=None) -> list[tuple]:
    """The batch as INSERT parameters (``INGEST_COLUMNS``), each event once, adapted the way the
    model's fields store them (PostgreSQL: native uuid and timestamptz; SQLite: hex and UTC text)."""
    conn = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: the ``connection`` proxy costs a lookup per use
    native = conn.vendor == "postgresql"
    adapt_time = conn.ops.adapt_datetimefield_value
    channels, locations = channels or {}, locations or {}
    rows, seen = [], set()
    for item in items:
        if item.uid in seen:  # the same event twice in one batch
            continue
        seen.add(item.uid)
        extra = item.fields
        kind = item.event_type.kind
        rows.append((
            item.uid if native else item.uid.hex, kind, item.occurred_at if native else adapt_time(item.occurred_at),
            item.customer_id or customer_id, item.browser_id or browser_id or "",
            channels.get(item.channel) or channel_id, locations.get(item.location),
            _subject(item.event_type, item.properties), json.dumps(item.properties, ensure_ascii=False),
            InteractionChannel.STORE if kind == EventKind.STORE_VISIT else "",
            extra.get("campaign", ""), *(extra.get(name, "") for name in UTM_FIELDS),
        ))
    return rows


# PostgreSQL: the whole batch as one array per column (``unnest``), so the statement has 18
# parameters whatever the batch size (a VALUES list of 500 rows has 9,000 for the driver to bind).
PG_COLUMN_TYPES = ("uuid", "varchar", "timestamptz", "bigint", "varchar", "bigint", "bigint", "varchar", "jsonb",
                   "varchar", "varchar", "varchar", "varchar", "varchar", "varchar", "varchar")


def _store(rows: list[tuple]) -> int:
    """Insert the rows, skipping every event id already stored (``ON CONFLICT (uid) DO NOTHING``:
    a retried batch, also one retried concurrently); return how many were new. One INSERT in SQL
    (the ORM's bulk_create spent most of a batch's time building and binding objects)."""
    if not rows:
        return 0
    quote = connection.ops.quote_name
    table = quote(CustomerEvent._meta.db_table)
    columns = ", ".join(quote(name) for name in INGEST_COLUMNS)
    conflict = f"ON CONFLICT ({quote('uid')}) DO NOTHING RETURNING {quote('uid')}"
    stored = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{kind}[]" for kind in PG_COLUMN_TYPES)
            values = [list(column) for column in zip(*rows, strict=True)]
            cursor.execute(f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays}) {conflict}",  # noqa: S608
                           values)
            return len(cursor.fetchall())
        placeholder = "(" + ", ".join(["%s"] * len(INGEST_COLUMNS)) + ")"
        per_insert = max(1, min(len(rows), (connection.features.max_query_params or 999) // len(INGEST_COLUMNS)))
        for start in range(0, len(rows), per_insert):
            chunk = rows[start:start + per_insert]
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholder] * len(chunk))} "  # noqa: S608
                           f"{conflict}", [value for row in chunk for value in row])
            stored += len(cursor.fetchall())
    return stored


class EventsInvalid(ValidationError):
    """The batch was refused: ``message_dict`` names each bad item by index."""


def events_ingest_browser(*, events, browser_id: str, customer: Customer | None, consent: bool | None,
                          user_agent: str, channel=None) -> IngestResult:
    """The storefront script's batch for one browser (see the module's docstring). Raise
    EventsInvalid naming the bad items; store nothing then."""
    received = len(events) if isinstance(events, list) else 0
    if consent is not True:
        filtered_count(reason=FilteredEventReason.NO_CONSENT, count=received)
        return IngestResult(received, filtered=received, reason=FilteredEventReason.NO_CONSENT)
    reason = bot_reason(user_agent=user_agent, browser_id=None, count=received)
    if reason:
        filtered_count(reason=reason, count=received)
        return IngestResult(received, filtered=received, reason=reason)
    items, errors = _parse(events, system=False)
    if errors:
        raise EventsInvalid(errors)
    reason = bot_reason(user_agent=user_agent, browser_id=browser_id, count=received)
    if reason:
        filtered_count(reason=reason, count=received)
        return IngestResult(received, filtered=received, reason=reason)
    rows = _rows(items, customer_id=customer.pk if customer else None, browser_id=browser_id,
                 channel_id=channel.pk if channel else None)
    with transaction.atomic():
        stored = _store(rows)
    return IngestResult(received, stored=stored, duplicates=len(items) - stored)


def events_ingest_system(*, events, acting_user) -> IngestResult:
    """Another system's batch (a token with ``customers.ingest_events``): any type, each naming
    its customer (id or identity) or browser. Raise EventsInvalid naming the bad items; store
    nothing then. One audit entry per batch names the sender."""
    items, errors = _parse(events, system=True)
    if not errors:
        _customers, channels, locations = _resolve(items, errors)
    if errors:
        raise EventsInvalid(errors)
    rows = _rows(items, channels=channels, locations=locations)
    with transaction.atomic():
        stored = _store(rows)
        audit_record(actor=acting_user, action="events_ingest", obj=acting_user,
                     changes={"received": len(items), "stored": stored, "duplicates": len(items) - stored},
                     object_repr=str(acting_user))
    return IngestResult(len(items), stored=stored, duplicates=len(items) - stored)


# --- sign-in: the browser becomes the customer's -----------------------------------------

@transaction.atomic
def browser_attach(*, customer: Customer, browser_id: str, acting_user=None) -> int:
    """The browser's anonymous events become the customer's, the browser one of their
    identities, and its latest banner decision (if newer than the customer's own) a row of their
    consent ledger. Returns the number of events attached. A browser another customer signed in
    with before keeps that identity (a shared computer is not a reason to merge two people);
    its anonymous events since then go to the customer signing in now."""
    if not BROWSER_ID_RE.fullmatch(browser_id or ""):
        return 0
    decision = (BrowserConsent.objects.filter(browser_id=browser_id, purpose=ConsentPurpose.ANALYTICS)
                .order_by("-created_at", "-id").first())
    measured = (decision is not None and decision.granted) or CustomerEvent.objects.filter(
        browser_id=browser_id, customer__isnull=True).exists()
    # the browser becomes one of their identities only where it was measured with their consent
    if measured and not Identity.objects.filter(kind=IdentityKind.BROWSER, value=browser_id).exists():
        with contextlib.suppress(IdentityClaimed):  # another customer's sign-in on this browser just now
            identity_add(customer=customer, kind=IdentityKind.BROWSER, value=browser_id, source="sign-in",
                         acting_user=acting_user)
    attached = CustomerEvent.objects.filter(browser_id=browser_id, customer__isnull=True).update(customer=customer)
    if decision is not None:
        own = (ConsentRecord.objects.filter(customer=customer, channel=ANALYTICS_CONSENT_CHANNEL,
                                            purpose=ConsentPurpose.ANALYTICS)
               .order_by("-created_at", "-id").first())
        if own is None or (own.created_at < decision.created_at and own.granted != decision.granted):
            analytics_consent_record(granted=decision.granted, browser_id=browser_id, customer=customer,
                                     source=BANNER_BROWSER_SOURCE, acting_user=acting_user)
    if attached:
        audit_record(actor=acting_user, action="browser_attach", obj=customer,
                     changes={"browser": browser_id[:8], "events": attached})
    return attached


def browser_attach_on_sign_in(sender, request=None, user=None, **kwargs) -> None:
    """``user_logged_in`` receiver (``CustomersConfig.ready``): on sign-in and sign-up (which
    signs in) the browser's anonymous events and banner decision join the customer."""
    from kernel.browser import browser_id as request_browser_id

    customer = getattr(user, "customer", None) if user is not None else None
    if request is None or customer is None:
        return
    bid = request_browser_id(request)
    if bid:
        browser_attach(customer=customer, browser_id=bid, acting_user=user)


# --- retention -------------------------------------------------------------------------------

def anonymous_events_expire(*, now=None, batch: int | None = None) -> int:
    """Delete the events and banner decisions of anonymous browsers (no customer, no identity)
    older than ``ANONYMOUS_EVENT_RETENTION_DAYS``, in batches of ``EVENTS_EXPIRE_BATCH`` (each its
    own transaction, so a long purge never holds a lock for long and can stop anywhere). Returns
    the number of events deleted. The daily django-q2 schedule ``customers.anonymous_events_expire``
    runs it; running it twice is harmless."""
    batch = batch or setting("EVENTS_EXPIRE_BATCH", 5000)
    cutoff = (now or timezone.now()) - timedelta(days=retention_days())
    known = Identity.objects.filter(kind=IdentityKind.BROWSER).values("value")
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(CustomerEvent.objects.filter(customer__isnull=True, occurred_at__lt=cutoff)
                       .exclude(browser_id__in=known).values_list("pk", flat=True)[:batch])
            if not ids:
                break
            CustomerEvent.objects.filter(pk__in=ids).delete()
            deleted += len(ids)
    consents = 0
    while True:
        with transaction.atomic():
            ids = list(BrowserConsent.objects.filter(created_at__lt=cutoff).exclude(browser_id__in=known)
                       .values_list("pk", flat=True)[:batch])
            if not ids:
                break
            BrowserConsent.objects.filter(pk__in=ids).delete()
            consents += len(ids)
    if deleted or consents:
        logger.info("anonymous browsers expired: %s events, %s banner decisions before %s", deleted, consents,
                    cutoff.isoformat())
    return deleted


# --- the customer 360 timeline ---------------------------------------------------------------

MESSAGE_KINDS = (EventKind.EMAIL_SENT, EventKind.EMAIL_OPENED, EventKind.EMAIL_CLICKED)


@dataclass(frozen=True)
class TimelineFilter:
    key: str
    label: str
    condition: Q


def timeline_filters() -> list[TimelineFilter]:
    """The channels the console's timeline filters by: where the touchpoint happened, however it
    is recorded (a sales channel, a message, a staff interaction's channel)."""
    return [
        TimelineFilter("online", pgettext("timeline channel", "Online"), Q(channel__kind__in=[ChannelKind.WEB, ChannelKind.APP])
                       | Q(channel__isnull=True, kind__in=[EventKind.PAGE_VIEWED, EventKind.SEARCHED])),
        TimelineFilter("store", pgettext("timeline channel", "Stores"), Q(channel__kind=ChannelKind.POS) | Q(interaction=InteractionChannel.STORE)
                       | Q(kind=EventKind.STORE_VISIT) | Q(kind=EventKind.PICKUP_COMPLETED)),
        TimelineFilter("email", pgettext("timeline channel", "Email"), Q(kind__in=MESSAGE_KINDS)),
        TimelineFilter("sms", pgettext("timeline channel", "SMS"), Q(kind__in=[EventKind.SMS_SENT, EventKind.SMS_CLICKED])),
        TimelineFilter("phone", pgettext("timeline channel", "Phone"), Q(channel__kind=ChannelKind.PHONE) | Q(interaction=InteractionChannel.PHONE)),
        TimelineFilter("chat", pgettext("timeline channel", "Chat"), Q(interaction=InteractionChannel.CHAT)),
        TimelineFilter("social", pgettext("timeline channel", "Social"), Q(channel__kind=ChannelKind.SOCIAL)
                       | Q(interaction=InteractionChannel.SOCIAL_DM)),
        TimelineFilter("marketplace", pgettext("timeline channel", "Marketplaces"), Q(channel__kind=ChannelKind.MARKETPLACE)),
    ]


TIMELINE_PAGE_SIZE = 50


def customer_timeline_page(*, customer: Customer, channel: str = "", page=1, user=None,
                           per_page: int = TIMELINE_PAGE_SIZE):
    """One page of the customer's events, newest first, filtered by ``channel`` (a
    ``timeline_filters`` key; unknown or empty: all), each labelled
    (``selectors.events_labelled``). The same few queries whatever the page holds."""
    from .selectors import customer_events, events_labelled

    events = customer_events(customer=customer)
    chosen = next((f for f in timeline_filters() if f.key == channel), None)
    if chosen is not None:
        events = events.filter(chosen.condition)
    paginator = Paginator(events, per_page)
    page_obj = paginator.get_page(page)
    page_obj.object_list = events_labelled(page_obj.object_list, user=user)
    return page_obj, (chosen.key if chosen else "")


def customer_events_filtered(*, customer: Customer, channel: str = "", kind: str = ""):
    """The API's list: the customer's events, optionally one timeline channel and one kind."""
    from .selectors import customer_events

    events = customer_events(customer=customer)
    chosen = next((f for f in timeline_filters() if f.key == channel), None)
    if chosen is not None:
        events = events.filter(chosen.condition)
    if kind:
        events = events.filter(kind=kind)
    return events
