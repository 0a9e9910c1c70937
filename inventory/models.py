"""Catalogue, stock per location (locations are the kernel's), reservations and the immutable stock ledger."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from kernel.japan import REDUCED_TAX_RATE, STANDARD_TAX_RATE, search_key
from kernel.models import Location

from .validators import validate_ean13, validate_price


def _rate_label(message: str, rate: int) -> str:
    """A tax class's label naming its rate, translated when shown."""
    return gettext(message) % {"rate": rate}


_rate_label_lazy = lazy(_rate_label, str)


class TaxClass(models.TextChoices):
    """Japanese consumption tax (rates: kernel.japan): standard, reduced (food, drink, newspapers)."""

    STANDARD = "standard", _rate_label_lazy(gettext_noop("Standard rate %(rate)s%%"), STANDARD_TAX_RATE)
    REDUCED = "reduced", _rate_label_lazy(gettext_noop("Reduced rate %(rate)s%%"), REDUCED_TAX_RATE)

    @property
    def rate(self) -> int:
        return TAX_CLASS_RATES[self.value]


TAX_CLASS_RATES = {TaxClass.STANDARD.value: STANDARD_TAX_RATE, TaxClass.REDUCED.value: REDUCED_TAX_RATE}


class StockPolicy(models.TextChoices):
    NORMAL = "normal", _("Sell from stock only")
    BACKORDER = "backorder", _("Allow backorder")
    PREORDER = "preorder", _("Pre-order")


# At most this many units available shows as "only a few left": the storefront and the API
# tell customers a level (AvailabilityLevel), never the count.
FEW_LEFT_MAX = 2

# At most this many units available is "low stock" for staff: the dashboard, the console's
# stock page and the API's ``low`` filter. A staff threshold, apart from what customers are told.
LOW_STOCK_THRESHOLD = 2


class AvailabilityLevel(models.TextChoices):
    """What a customer is told about the stock of a variant at a location."""

    IN_STOCK = "in_stock", _("In stock")
    FEW_LEFT = "few_left", _("Only a few left")
    TO_ORDER = "to_order", _("Available to order")
    OUT_OF_STOCK = "out_of_stock", _("Out of stock")

    @classmethod
    def of(cls, available: int, *, stock_policy: str = StockPolicy.NORMAL) -> "AvailabilityLevel":
        """The level for ``available`` units; backorder and pre-order products can still be ordered at 0."""
        if available > FEW_LEFT_MAX:
            return cls.IN_STOCK
        if available > 0:
            return cls.FEW_LEFT
        return cls.OUT_OF_STOCK if stock_policy == StockPolicy.NORMAL else cls.TO_ORDER


class ProductQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_active=True)

    def search(self, query: str):
        key = search_key(query)
        if not key:
            return self
        return self.filter(Q(search_text__contains=key) | Q(variants__sku__iexact=query.strip())).distinct()


