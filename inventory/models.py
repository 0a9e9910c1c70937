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
    updated_at = models.DateTimeField(auto_now=True)

    objects = StockLevelQuerySet.as_manager()

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
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
