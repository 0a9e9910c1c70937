"""The single customer view: one customer across channels, consent as a ledger, and the
append-only event stream of every touchpoint."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kernel.japan import Prefecture, normalize_phone, search_key, validate_phone
from kernel.models import AppendOnlyModel


class ConsentChannel(models.TextChoices):
    """How we may reach a customer. Transactional messages (an order's emails) need no consent."""

    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    LINE = "line", _("LINE")
    PUSH = "push", _("Push notification")
    POSTAL = "postal", _("Direct mail")
    PHONE = "phone", _("Phone call")


class ConsentPurpose(models.TextChoices):
    """What a consent is for (APPI: use of personal data by purpose). Marketing is news and offers;
    personalisation is tailoring what we show from their behaviour; analytics is measuring
    behaviour (the storefront's first-party events) at all."""

    MARKETING = "marketing", _("Marketing")
    PERSONALISATION = "personalisation", _("Personalisation")
    ANALYTICS = "analytics", _("Analytics")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNSAID = "unsaid", _("Prefer not to say")


class CustomerQuerySet(models.QuerySet):
    def search(self, query: str):
        key = search_key(query)
        if not key:
            return self.none()
        phone = normalize_phone(query)
        condition = Q(search_text__contains=key) | Q(email__iexact=query.strip())
        if len(phone) >= 4:
            condition |= Q(phone_digits__contains=phone)
        return self.filter(condition)


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
    preferred_channel = models.CharField(_("preferred channel"), max_length=20, choices=ConsentChannel.choices,
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

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["family_name_kana", "given_name_kana", "id"]
        indexes = [models.Index(fields=["name_key", "postal_code"], name="customer_name_postal"),
                   models.Index(fields=["kana_key", "postal_code"], name="customer_kana_postal")]

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
    source = models.CharField(_("source"), max_length=60, help_text=_("Where the choice was made."))
    acting_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent ledger")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "channel", "purpose", "-created_at"])]

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


class CustomerEvent(AppendOnlyModel):
    """One touchpoint, online or offline. Append-only: the timeline, segments, journeys
    and attribution all read this stream."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=30, choices=EventKind.choices)
    occurred_at = models.DateTimeField(_("time"), db_index=True)
    channel = models.ForeignKey("omnishop.Channel", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    location = models.ForeignKey("omnishop.Location", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    subject = models.CharField(_("subject"), max_length=100, blank=True, help_text=_("e.g. order:W-000123"))
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("customer event")
        verbose_name_plural = _("customer events")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["customer", "-occurred_at"]), models.Index(fields=["kind", "occurred_at"])]

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
