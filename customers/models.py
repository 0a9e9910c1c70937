"""The single customer view: one customer across channels, consent as a ledger, and the
append-only event stream of every touchpoint."""

import re

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models
from django.db.models import Func, Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kernel.japan import Prefecture, normalize_phone, normalize_text, search_key, validate_phone
from kernel.models import AppendOnlyModel


class ConsentChannel(models.TextChoices):
    """How we may reach a customer, and the online store itself. Transactional messages (an
    order's emails) need no consent. ``WEB`` is not a way of contacting anyone: it carries the
    decisions about the online store and app (measuring visits, tailoring what they show), so it
    has no marketing purpose (``consent_applies``) and is no one's preferred channel."""

    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    LINE = "line", _("LINE")
    PUSH = "push", _("Push notification")
    POSTAL = "postal", _("Direct mail")
    PHONE = "phone", _("Phone call")
    WEB = "web", _("Online store and app")


# The channels a message can be sent on (preferred channel, personas, campaign audiences).
CONTACT_CHANNELS = [channel for channel in ConsentChannel if channel != ConsentChannel.WEB]
CONTACT_CHANNEL_CHOICES = [(channel.value, channel.label) for channel in CONTACT_CHANNELS]


def consent_applies(channel: str, purpose: str) -> bool:
    """Whether (channel, purpose) is a decision one can make: every purpose on every contact
    channel, and on the online store personalisation and analytics (it sends no marketing)."""
    return not (channel == ConsentChannel.WEB and purpose == ConsentPurpose.MARKETING)


class ConsentPurpose(models.TextChoices):
    """What a consent is for (APPI: use of personal data by purpose). Marketing is news and offers;
    personalisation is tailoring what we show from their behaviour; analytics is measuring
    behaviour (the storefront's first-party events) at all."""

    MARKETING = "marketing", _("Marketing")
    PERSONALISATION = "personalisation", _("Personalisation")
    ANALYTICS = "analytics", _("Analytics")


class ConsentSource(models.TextChoices):
    """Where a consent decision was made (the ledger's provenance; ``source_detail`` says more)."""

    STOREFRONT = "storefront", _("Online store")
    POS = "pos", _("Store till (POS)")
    IMPORT = "import", _("Import")
    API = "api", _("API")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe link")
    STAFF = "staff", _("Staff")
    CONFIRMATION = "confirmation", _("Double opt-in confirmation")
    ERASURE = "erasure", _("Erasure of personal data")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNSAID = "unsaid", _("Prefer not to say")


# Search-as-you-type: from this many characters a query matches anywhere in the name, furigana
# or email (``search_text``; a pg_trgm GIN index on PostgreSQL, migration 0009); shorter ones
# match the start of a name, a reading or the email (btree prefix indexes), which is what one
# or two typed characters mean and what an index can answer at a million customers.
SEARCH_CONTAINS_MIN_LENGTH = 3
SEARCH_PHONE_MIN_DIGITS = 4
# what a typed phone number is made of (after NFKC): the digits of an email are not a phone
_PHONE_QUERY = re.compile(r"\+?[0-9\s().\-\u2010-\u2015\u2212\u30fc]+")


class CodePointOrder(Func):
    """A text column compared and sorted by Unicode code point, whatever the database's collation:
    ``COLLATE "C"`` on PostgreSQL; SQLite's default collation (BINARY) already is. Katakana in
    code-point order is gojūon order, a voiced kana right after its plain one (カ ガ キ ギ).

    Under this collation a btree index answers both a prefix (as a range: ``prefix_upper_bound``)
    and the order, so "the first 25 whose furigana starts with ヤマ" reads 25 index entries."""

    template = '%(expressions)s COLLATE "C"'

    def as_sqlite(self, compiler, connection, **extra_context):
        return compiler.compile(self.get_source_expressions()[0])


def prefix_upper_bound(prefix: str) -> str | None:
    """The least string above every string that starts with ``prefix`` in code-point order (so
    ``prefix <= s < bound`` is ``s.startswith(prefix)``), or None when there is none."""
    following = ord(prefix[-1]) + 1
    if 0xD800 <= following <= 0xDFFF:  # surrogates are not characters: the next one is U+E000
        following = 0xE000
    return prefix[:-1] + chr(following) if following <= 0x10FFFF else None