class Product(models.Model):
    code = models.SlugField(_("product code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(_("category"), max_length=100, blank=True)
    tax_class = models.CharField(_("tax class"), max_length=20, choices=TaxClass.choices, default=TaxClass.STANDARD)
    stock_policy = models.CharField(
        _("stock policy"), max_length=20, choices=StockPolicy.choices, default=StockPolicy.NORMAL
    )
    is_active = models.BooleanField(_("published"), default=True)
    # How many days after delivery a customer may return it (0: not returnable); empty: the
    # shop's default, settings.RETURN_WINDOW_DAYS (orders.returns checks it at every return).
    return_days = models.PositiveSmallIntegerField(
        _("return window (days)"), null=True, blank=True,
        help_text=_("Days after delivery or purchase a customer may return it; 0: not returnable; "
                    "empty: the shop's default."))
    search_text = models.TextField(editable=False, blank=True, db_index=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]
        permissions = [("manage_catalogue", _("Can create and edit products"))]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.search_text = search_key(" ".join([self.name, self.code, self.category]))
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("storefront:product", kwargs={"code": self.code})

    @property
    def tax_rate(self) -> int:
        return TAX_CLASS_RATES[self.tax_class]

    @property
    def is_reduced_rate(self) -> bool:
        return self.tax_rate == REDUCED_TAX_RATE


class Variant(models.Model):
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField(_("SKU"), max_length=60, unique=True)
    size = models.CharField(_("size"), max_length=30, blank=True)
    color = models.CharField(_("colour"), max_length=30, blank=True)
    barcode = models.CharField(_("JAN/EAN-13"), max_length=13, unique=True, validators=[validate_ean13])
    price = models.PositiveIntegerField(_("price (tax incl.)"), help_text=_("Integer yen, consumption tax included."),
                                        validators=[validate_price])
    currency = models.CharField(max_length=3, default="JPY", editable=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        ordering = ["product_id", "position", "id"]
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="variant_price_non_negative")]

    def __str__(self) -> str:
        return f"{self.product.name} {self.label}".strip()

    @property
    def label(self) -> str:
        return " / ".join(part for part in (self.color, self.size) if part)


def product_image_path(instance: "ProductImage", filename: str) -> str:
    return f"products/{instance.product_id}/{filename}"


class ProductImage(models.Model):
    """An uploaded photo and the renditions Pillow made of it (WebP, fixed widths)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    original = models.ImageField(_("photo"), upload_to=product_image_path)
    thumbnail = models.ImageField(upload_to=product_image_path, blank=True)
    large = models.ImageField(upload_to=product_image_path, blank=True)
    alt = models.CharField(_("alternative text"), max_length=200, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["product_id", "position", "id"]

    def __str__(self) -> str:
        return self.alt or self.original.name


class StockLevelQuerySet(models.QuerySet):
    def with_available(self):
        return self.annotate(available_qty=F("on_hand") - F("reserved") - F("safety_stock"))

    def low(self, threshold: int = LOW_STOCK_THRESHOLD):
        return self.with_available().filter(available_qty__lte=threshold)


class StockLevel(models.Model):
    """On hand, reserved and safety stock of one variant at one location.

    ``available = on_hand - reserved - safety_stock``. Only inventory services write it,
    always with conditional UPDATEs so concurrent buyers cannot oversell.
    """

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="stock_levels")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="stock_levels")
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)
    safety_stock = models.IntegerField(_("safety stock"), default=0)
    # Where the units sit in the building (a zone or bin, "A-03"): what a cycle count walks.
    zone = models.CharField(_("zone / bin"), max_length=30, blank=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StockLevelQuerySet.as_manager()

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        permissions = [("set_stock_zone", _("Can set where stock sits (zone / bin)"))]
        constraints = [
            models.UniqueConstraint(fields=["variant", "location"], name="stocklevel_unique_variant_location"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stocklevel_reserved_non_negative"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stocklevel_on_hand_non_negative"),
            models.CheckConstraint(condition=Q(safety_stock__gte=0), name="stocklevel_safety_non_negative"),
        ]
        indexes = [models.Index(fields=["location", "variant"])]

    def __str__(self) -> str:
        return f"{self.variant_id}@{self.location_id}: {self.on_hand}/{self.reserved}"

    @property
    def available(self) -> int:
        return max(self.on_hand - self.reserved - self.safety_stock, 0)


class MovementReason(models.TextChoices):
    RECEIPT = "receipt", _("Received")
    SALE = "sale", _("Sold / handed over")
    ADJUSTMENT = "adjustment", _("Adjustment")
    RETURN = "return", _("Returned")
    TRANSFER_OUT = "transfer_out", _("Transfer out")
    TRANSFER_IN = "transfer_in", _("Transfer in")
    COUNT = "count", _("Stock count")
    OPENING_BALANCE = "opening_balance", _("Opening balance")


class StockMovement(models.Model):
    """One immutable ledger row per change of ``on_hand``; their sum equals on_hand."""

    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="movements")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="movements")
    quantity = models.IntegerField(_("quantity"))
    reason = models.CharField(_("reason"), max_length=20, choices=MovementReason.choices)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock ledger")
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=~Q(quantity=0), name="movement_quantity_non_zero")]

    def __str__(self) -> str:
        return f"{self.reason} {self.quantity:+d}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Stock ledger rows are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Stock ledger rows are immutable.")


class ReservationStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    FULFILLED = "fulfilled", _("Fulfilled")
    RELEASED = "released", _("Released")


class ReservationQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=ReservationStatus.ACTIVE)


class Reservation(models.Model):
    """Units held at a location for a purpose (an order's fulfilment, a staff hold)."""

    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="reservations")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="reservations")
    quantity = models.PositiveIntegerField()
    reference = models.CharField(max_length=100, db_index=True)
    status = models.CharField(max_length=20, choices=ReservationStatus.choices, default=ReservationStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = ReservationQuerySet.as_manager()

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="reservation_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.reference}: {self.quantity} × {self.variant_id}@{self.location_id}"


# --- warehouse documents: transfers, purchase orders, receipts, stock counts -----------------
# Each has a number people read and say (TR-000042, PO-000007, RC-000130, CC-000012), made from
# its primary key when it is created; the stock ledger names them by a key ``<prefix>:<number>``
# (``transfer:TR-000042``) that inventory.selectors.reference_labels turns back into words.

class NumberedDocument(models.Model):
    """A document with a readable number ``<PREFIX>-<pk, 6 digits>`` set once it is saved."""

    number_prefix = ""
    key_prefix = ""

    number = models.CharField(_("number"), max_length=20, unique=True, null=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.number or ""

    def assign_number(self) -> None:
        self.number = f"{self.number_prefix}-{self.pk:06d}"
        type(self).objects.filter(pk=self.pk).update(number=self.number)

    @property
    def ledger_reference(self) -> str:
        """The key its stock ledger rows carry: ``transfer:TR-000042``."""
        return f"{self.key_prefix}:{self.number}"


class TransferStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    IN_TRANSIT = "in_transit", _("In transit")
    RECEIVED = "received", _("Received")
    CANCELLED = "cancelled", _("Cancelled")


class TransferQuerySet(models.QuerySet):
    def touching(self, locations):
        """Transfers out of or into any of ``locations``."""
        return self.filter(Q(source__in=locations) | Q(destination__in=locations))

    def open(self):
        return self.exclude(status__in=[TransferStatus.RECEIVED, TransferStatus.CANCELLED])


class Transfer(NumberedDocument):
    """Stock moving from one location to another: requested (by the destination, or pushed by
    the source), approved (the units are held at the source), shipped (they leave the source
    through the ledger, TRANSFER_OUT, and are in transit) and received at the destination
    (TRANSFER_IN) with what was short, over or damaged recorded per line."""

    number_prefix = "TR"
    key_prefix = "transfer"

    source = models.ForeignKey(Location, verbose_name=_("from"), on_delete=models.PROTECT,
                               related_name="transfers_out")
    destination = models.ForeignKey(Location, verbose_name=_("to"), on_delete=models.PROTECT,
                                    related_name="transfers_in")
    status = models.CharField(_("status"), max_length=20, choices=TransferStatus.choices,
                              default=TransferStatus.REQUESTED, db_index=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    # Units already held at the source for someone else (a customer order sold by the endless
    # aisle: its fulfilment's reservation reference): the transfer carries that hold to the
    # destination instead of holding its own at approval. Blank for an ordinary transfer.
    hold_reference = models.CharField(_("carries the hold of"), max_length=100, blank=True, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    shipped_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)

    objects = TransferQuerySet.as_manager()

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=~Q(source=F("destination")),
                                              name="transfer_source_is_not_destination")]
        indexes = [models.Index(fields=["source", "status"]), models.Index(fields=["destination", "status"])]

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("console:transfer_detail", kwargs={"number": self.number})


class TransferLine(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, verbose_name=_("variant"), on_delete=models.PROTECT, related_name="+")
    requested = models.PositiveIntegerField(_("requested"))
    shipped = models.PositiveIntegerField(_("shipped"), default=0)
    received = models.PositiveIntegerField(_("received"), default=0)
    damaged = models.PositiveIntegerField(_("damaged"), default=0)

    class Meta:
        ordering = ["transfer_id", "id"]
        constraints = [models.UniqueConstraint(fields=["transfer", "variant"], name="transferline_unique_variant"),
                       models.CheckConstraint(condition=Q(requested__gt=0), name="transferline_requested_positive")]

    def __str__(self) -> str:
        return f"{self.transfer_id}: {self.requested} × {self.variant_id}"

    @property
    def short(self) -> int:
        """Units shipped that did not arrive (lost in transit); 0 before receipt."""
        return max(self.shipped - self.received - self.damaged, 0)

    @property
    def over(self) -> int:
        """Units that arrived beyond what was shipped."""
        return max(self.received + self.damaged - self.shipped, 0)


class PurchaseOrderStatus(models.TextChoices):
    OPEN = "open", _("Expected")
    PARTIAL = "partial", _("Partly received")
    RECEIVED = "received", _("Received")
    CANCELLED = "cancelled", _("Cancelled")


class PurchaseOrder(NumberedDocument):
    """A delivery expected from a supplier at a location."""

    number_prefix = "PO"
    key_prefix = "po"

    location = models.ForeignKey(Location, verbose_name=_("deliver to"), on_delete=models.PROTECT,
                                 related_name="purchase_orders")
    supplier_name = models.CharField(_("supplier"), max_length=120)
    supplier_reference = models.CharField(_("supplier's reference"), max_length=60, blank=True)
    expected_on = models.DateField(_("expected on"), null=True, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=20, choices=PurchaseOrderStatus.choices,
                              default=PurchaseOrderStatus.OPEN, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["location", "status"])]

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("console:purchase_order_detail", kwargs={"number": self.number})

    @property
    def is_open(self) -> bool:
        return self.status in (PurchaseOrderStatus.OPEN, PurchaseOrderStatus.PARTIAL)


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, verbose_name=_("variant"), on_delete=models.PROTECT, related_name="+")
    ordered = models.PositiveIntegerField(_("ordered"))
    received = models.PositiveIntegerField(_("received"), default=0)

    class Meta:
        ordering = ["purchase_order_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["purchase_order", "variant"], name="poline_unique_variant"),
            models.CheckConstraint(condition=Q(ordered__gt=0), name="poline_ordered_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.purchase_order_id}: {self.ordered} × {self.variant_id}"

    @property
    def outstanding(self) -> int:
        return max(self.ordered - self.received, 0)


class Receipt(NumberedDocument):
    """Goods received at a location in one go, many lines: against a purchase order, an
    incoming transfer, or nothing expected. One receipt is one transaction."""

    number_prefix = "RC"
    key_prefix = "receipt"

    location = models.ForeignKey(Location, verbose_name=_("location"), on_delete=models.PROTECT,
                                 related_name="receipts")
    purchase_order = models.ForeignKey(PurchaseOrder, verbose_name=_("purchase order"), null=True, blank=True,
                                       on_delete=models.PROTECT, related_name="receipts")
    transfer = models.OneToOneField(Transfer, verbose_name=_("transfer"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="receipt")
    note = models.CharField(_("note"), max_length=200, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["location", "created_at"])]

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("console:receipt_detail", kwargs={"number": self.number})


class ReceiptLine(models.Model):
    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, verbose_name=_("variant"), on_delete=models.PROTECT, related_name="+")
    expected = models.PositiveIntegerField(_("expected"), default=0)
    quantity = models.PositiveIntegerField(_("received"))
    damaged = models.PositiveIntegerField(_("damaged"), default=0)

    class Meta:
        ordering = ["receipt_id", "id"]
        constraints = [models.UniqueConstraint(fields=["receipt", "variant"], name="receiptline_unique_variant")]

    def __str__(self) -> str:
        return f"{self.receipt_id}: {self.quantity} × {self.variant_id}"

    @property
    def short(self) -> int:
        """Units expected that did not arrive."""
        return max(self.expected - self.quantity - self.damaged, 0)

    @property
    def over(self) -> int:
        """Units (good and damaged) beyond what was expected."""
        return max(self.quantity + self.damaged - self.expected, 0)


class StockCountStatus(models.TextChoices):
    COUNTING = "counting", _("Counting")
    SUBMITTED = "submitted", _("Awaiting approval")
    POSTED = "posted", _("Posted")
    CANCELLED = "cancelled", _("Cancelled")


class StockCount(NumberedDocument):
    """A blind cycle count of a location, or of one zone of it. Starting it takes a snapshot of
    on_hand per variant; counters enter what they find without
    seeing the snapshot; a second person (or a supervisor) approves the variances, which are
    posted as ledger rows (reason COUNT): counted − snapshot, on top of whatever moved since
    the start (inventory.counts)."""

    number_prefix = "CC"
    key_prefix = "count"

    location = models.ForeignKey(Location, verbose_name=_("location"), on_delete=models.PROTECT,
                                 related_name="stock_counts")
    zone = models.CharField(_("zone"), max_length=30, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=StockCountStatus.choices,
                              default=StockCountStatus.COUNTING, db_index=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("stock count")
        verbose_name_plural = _("stock counts")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["location", "status"])]
        permissions = [
            ("approve_stockcount", _("Can approve and post another person's stock count")),
            ("approve_own_stockcount", _("Can approve and post a stock count they counted (supervisor)")),
            ("receive_over_expected", _("Can receive more than a purchase order or transfer expected")),
        ]

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("console:count_detail", kwargs={"number": self.number})


class StockCountLine(models.Model):
    count = models.ForeignKey(StockCount, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(Variant, verbose_name=_("variant"), on_delete=models.PROTECT, related_name="+")
    expected = models.IntegerField(_("on hand at start"), default=0)
    counted = models.PositiveIntegerField(_("counted"), null=True, blank=True)
    moved_since = models.IntegerField(_("moved since start"), default=0)
    posted = models.IntegerField(_("posted"), default=0)

    class Meta:
        ordering = ["count_id", "id"]
        constraints = [models.UniqueConstraint(fields=["count", "variant"], name="countline_unique_variant")]

    def __str__(self) -> str:
        return f"{self.count_id}: {self.counted} × {self.variant_id}"

    @property
    def variance(self) -> int | None:
        return None if self.counted is None else self.counted - self.expected