class CustomerQuerySet(models.QuerySet):
    def search(self, query: str):
        """Customers whose name (kanji or kana, any width, hiragana or katakana), email or phone
        (any part of 4+ digits) matches ``query``. Every branch is answered by an index on
        PostgreSQL (see ``SEARCH_CONTAINS_MIN_LENGTH``)."""
        key = search_key(query)
        if not key:
            return self.none()
        email = query.strip().lower()
        phone = normalize_phone(query)
        if "@" in email:  # an email address, whole or its start: the unique/prefix index on email
            return self.filter(Q(email__startswith=email))
        if self._phone_query(query, phone):
            # a phone number: the whole number by its index, a part of it by the trigram index
            return self.filter(Q(phone_digits=phone) if len(phone) >= 10 else Q(phone_digits__contains=phone))
        if len(key) >= SEARCH_CONTAINS_MIN_LENGTH:
            condition = Q(search_text__contains=key)
        else:
            condition = Q(family_name_kana__startswith=key) | self._short_others(key)
        return self.filter(condition)

    def search_first(self, query: str, limit: int):
        """The first ``limit`` customers ``search(query)`` finds, in furigana order (then id): the
        console's search-as-you-type. One query.

        One or two typed characters (a prefix) can match tens of thousands of customers, nearly
        all by the start of their family-name furigana. Those are read from the ``customer_kana_order``
        index (furigana in code-point order, id) as a range, already in list order, so the
        ``LIMIT`` stops after ``limit`` entries; the customers matched only by another column (a
        given name, a name in kanji, an email) are fetched by their prefix indexes and sorted with
        them: ``(first limit by furigana range) UNION ALL (the others, not in that range)``. Longer
        queries, phone numbers and emails match few rows: they are fetched and sorted. Every path
        sorts by code point (``CodePointOrder``), so the order is the same whatever was typed."""
        # What is fetched and then sorted is sorted by an order key spelled so that the planner
        # cannot read it from customer_kana_order instead, filtering as it goes: a name in kanji
        # follows its furigana (山田 is ヤマダ), and a part of a name or an email is anywhere, so
        # that scan would read most of the index (all of it for a match of under 25 rows).
        sorted_apart = self.annotate(kana_order=CodePointOrder(Coalesce("family_name_kana", Value(""))))
        key = search_key(query)
        upper = prefix_upper_bound(key) if key else None
        if (not key or upper is None or len(key) >= SEARCH_CONTAINS_MIN_LENGTH or "@" in query
                or self._phone_query(query, normalize_phone(query))):
            return sorted_apart.search(query).order_by("kana_order", "id")[:limit]
        connection = connections[self.db]
        in_range = Q(kana_order__gte=key, kana_order__lt=upper)  # family_name_kana starts with key
        others = self._short_others(key)
        if connection.vendor != "postgresql":
            # SQLite's LIKE ignores ASCII case: furigana typed in another case, outside the range
            others |= Q(family_name_kana__startswith=key)
        first = (self.annotate(kana_order=CodePointOrder("family_name_kana")).filter(in_range)
                 .order_by("kana_order", "id")[:limit])
        if not connection.features.supports_slicing_ordering_in_compound:
            # SQLite (no LIMIT inside a UNION here): both parts in one WHERE; it scans the table
            # for the other columns anyway (its LIKE uses no index)
            return sorted_apart.filter(Q(pk__in=first.values("pk")) | (others & ~in_range)).order_by(
                "kana_order", "id")[:limit]
        # the others, fetched by their prefix indexes; disjoint from ``first``: no customer twice
        rest = sorted_apart.filter(others).exclude(in_range).order_by()
        return first.union(rest, all=True).order_by("kana_order", "id")[:limit]

    @staticmethod
    def _phone_query(query: str, phone: str) -> bool:
        return len(phone) >= SEARCH_PHONE_MIN_DIGITS and bool(_PHONE_QUERY.fullmatch(normalize_text(query)))

    @staticmethod
    def _short_others(key: str) -> Q:
        """A one- or two-character query on everything but the family-name furigana."""
        return (Q(given_name_kana__startswith=key) | Q(family_name__startswith=key)
                | Q(given_name__startswith=key) | Q(email__startswith=key))


class Customer(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="customer"
    )
    email = models.EmailField(_("email address"), unique=True, null=True, blank=True)
    family_name = models.CharField(_("family name"), max_length=60)
    given_name = models.CharField(_("given name"), max_length=60, blank=True)
    family_name_kana = models.CharField(_("family name (furigana)"), max_length=60, blank=True)
    given_name_kana = models.CharField(_("given name (furigana)"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    phone_digits = models.CharField(max_length=15, blank=True, editable=False, db_index=True)
    postal_code = models.CharField(_("postal code"), max_length=8, blank=True)
    prefecture = models.CharField(_("prefecture"), max_length=2, choices=Prefecture.choices, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    favourite_location = models.ForeignKey(
        "omnishop.Location", verbose_name=_("favourite store"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    preferred_size = models.CharField(_("preferred size"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True, help_text=_("Municipality, e.g. 渋谷区."))
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=40, blank=True,
                                 help_text=_("Where they live, e.g. Asia/Tokyo (IANA name). Empty: the shop's. "
                                             "Campaigns' quiet hours follow it."))
    preferred_channel = models.CharField(_("preferred channel"), max_length=20, choices=CONTACT_CHANNEL_CHOICES,
                                         blank=True)
    sizes = models.JSONField(_("sizes"), default=dict, blank=True,
                             help_text=_('What they wear, by kind: {"tops": "M", "shoes": "24.5"}.'))
    interests = models.JSONField(_("interests"), default=list, blank=True,
                                 help_text=_("Tags they chose, e.g. linen, tea, tableware."))
    search_text = models.TextField(editable=False, blank=True)
    # Duplicate detection keys (customers.merge): the full name in kanji and in kana as search_key folds them.
    name_key = models.CharField(max_length=120, editable=False, blank=True)
    kana_key = models.CharField(max_length=120, editable=False, blank=True)
    created_at = models.DateTimeField(_("customer since"), auto_now_add=True)
    # set by customers.privacy.customer_erase: the personal data is gone, the orders stay
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True, editable=False)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["family_name_kana", "given_name_kana", "id"]
        indexes = [models.Index(fields=["name_key", "postal_code"], name="customer_name_postal"),
                   models.Index(fields=["kana_key", "postal_code"], name="customer_kana_postal"),
                   # search-as-you-type (CustomerQuerySet.search_first): the first 25 whose
                   # furigana starts with one or two characters, read in index order
                   models.Index(CodePointOrder("family_name_kana"), "id", name="customer_kana_order")]

    def __str__(self) -> str:
        return self.full_name or (self.email or "")

    def save(self, *args, **kwargs):
        self.fill_search_fields()
        super().save(*args, **kwargs)

    def fill_search_fields(self) -> None:
        """Derived search columns (also called before bulk_create, which skips save())."""
        self.phone_digits = normalize_phone(self.phone)
        self.search_text = search_key(" ".join([
            self.family_name, self.given_name, self.family_name_kana, self.given_name_kana,
            self.family_name + self.given_name, self.family_name_kana + self.given_name_kana, self.email or "",
        ]))
        # a name key needs both names: a family name alone is a household, not a person
        both = self.family_name.strip() and self.given_name.strip()
        self.name_key = search_key(self.family_name + self.given_name)[:120] if both else ""
        both_kana = self.family_name_kana.strip() and self.given_name_kana.strip()
        self.kana_key = search_key(self.family_name_kana + self.given_name_kana)[:120] if both_kana else ""

    @property
    def full_name(self) -> str:
        return f"{self.family_name} {self.given_name}".strip()

    @property
    def full_name_kana(self) -> str:
        return f"{self.family_name_kana} {self.given_name_kana}".strip()


class ConsentRecord(AppendOnlyModel):
    """Append-only ledger of opt-ins and opt-outs: the latest row per (channel, purpose) wins."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consent_records")
    channel = models.CharField(_("channel"), max_length=20, choices=ConsentChannel.choices)
    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices,
                               default=ConsentPurpose.MARKETING)
    granted = models.BooleanField(_("opted in"))
    source = models.CharField(_("source"), max_length=20, choices=ConsentSource.choices,
                              help_text=_("Where the choice was made."))
    source_detail = models.CharField(_("source detail"), max_length=200, blank=True,
                                     help_text=_("More about the source: the form, the store, the staff's note."))
    acting_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent ledger")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "channel", "purpose", "-created_at"]),
            # the audience check (customers.consent.customers_consenting): the latest row per
            # customer for one (channel, purpose) read in index order, "granted" included so the
            # table itself is not read
            models.Index(fields=["channel", "purpose", "customer", "-created_at", "-id", "granted"],
                         name="consent_latest_by_purpose"),
            # the unsubscribes a campaign caused (its results): withdrawals through a link whose
            # reference ("campaign:12") is the source detail
            models.Index(fields=["source_detail", "channel"], condition=Q(source="unsubscribe"),
                         name="consent_unsubscribe_reference"),
        ]

    def __str__(self) -> str:
        return f"{self.channel}/{self.purpose} {'in' if self.granted else 'out'}"


class EventKind(models.TextChoices):
    SIGNED_UP = "signed_up", _("Signed up")
    CONSENT_CHANGED = "consent_changed", _("Consent changed")
    PRODUCT_VIEWED = "product_viewed", _("Viewed a product")
    CART_ADDED = "cart_added", _("Added to cart")
    ORDER_PLACED = "order_placed", _("Placed an order")
    ORDER_READY = "order_ready", _("Order ready for pickup")
    PICKUP_COMPLETED = "pickup_completed", _("Collected an order")
    ORDER_SHIPPED = "order_shipped", _("Order shipped")
    ORDER_CANCELLED = "order_cancelled", _("Order cancelled")
    STORE_VISIT = "store_visit", _("Visited a store")
    EMAIL_SENT = "email_sent", _("Email sent")
    EMAIL_OPENED = "email_opened", _("Email opened")
    EMAIL_CLICKED = "email_clicked", _("Email clicked")
    SMS_SENT = "sms_sent", _("SMS sent")
    COUPON_REDEEMED = "coupon_redeemed", _("Coupon redeemed")
    RETURN = "return", _("Returned items")
    STAFF_NOTE = "staff_note", _("Staff interaction")
    # first-party events (customers.tracking)
    PAGE_VIEWED = "page_viewed", _("Viewed a page")
    SEARCHED = "searched", _("Searched")
    # campaign touches other than email (campaigns.tracking): a link followed, a QR code scanned
    SMS_CLICKED = "sms_clicked", _("SMS link clicked")
    LINE_CLICKED = "line_clicked", _("LINE link clicked")
    ONSITE_CLICKED = "onsite_clicked", _("On-site banner clicked")
    QR_SCANNED = "qr_scanned", _("QR code scanned")


class InteractionChannel(models.TextChoices):
    """How a staff interaction happened (customers.services.staff_event_record)."""

    PHONE = "phone", pgettext_lazy("interaction", "Phone")
    CHAT = "chat", _("Chat")
    STORE = "store", _("In store")
    SOCIAL_DM = "social_dm", _("Social media DM")


class CustomerEvent(AppendOnlyModel):
    """One touchpoint, online or offline. Append-only: the timeline, segments, journeys
    and attribution all read this stream."""

    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="events",
                                 help_text=_("Empty: an anonymous browser's event, attached when they sign in."))
    kind = models.CharField(_("event"), max_length=30, choices=EventKind.choices)
    occurred_at = models.DateTimeField(_("time"), db_index=True)
    channel = models.ForeignKey("omnishop.Channel", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    location = models.ForeignKey("omnishop.Location", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    subject = models.CharField(_("subject"), max_length=100, blank=True, help_text=_("e.g. order:W-000123"))
    data = models.JSONField(default=dict, blank=True)
    # first-party events (customers.tracking): who sent it, and where the visit came from
    uid = models.UUIDField(_("event id"), null=True, blank=True, unique=True, editable=False,
                           help_text=_("The sender's id of the event: a retried batch stores it once."))
    browser_id = models.CharField(_("browser"), max_length=32, blank=True, default="")
    interaction = models.CharField(_("interaction channel"), max_length=20, blank=True, default="",
                                   choices=InteractionChannel.choices)
    campaign = models.CharField(_("campaign code"), max_length=60, blank=True, default="")
    utm_source = models.CharField(max_length=100, blank=True, default="")
    utm_medium = models.CharField(max_length=100, blank=True, default="")
    utm_campaign = models.CharField(max_length=100, blank=True, default="")
    utm_content = models.CharField(max_length=100, blank=True, default="")
    utm_term = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        verbose_name = _("customer event")
        verbose_name_plural = _("customer events")
        ordering = ["-occurred_at", "-id"]
        permissions = [("ingest_events", _("Can send first-party events through the API"))]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"]), models.Index(fields=["kind", "occurred_at"]),
            # an anonymous browser's events: attached on sign-in, expired after the retention period
            models.Index(fields=["browser_id", "occurred_at"], condition=Q(customer__isnull=True),
                         name="event_anonymous_browser"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.occurred_at:%Y-%m-%d %H:%M}"


class IdentityKind(models.TextChoices):
    """The keys one person is known by across channels. Values are stored normalised (see
    ``customers.identities``) and each (kind, value) belongs to at most one customer."""

    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    LOYALTY_CARD = "loyalty_card", _("Loyalty card")
    LINE = "line", _("LINE user ID")
    MARKETPLACE = "marketplace", _("Marketplace buyer ID")  # value "<marketplace>:<buyer id>"
    BROWSER = "browser", _("Browser")  # kernel.browser id: anonymous until sign-in


class Identity(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(_("kind"), max_length=20, choices=IdentityKind.choices)
    value = models.CharField(_("value"), max_length=200)
    source = models.CharField(_("source"), max_length=60, blank=True, help_text=_("Where it was learnt."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        ordering = ["customer_id", "kind", "id"]
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="identity_unique_kind_value")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


# --- Consent: email double opt-in (issue 8, "Consent") -------------------------------------

class ConsentRequest(models.Model):
    """An opt-in waiting for the customer to confirm it (email double opt-in): nothing is granted
    until the signed link in the confirmation email is followed. ``record`` is the ledger row
    the confirmation wrote; a withdrawal recorded after the request makes it void."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="consent_requests")
    channel = models.CharField(_("channel"), max_length=20, choices=ConsentChannel.choices)
    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices)
    source = models.CharField(_("source"), max_length=20, choices=ConsentSource.choices)
    source_detail = models.CharField(_("source detail"), max_length=200, blank=True)
    acting_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    record = models.OneToOneField(ConsentRecord, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="request", verbose_name=_("confirmation"))

    class Meta:
        verbose_name = _("consent confirmation request")
        verbose_name_plural = _("consent confirmation requests")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["customer", "channel", "purpose", "-requested_at"])]

    def __str__(self) -> str:
        return f"{self.channel}/{self.purpose} #{self.pk}"


# --- First-party events (customers.tracking) ----------------------------------------------

class BrowserConsent(AppendOnlyModel):
    """The consent ledger of a visitor not signed in, keyed by their browser id
    (``kernel.browser``): the storefront banner's "Accept analytics" / "Decline". At sign-in the
    latest decision is copied to the customer's own ledger (``ConsentRecord``, purpose
    analytics); rows of browsers that never became a customer expire with their events."""

    browser_id = models.CharField(_("browser"), max_length=32, db_index=True)
    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices,
                               default=ConsentPurpose.ANALYTICS)
    granted = models.BooleanField(_("opted in"))
    source = models.CharField(_("source"), max_length=60)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("browser consent record")
        verbose_name_plural = _("browser consent ledger")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.browser_id[:8]} {self.purpose} {'in' if self.granted else 'out'}"


class FilteredEventReason(models.TextChoices):
    BOT = "bot", _("Crawler or headless browser")
    RATE = "rate", _("Too many events from one browser")
    NO_CONSENT = "no_consent", _("No analytics consent")


class FilteredEventCount(models.Model):
    """Events refused without being stored (bots, floods, no consent), counted per day and reason."""

    day = models.DateField(_("day"))
    reason = models.CharField(_("reason"), max_length=20, choices=FilteredEventReason.choices)
    count = models.PositiveBigIntegerField(_("events"), default=0)

    class Meta:
        verbose_name = _("filtered events")
        verbose_name_plural = _("filtered events")
        ordering = ["-day", "reason"]
        constraints = [models.UniqueConstraint(fields=["day", "reason"], name="filtered_event_count_once")]

    def __str__(self) -> str:
        return f"{self.day} {self.reason}: {self.count}"


# --- segments, RFM scores and personas (customers.segments, customers.scores) -------------------

class Persona(models.Model):
    """Who a segment is, in words marketers share: what they want, where to reach them, what works."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    summary = models.CharField(_("summary"), max_length=200, blank=True)
    goals = models.TextField(_("goals"), blank=True, help_text=_("What they want from the brand."))
    preferred_channels = models.JSONField(_("channels they prefer"), default=list, blank=True)
    messages = models.TextField(_("messages that work"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("persona")
        verbose_name_plural = _("personas")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def preferred_channel_labels(self) -> list[str]:
        labels = dict(ConsentChannel.choices)
        return [str(labels.get(code, code)) for code in self.preferred_channels or []]


class SegmentKind(models.TextChoices):
    DYNAMIC = "dynamic", _("Dynamic (rules)")
    STATIC = "static", _("Static list")


class Segment(models.Model):
    """A named audience: rules compiled to one SQL filter (dynamic) or an uploaded list (static)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=SegmentKind.choices, default=SegmentKind.DYNAMIC)
    rules = models.JSONField(_("rules"), default=dict, blank=True)
    persona = models.ForeignKey(Persona, verbose_name=_("persona"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="segments")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]
        permissions = [
            ("export_segment", _("Can export a segment's members")),
            ("recompute_scores", _("Can recompute RFM scores")),
        ]

    def __str__(self) -> str:
        return self.name


class SegmentMember(models.Model):
    """One customer on a static list."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="members")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="segment_memberships")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("segment member")
        verbose_name_plural = _("segment members")
        constraints = [models.UniqueConstraint(fields=["segment", "customer"], name="segment_member_unique")]

    def __str__(self) -> str:
        return f"{self.segment_id}:{self.customer_id}"


class SegmentSnapshot(AppendOnlyModel):
    """A segment's size on a date, and optionally who was in it (for an export "as of")."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="snapshots")
    taken_at = models.DateTimeField(_("taken at"), auto_now_add=True)
    count = models.PositiveIntegerField(_("members"))
    with_members = models.BooleanField(_("members kept"), default=False)

    class Meta:
        verbose_name = _("segment snapshot")
        verbose_name_plural = _("segment snapshots")
        ordering = ["-taken_at", "-id"]
        indexes = [models.Index(fields=["segment", "-taken_at"])]

    def __str__(self) -> str:
        return f"{self.segment_id} {self.taken_at:%Y-%m-%d}: {self.count}"


class SegmentSnapshotMember(models.Model):
    snapshot = models.ForeignKey(SegmentSnapshot, on_delete=models.CASCADE, related_name="members")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["snapshot", "customer"], name="snapshot_member_unique")]

    def __str__(self) -> str:
        return f"{self.snapshot_id}:{self.customer_id}"


class ExportEncoding(models.TextChoices):
    UTF8_BOM = "utf-8-sig", _("UTF-8 (with BOM, for Excel)")
    SHIFT_JIS = "cp932", _("Shift_JIS")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class SegmentExport(models.Model):
    """A members CSV written by a django-q2 job, with its progress for the console's bar."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="exports")
    snapshot = models.ForeignKey(SegmentSnapshot, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    encoding = models.CharField(_("encoding"), max_length=12, choices=ExportEncoding.choices,
                                default=ExportEncoding.UTF8_BOM)
    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    file = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("segment export")
        verbose_name_plural = _("segment exports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.segment_id} export {self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0


class RfmLabel(models.TextChoices):
    """The standard RFM segment map over the recency and frequency scores."""

    CHAMPIONS = "champions", _("Champions")
    LOYAL = "loyal", _("Loyal customers")
    POTENTIAL_LOYALISTS = "potential_loyalists", _("Potential loyalists")
    NEW = "new", _("New customers")
    PROMISING = "promising", _("Promising")
    NEED_ATTENTION = "need_attention", _("Need attention")
    ABOUT_TO_SLEEP = "about_to_sleep", _("About to sleep")
    AT_RISK = "at_risk", _("At risk")
    CANT_LOSE = "cant_lose", _("Can't lose them")
    HIBERNATING = "hibernating", _("Hibernating")


class CustomerScore(models.Model):
    """RFM and historic CLV of a customer with at least one order that was not cancelled,
    recomputed for everyone at once in SQL (customers.scores.scores_recompute)."""

    customer = models.OneToOneField(Customer, primary_key=True, on_delete=models.CASCADE, related_name="score")
    last_order_at = models.DateTimeField(_("last order"))
    recency_days = models.PositiveIntegerField(_("days since last order"))
    frequency = models.PositiveIntegerField(_("orders"))
    monetary = models.BigIntegerField(_("total spent (historic CLV)"))
    r = models.PositiveSmallIntegerField("R")
    f = models.PositiveSmallIntegerField("F")
    m = models.PositiveSmallIntegerField("M")
    label = models.CharField(_("RFM segment"), max_length=30, choices=RfmLabel.choices)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("customer score")
        verbose_name_plural = _("customer scores")
        indexes = [models.Index(fields=["r", "f", "m"]), models.Index(fields=["label"]),
                   models.Index(fields=["monetary"])]

    def __str__(self) -> str:
        return f"{self.r}{self.f}{self.m} {self.label}"


class ScoreRun(AppendOnlyModel):
    """One recompute of every customer's scores: when, by whom (none: the daily schedule), how long."""

    started_at = models.DateTimeField(_("started at"))
    seconds = models.FloatField(_("seconds"))
    customers = models.PositiveIntegerField(_("customers scored"))
    acting_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        verbose_name = _("score recompute")
        verbose_name_plural = _("score recomputes")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} ({self.customers})"


# --- Profile, self-service and privacy (issue 8): the address book and the list's CSV exports ---

class Address(models.Model):
    """One address of the customer's address book (home, office, parents'...), as Japanese
    addresses are written: 〒 postal code, prefecture, city, then the street and the building.
    Written only by ``customers.profile``; at most one is the default."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    label = models.CharField(_("label"), max_length=40, blank=True, help_text=_("e.g. Home, Office."))
    name = models.CharField(_("recipient"), max_length=120)
    postal_code = models.CharField(_("postal code"), max_length=8)
    prefecture = models.CharField(_("prefecture"), max_length=2, choices=Prefecture.choices)
    city = models.CharField(_("city"), max_length=100, help_text=_("Municipality, e.g. 渋谷区."))
    line1 = models.CharField(_("street address"), max_length=200, help_text=_("Town and block, e.g. 神宮前1-2-3."))
    line2 = models.CharField(_("building"), max_length=200, blank=True, help_text=_("Building and room number."))
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    is_default = models.BooleanField(_("default address"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_default", "id"]
        constraints = [models.UniqueConstraint(fields=["customer"], condition=Q(is_default=True),
                                               name="address_one_default_per_customer")]

    def __str__(self) -> str:
        return f"〒{self.postal_code} {self.get_prefecture_display()}{self.city}{self.line1} {self.line2}".strip()


class CustomerExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class CustomerExportEncoding(models.TextChoices):
    UTF8_BOM = "utf-8-sig", _("UTF-8 (with BOM)")
    SHIFT_JIS = "cp932", _("Shift_JIS (Excel on Japanese Windows)")


class CustomerExport(models.Model):
    """A CSV export of the console's customer list, built by a django-q2 job
    (``customers.customer_list.customer_export_run``) with its progress; the file is kept out of
    ``MEDIA_ROOT``, served only to the staff member who asked, and deleted after
    ``CUSTOMER_EXPORT_RETENTION_HOURS``."""

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    filters = models.JSONField(default=dict, blank=True)
    encoding = models.CharField(_("encoding"), max_length=12, choices=CustomerExportEncoding.choices)
    status = models.CharField(_("status"), max_length=10, choices=CustomerExportStatus.choices,
                              default=CustomerExportStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True)
    replaced = models.JSONField(default=dict, blank=True,
                                help_text=_("Characters Shift_JIS cannot hold: what replaced them and how often."))
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("customer export")
        verbose_name_plural = _("customer exports")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("export_customers", _("Can export the customer list as CSV")),
            ("handle_privacy_requests", _("Can export or erase a customer's personal data on their request")),
        ]

    def __str__(self) -> str:
        return f"customers-{self.pk}.csv"

    @property
    def percent(self) -> int:
        if self.status == CustomerExportStatus.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0


# --- Identities and merge: duplicate detection, the review queue, merge records (customers.merge) ---

class DuplicateReason(models.TextChoices):
    """Why two customer records look like one person (each a key compared after normalisation)."""

    EMAIL = "email", _("Same email address")
    PHONE = "phone", _("Same phone number")
    NAME_POSTAL = "name_postal", _("Same name and postal code")


class DuplicateStatus(models.TextChoices):
    OPEN = "open", _("To review")
    MERGED = "merged", _("Merged")
    DISMISSED = "dismissed", _("Not the same person")


class DuplicateCandidate(models.Model):
    """One pair of customer records that may be one person, for staff to review. The pair is
    stored once, lower id first (``low_pk`` < ``high_pk``, unique), and keeps its ids after a
    merge deletes one side: a dismissed pair is never proposed again, a merged one shows what
    happened. Written by ``customers.merge`` only."""

    low_pk = models.PositiveBigIntegerField(_("first customer id"))
    high_pk = models.PositiveBigIntegerField(_("second customer id"))
    customer_low = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    customer_high = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reasons = models.JSONField(_("reasons"), default=list, help_text=_("DuplicateReason values."))
    score = models.PositiveSmallIntegerField(_("score"), default=0, help_text=_("0-100: how sure the match is."))
    status = models.CharField(_("status"), max_length=10, choices=DuplicateStatus.choices,
                              default=DuplicateStatus.OPEN)
    found_at = models.DateTimeField(_("found"), auto_now_add=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("reviewed by"))
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    merge = models.ForeignKey("customers.CustomerMerge", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        ordering = ["-score", "low_pk", "high_pk"]
        constraints = [
            models.UniqueConstraint(fields=["low_pk", "high_pk"], name="duplicate_pair_unique"),
            models.CheckConstraint(condition=Q(low_pk__lt=models.F("high_pk")), name="duplicate_pair_ordered"),
        ]
        indexes = [models.Index(fields=["status", "-score"])]

    def __str__(self) -> str:
        return f"#{self.low_pk} / #{self.high_pk}"


class DuplicateScan(models.Model):
    """One run of the duplicate detection (daily schedule or on demand), with its progress."""

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    steps_done = models.PositiveSmallIntegerField(default=0)
    steps_total = models.PositiveSmallIntegerField(default=3)
    pairs_found = models.PositiveIntegerField(default=0)
    pairs_new = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("duplicate scan")
        verbose_name_plural = _("duplicate scans")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"scan {self.pk}"

    @property
    def running(self) -> bool:
        return self.finished_at is None

    @property
    def percent(self) -> int:
        return round(100 * self.steps_done / self.steps_total) if self.steps_total else 100


class CustomerMerge(AppendOnlyModel):
    """What one merge did: the surviving and the merged customer's ids, the merged record as it
    was, what moved per kind of row, the profile fields filled in and the consent that holds
    after it (with the ledger row it comes from). The merged customer is deleted by the merge;
    this row is how the console still shows it ("merged from ...")."""

    survivor = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="merges")
    survivor_pk = models.PositiveBigIntegerField(_("surviving customer id"))
    merged_pk = models.PositiveBigIntegerField(_("merged customer id"), unique=True)
    merged_name = models.CharField(_("merged customer"), max_length=130, blank=True)
    merged_snapshot = models.JSONField(_("merged customer's record"), default=dict, encoder=DjangoJSONEncoder)
    moved = models.JSONField(_("rows moved"), default=dict)
    filled = models.JSONField(_("profile fields filled"), default=dict, encoder=DjangoJSONEncoder)
    consents = models.JSONField(_("consent after the merge"), default=dict, encoder=DjangoJSONEncoder)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    acting_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("by"))
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")
        ordering = ["-created_at", "-id"]
        permissions = [("merge_customer", _("Can review duplicates and merge customers"))]

    def __str__(self) -> str:
        return f"#{self.merged_pk} → #{self.survivor_pk}"
