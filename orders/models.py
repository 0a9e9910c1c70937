"""One order model for every channel. Each order has one or more fulfilments (pickup at a
store, shipment); each fulfilment is a small state machine whose transitions are service
calls that write an OrderEvent."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kernel.japan import REDUCED_TAX_RATE, TAX_RATES, normalize_phone, search_key
from kernel.models import AppendOnlyModel, ChannelKind


class OrderStatus(models.TextChoices):
    PLACED = "placed", _("Placed")
    READY = "ready", _("Ready for pickup")
    SHIPPED = "shipped", _("Shipped")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class FulfillmentMethod(models.TextChoices):
    PICKUP = "pickup", _("Pickup in store")
    SHIP = "ship", _("Delivery")


class FulfillmentStatus(models.TextChoices):
    RESERVED = "reserved", _("Reserved")
    READY = "ready", _("Ready for pickup")
    COLLECTED = "collected", _("Collected")
    SHIPPED = "shipped", _("Shipped")
    CANCELLED = "cancelled", _("Cancelled")


# Allowed transitions of a fulfilment: the single source of the state machine.
FULFILLMENT_TRANSITIONS = {
    FulfillmentMethod.PICKUP: {
        FulfillmentStatus.RESERVED: {FulfillmentStatus.READY, FulfillmentStatus.CANCELLED},
        FulfillmentStatus.READY: {FulfillmentStatus.COLLECTED, FulfillmentStatus.CANCELLED},
    },
    FulfillmentMethod.SHIP: {
        FulfillmentStatus.RESERVED: {FulfillmentStatus.SHIPPED, FulfillmentStatus.CANCELLED},
    },
}


class PaymentStatus(models.TextChoices):
    UNPAID = "unpaid", _("To be paid")
    PAID = "paid", _("Paid")
    REFUNDED = "refunded", _("Refunded")


class PaymentMethod(models.TextChoices):
    PAY_IN_STORE = "pay_in_store", _("Pay at the store")
    CASH_ON_DELIVERY = "cod", _("Cash on delivery")
    CARD = "card", _("Card")
    CASH = "cash", _("Cash")
    MARKETPLACE = "marketplace", _("Paid on the marketplace")


class OrderQuerySet(models.QuerySet):
    def search(self, query: str):
        query = (query or "").strip()
        if not query:
            return self
        key = search_key(query)
        phone = normalize_phone(query)
        condition = Q(number__iexact=query) | Q(fulfillments__pickup_code=query.upper()) | Q(
            search_text__contains=key
        )
        if len(phone) >= 4:
            condition |= Q(phone_digits__contains=phone)
        return self.filter(condition).distinct()


class Order(models.Model):
    number = models.CharField(_("order number"), max_length=20, unique=True)
    channel = models.ForeignKey("omnishop.Channel", verbose_name=_("channel"), on_delete=models.PROTECT,
                                related_name="orders")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(_("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.PLACED,
                              db_index=True)
    email = models.EmailField(_("email"), blank=True)
    name = models.CharField(_("name"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    phone_digits = models.CharField(max_length=15, blank=True, editable=False)
    search_text = models.TextField(blank=True, editable=False)
    currency = models.CharField(max_length=3, default="JPY")
    total = models.PositiveIntegerField(_("total (tax incl.)"), default=0)
    # What the discounts took off the lines (the sum of OrderLine.discount), and the delivery fee
    # with what a free-shipping offer took off it: total = Σ line_total − discount_total
    # + shipping_fee − shipping_discount (orders.services.order_place).
    discount_total = models.PositiveIntegerField(pgettext_lazy("orders", "discount (tax incl.)"), default=0)
    shipping_fee = models.PositiveIntegerField(pgettext_lazy("orders", "shipping fee (tax incl.)"), default=0)
    shipping_discount = models.PositiveIntegerField(pgettext_lazy("orders", "shipping discount (tax incl.)"), default=0)
    payment_method = models.CharField(_("payment"), max_length=20, choices=PaymentMethod.choices,
                                      default=PaymentMethod.PAY_IN_STORE)
    payment_status = models.CharField(_("payment status"), max_length=20, choices=PaymentStatus.choices,
                                      default=PaymentStatus.UNPAID)
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    # The one-time token of the storefront checkout that placed the order (NULL otherwise):
    # unique, so the same checkout submitted twice finds this order instead of placing another.
    checkout_token = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(_("ordered at"), auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("run_pickup_desk", _("Can prepare and hand over pickup orders")),
            ("view_sales_dashboard", _("Can see the sales dashboard")),
            ("ship_orders", _("Can pack and ship delivery orders")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_non_negative"),
            models.CheckConstraint(condition=Q(discount_total__gte=0, shipping_fee__gte=0, shipping_discount__gte=0),
                                   name="order_discounts_non_negative"),
            models.CheckConstraint(condition=Q(shipping_discount__lte=F("shipping_fee")),
                                   name="order_shipping_discount_within_fee"),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs):
        self.fill_search_fields()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("storefront:order", kwargs={"number": self.number})

    def fill_search_fields(self) -> None:
        """Derived search columns (also called before bulk_create, which skips save())."""
        self.phone_digits = normalize_phone(self.phone)
        kana = self.customer.full_name_kana if self.customer_id and self.customer else ""
        self.search_text = search_key(f"{self.name} {kana} {self.email}")  # staff search by kanji or kana

    def desk_tokens(self) -> set[str]:
        """What the pickup desk finds this order by (``desk_tokens``): its name, the customer's
        furigana, its phone, as ``fill_search_fields`` reads them."""
        kana = self.customer.full_name_kana if self.customer_id and self.customer else ""
        return desk_tokens(name=self.name, kana=kana, phone_digits=normalize_phone(self.phone))


# The letter an order number starts with: one per channel kind, so staff can tell a store's
# POS sale from a phone order at a glance. Letters already in use keep their meaning (orders
# numbered before phone orders had their own letter start with "P" like POS sales).
ORDER_NUMBER_PREFIXES: dict[str, str] = {
    ChannelKind.WEB: "W",
    ChannelKind.POS: "P",
    ChannelKind.PHONE: "T",
    ChannelKind.MARKETPLACE: "M",
    ChannelKind.SOCIAL: "S",
    ChannelKind.APP: "A",
}


ORDER_NUMBER_DIGITS = 8


def order_number(*, channel_kind: str, pk: int) -> str:
    """The customer-facing number of an order: its channel's letter and the zero-padded id
    (``T00000042``); the id makes it unique whatever the letter."""
    return f"{ORDER_NUMBER_PREFIXES[channel_kind]}{pk:0{ORDER_NUMBER_DIGITS}d}"


# What a pickup code is made of: read aloud and typed at the desk, so no look-alikes
# (0/O, 1/I, 5/S, 8/B, 2/Z).
PICKUP_CODE_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY34679"
PICKUP_CODE_LENGTH = 6


def new_pickup_code() -> str:
    return "".join(secrets.choice(PICKUP_CODE_ALPHABET) for _ in range(PICKUP_CODE_LENGTH))


class Carrier(models.TextChoices):
    """Who carries a delivery. The tracking number's format and the customer's tracking link
    depend on it (``orders.shipping.tracking_number_clean``, ``tracking_url``)."""

    YAMATO = "yamato", _("Yamato Transport")
    SAGAWA = "sagawa", _("Sagawa Express")
    JAPAN_POST = "japan_post", _("Japan Post")
    OTHER = "other", pgettext_lazy("carrier", "Other")


class FulfillmentQuerySet(models.QuerySet):
    def awaiting_pickup(self, locations=None):
        qs = self.filter(method=FulfillmentMethod.PICKUP,
                         status__in=[FulfillmentStatus.RESERVED, FulfillmentStatus.READY])
        if locations is not None:
            qs = qs.filter(location__in=locations)
        return qs


class Fulfillment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="fulfillments")
    method = models.CharField(_("fulfilment"), max_length=20, choices=FulfillmentMethod.choices)
    location = models.ForeignKey("omnishop.Location", verbose_name=_("location"), on_delete=models.PROTECT,
                                 related_name="fulfillments")
    status = models.CharField(_("status"), max_length=20, choices=FulfillmentStatus.choices,
                              default=FulfillmentStatus.RESERVED, db_index=True)
    pickup_code = models.CharField(_("pickup code"), max_length=8, blank=True, db_index=True)
    address = models.JSONField(_("delivery address"), default=dict, blank=True)
    # A shipped delivery: who carries it and the number on its slip (the customer's tracking link).
    carrier = models.CharField(_("carrier"), max_length=20, choices=Carrier.choices, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=40, blank=True)
    # The endless aisle's pickup: the transfer bringing the items from the location that had them
    # (it carries this fulfilment's hold, inventory.Transfer.hold_reference). Ready once received.
    transfer = models.ForeignKey("inventory.Transfer", verbose_name=_("transfer"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="fulfillments")
    ready_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = FulfillmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("fulfilment")
        verbose_name_plural = _("fulfilments")
        ordering = ["order_id", "id"]
        # the pickup desk and the notification badge: one store's fulfilments of a method in a status
        indexes = [models.Index(fields=["location", "method", "status"], name="fulfillment_desk")]

    def __str__(self) -> str:
        return f"{self.order.number}/{self.pk}"

    @property
    def reservation_reference(self) -> str:
        return f"fulfillment:{self.pk}"

    @property
    def tracking_url(self) -> str:
        """Where the customer follows the parcel ("" for another carrier or no number)."""
        from .shipping import tracking_url

        return tracking_url(self.carrier, self.tracking_number)

    @property
    def tracking_display(self) -> str:
        """The tracking number as printed on a Japanese slip: 12 digits in groups of four."""
        number = self.tracking_number
        if len(number) == 12 and number.isdigit():
            return f"{number[:4]}-{number[4:8]}-{number[8:]}"
        return number

    @property
    def tab(self) -> str:
        """The pickup desk's tab this fulfilment is on (``orders.selectors.DESK_TABS``)."""
        return {FulfillmentStatus.RESERVED: "reserved", FulfillmentStatus.READY: "ready"}.get(self.status, "done")

    @property
    def hold_until(self):
        """When a pickup marked ready is cancelled if nobody collects it (None before it is ready)."""
        if self.method != FulfillmentMethod.PICKUP or self.ready_at is None:
            return None
        return self.ready_at + timedelta(days=settings.PICKUP_HOLD_DAYS)

    def can_become(self, status: str) -> bool:
        return status in FULFILLMENT_TRANSITIONS.get(self.method, {}).get(self.status, set())


# The pickup desk's search index (orders.selectors.desk_search): per store, the tokens of each
# pickup fulfilment's order, so that every kind of query the desk takes is an index range of one
# store, read newest first and cut at a page, however many orders the chain has.
DESK_PHONE_MARK = "\u260e"  # ☎: a phone token; name tokens are one or two characters, never this


def desk_tokens(*, name: str, kana: str, phone_digits: str) -> set[str]:
    """What the desk finds an order by, as tokens: every two consecutive characters of the name
    in kanji and of its furigana (each in its search form, ``search_key``), the first character
    of each part of them (a one-character query: the start of a family or given name), and the
    phone as ☎ + its last four digits and ☎ + the whole number.

    A query of two characters is one token; a longer one needs all its pairs (then the order's
    ``search_text`` confirms it); so short, common names are as cheap as long ones."""
    tokens: set[str] = set()
    for text in (name, kana):
        key = search_key(text)
        tokens.update(key[i:i + 2] for i in range(len(key) - 1))
        tokens.update(search_key(part)[:1] for part in (text or "").split() if search_key(part))
    if len(phone_digits) >= 4:
        tokens.add(DESK_PHONE_MARK + phone_digits[-4:])
        tokens.add(DESK_PHONE_MARK + phone_digits)
    return tokens


class DeskSearchTokenQuerySet(models.QuerySet):
    def index(self, fulfillments, *, replace: bool = False) -> None:
        """Write the tokens of new ``fulfillments`` (pickups; others are skipped), whose orders
        (and their customers) are loaded; ``replace``: of existing ones, whose tokens go first.
        One insert (and a delete), whatever their number."""
        pickups = [f for f in fulfillments if f.method == FulfillmentMethod.PICKUP]
        if not pickups:
            return
        if replace:
            self.filter(fulfillment__in=[f.pk for f in pickups]).delete()
        rows = []
        for fulfillment in pickups:
            order = fulfillment.order
            rows.extend(DeskSearchToken(location_id=fulfillment.location_id, token=token, fulfillment=fulfillment)
                        for token in sorted(order.desk_tokens()))
        self.bulk_create(rows, batch_size=1000)


class DeskSearchToken(models.Model):
    """One token of a pickup fulfilment at its store (``desk_tokens``). The primary key is the
    index the desk reads: (store, token, fulfilment), newest fulfilment last."""

    pk = models.CompositePrimaryKey("location", "token", "fulfillment")
    location = models.ForeignKey("omnishop.Location", on_delete=models.CASCADE, related_name="+", db_index=False)
    token = models.CharField(max_length=16)
    fulfillment = models.ForeignKey(Fulfillment, on_delete=models.CASCADE, related_name="desk_tokens")

    objects = DeskSearchTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("desk search token")
        verbose_name_plural = _("desk search tokens")

    def __str__(self) -> str:
        return f"{self.location_id}:{self.token}:{self.fulfillment_id}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    fulfillment = models.ForeignKey(Fulfillment, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey("inventory.Variant", on_delete=models.PROTECT, related_name="+")
    sku = models.CharField(_("SKU"), max_length=60)
    product_name = models.CharField(_("product"), max_length=200)
    variant_label = models.CharField(_("variant"), max_length=80, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.PositiveIntegerField(_("unit price (tax incl.)"))
    tax_rate = models.PositiveSmallIntegerField(_("tax rate %"))
    # The line's amount before discounts (unit_price × quantity), as it always was; ``discount`` is
    # what the discounts took off it and ``amount`` what the customer pays for it. The invoice
    # shows both, and its tax per rate is computed on ``amount``.
    line_total = models.PositiveIntegerField(_("amount (tax incl.)"))
    discount = models.PositiveIntegerField(pgettext_lazy("orders", "discount (tax incl.)"), default=0)
    discount_reason = models.CharField(pgettext_lazy("orders", "discount reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderline_quantity_positive"),
            models.CheckConstraint(condition=Q(tax_rate__in=sorted(TAX_RATES)), name="orderline_known_tax_rate"),
            models.CheckConstraint(condition=Q(discount__gte=0, discount__lte=F("line_total")),
                                   name="orderline_discount_within_amount"),
        ]
        # "who bought this product or category" (customers.segments): from the variants to their
        # orders without reading the lines' table
        indexes = [models.Index(fields=["variant", "order"], name="orderline_variant_order")]

    def __str__(self) -> str:
        return f"{self.sku} × {self.quantity}"

    @property
    def is_reduced_rate(self) -> bool:
        return self.tax_rate == REDUCED_TAX_RATE

    @property
    def amount(self) -> int:
        """What the customer pays for the line: its amount after discounts (tax incl.)."""
        return self.line_total - self.discount


class OrderDiscount(models.Model):
    """One offer applied to an order (``orders.discounts.AppliedOffer``), as the provider that
    applied it named it. ``offer_id`` and ``campaign_id`` are the provider's own ids (no foreign
    key: orders knows no offer)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="discounts")
    provider = models.CharField(pgettext_lazy("orders", "discount provider"), max_length=60)
    offer_id = models.PositiveBigIntegerField(pgettext_lazy("orders", "offer id"))
    code = models.CharField(_("code"), max_length=60, blank=True)
    label = models.CharField(pgettext_lazy("orders", "offer"), max_length=200)
    amount = models.PositiveIntegerField(_("amount (tax incl.)"))
    free_shipping = models.BooleanField(pgettext_lazy("orders", "free shipping"), default=False)
    campaign_id = models.PositiveBigIntegerField(pgettext_lazy("orders", "campaign id"), null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("orders", "order discount")
        verbose_name_plural = pgettext_lazy("orders", "order discounts")
        ordering = ["order_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="orderdiscount_amount_non_negative"),
            models.UniqueConstraint(fields=["order", "provider", "offer_id", "code"], name="orderdiscount_once"),
        ]
        indexes = [models.Index(fields=["provider", "offer_id"], name="orderdiscount_offer")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.label}"


class OrderEventKind(models.TextChoices):
    """What an OrderEvent records. Each kind is written by its one builder in ``orders.events``."""

    PLACED = "placed", _("Order placed")
    READY = "ready", _("Marked ready for pickup")
    HANDED_OVER = "handed_over", _("Handed over")
    SHIPPED = "shipped", _("Shipped")
    TRACKING = "tracking", _("Tracking number added")
    CANCELLED = "cancelled", _("Cancelled")
    CANCEL_REASON = "cancel_reason", _("Reason for cancelling")
    EXPIRED = "expired", _("Cancelled: not collected in time")
    SOLD = "sold", _("Sold at the till")
    VOIDED = "voided", _("Voided at the till")
    LINES_CANCELLED = "lines_cancelled", _("Items cancelled")
    TRANSFER_REQUESTED = "transfer_requested", _("Transfer to the store requested")
    TRANSFER_SHIPPED = "transfer_shipped", _("Items on their way to the store")
    TRANSFER_RECEIVED = "transfer_received", _("Items arrived at the store")
    TRANSFER_SHORT = "transfer_short", _("Items arrived short")


class OrderEmail(models.TextChoices):
    """The emails a customer gets about an order (templates orders/email/<value>*)."""

    CONFIRMATION = "confirmation", _("Order confirmation email")
    READY = "ready", _("Ready for pickup email")
    RECEIPT = "receipt", _("Till receipt email")


class OrderEvent(models.Model):
    """Audit row for every transition, written in the same transaction as the change."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    fulfillment = models.ForeignKey(Fulfillment, null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="events")
    kind = models.CharField(_("event"), max_length=40, choices=OrderEventKind.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    acting_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(kind__in=OrderEventKind.values), name="orderevent_known_kind")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind}"


class OrderNote(models.Model):
    """A staff note on an order (a customer's call, a packing remark): who wrote it and when.
    Never shown to the customer. Written by ``orders.services.order_note_add``."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(_("note"))
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        verbose_name = _("order note")
        verbose_name_plural = _("order notes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.body[:40]}"


class OrderTag(models.Model):
    """A free tag staff put on an order ("gift", "VIP", "fragile"), normalised
    (``orders.services.tag_normalise``): the order list filters by it. Never shown to the customer."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(_("tag"), max_length=40)

    class Meta:
        verbose_name = _("order tag")
        verbose_name_plural = _("order tags")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["order", "name"], name="ordertag_once")]
        indexes = [models.Index(fields=["name", "order"], name="ordertag_name")]

    def __str__(self) -> str:
        return self.name


# --- carts -----------------------------------------------------------------------------------

def new_checkout_token() -> str:
    return secrets.token_urlsafe(24)


class Cart(models.Model):
    """A cart as a row: a guest's, keyed by their browser id (``kernel.browser``), or a signed-in
    customer's, which follows them to every device. A guest cart is merged into the customer's
    when they sign in (``orders.cart.cart_merge``) and deleted after ``CART_GUEST_DAYS`` idle.
    Written only by the cart services in ``orders.cart``."""

    customer = models.OneToOneField("customers.Customer", verbose_name=_("customer"), null=True, blank=True,
                                    on_delete=models.CASCADE, related_name="cart")
    browser_id = models.CharField(_("browser id"), max_length=32, null=True, blank=True, unique=True)
    # The one-time token of this cart's next checkout: the checkout form carries it and the order
    # keeps it (unique), so one checkout submitted twice places one order. A new one after each order.
    checkout_token = models.CharField(max_length=64, unique=True, default=new_checkout_token)
    # The discount codes the customer entered on the cart page (normalised, orders.discounts),
    # passed to order_place at checkout; written by orders.cart.cart_code_apply / cart_code_remove.
    codes = models.JSONField(pgettext_lazy("orders", "discount codes"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=False, browser_id__isnull=True)
                | Q(customer__isnull=True, browser_id__isnull=False),
                name="cart_customer_xor_browser"),
        ]

    def __str__(self) -> str:
        return f"cart {self.pk}"

    @property
    def is_guest(self) -> bool:
        return self.customer_id is None


class CartLine(models.Model):
    """One SKU in a cart. The SKU (not a foreign key) is kept so a line whose item stopped being
    sold still shows as such instead of vanishing; ``order_place`` checks everything again."""

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(_("SKU"), max_length=60)
    quantity = models.PositiveSmallIntegerField(_("quantity"))
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("cart line")
        verbose_name_plural = _("cart lines")
        ordering = ["cart_id", "added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "sku"], name="cartline_one_per_sku"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="cartline_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} × {self.quantity}"


# --- money: tenders, registers ---------------------------------------------------------------

class TenderKind(models.TextChoices):
    """How money moved on an order. Omnishop records tenders, never card data: a card or QR
    payment is taken on the store's own terminal and recorded here with its slip number."""

    CASH = "cash", _("Cash")
    CARD = "card", _("Card")
    QR = "qr", pgettext_lazy("tender", "QR / contactless")
    GIFT_VOUCHER = "gift_voucher", _("Gift voucher")
    STORE_CREDIT = "store_credit", _("Store credit")
    ONLINE = "online", pgettext_lazy("tender", "Paid online")
    MARKETPLACE = "marketplace", _("Paid on the marketplace")
    CASH_ON_DELIVERY = "cod", _("Cash on delivery")
    # The value of returned items carried over to their replacement in an exchange: negative on
    # the returned order, positive on the replacement (orders.returns).
    EXCHANGE = "exchange", pgettext_lazy("tender", "Exchange")


# Tenders a till takes at the counter (the rest arrive with the order).
COUNTER_TENDERS = (TenderKind.CASH, TenderKind.CARD, TenderKind.QR, TenderKind.GIFT_VOUCHER, TenderKind.STORE_CREDIT)
# The same as choices (the API's "CounterTenderEnum": settings.SPECTACULAR_SETTINGS).
COUNTER_TENDER_CHOICES = [(kind.value, kind.label) for kind in COUNTER_TENDERS]


class ReceiptWidth(models.IntegerChoices):
    """The paper a register's receipt printer takes (mm)."""

    NARROW = 58, _("58 mm receipt paper")
    WIDE = 80, _("80 mm receipt paper")


class Register(models.Model):
    """A till at a store: sales, returns and the cash drawer are counted per register."""

    location = models.ForeignKey("omnishop.Location", verbose_name=_("location"), on_delete=models.PROTECT,
                                 related_name="registers")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=60)
    is_active = models.BooleanField(_("active"), default=True)
    receipt_width = models.PositiveSmallIntegerField(_("receipt paper"), choices=ReceiptWidth.choices,
                                                     default=ReceiptWidth.WIDE)

    class Meta:
        verbose_name = _("register")
        verbose_name_plural = _("registers")
        ordering = ["location_id", "code"]
        permissions = [("operate_register", _("Can sell at the till and open or close a register"))]
        constraints = [models.UniqueConstraint(fields=["location", "code"], name="register_code_per_location")]

    def __str__(self) -> str:
        return self.name or self.code


class RegisterSession(models.Model):
    """One opening of a register, from the opening float to the closing cash count. At most one
    session per register is open; the day report reads a session's payments."""

    register = models.ForeignKey(Register, verbose_name=_("register"), on_delete=models.PROTECT,
                                 related_name="sessions")
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    opening_float = models.PositiveIntegerField(_("opening float"), default=0)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    # At close: the cash counted in the drawer and what the payments say should be there
    # (float + cash taken − cash given back); over/short = counted − expected.
    counted_cash = models.PositiveIntegerField(_("counted cash"), null=True, blank=True)
    expected_cash = models.IntegerField(_("expected cash"), null=True, blank=True)
    # The closing count by denomination, as staff counted the drawer: {"10000": 3, "1000": 12, ...}
    # (yen value -> number of notes or coins; orders.registers.DENOMINATIONS). Its total is counted_cash.
    cash_count = models.JSONField(_("cash count"), default=dict, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("register session")
        verbose_name_plural = _("register sessions")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["register"], condition=Q(closed_at__isnull=True),
                                    name="one_open_session_per_register"),
        ]

    def __str__(self) -> str:
        return f"{self.register} {self.opened_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def over_short(self) -> int | None:
        if self.counted_cash is None or self.expected_cash is None:
            return None
        return self.counted_cash - self.expected_cash


class Payment(models.Model):
    """One movement of money on an order: a tender taken (amount > 0) or money given back
    (amount < 0, a refund). Append-only: a mistake is corrected by another row. The money of
    an order balances: Σ amount = what the customer has paid net of refunds.

    For cash, ``amount`` is what the till kept: ``tendered`` is what the customer handed over
    and ``change`` what went back (tendered = amount + change)."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(pgettext_lazy("payment", "tender"), max_length=20, choices=TenderKind.choices)
    amount = models.IntegerField(_("amount"))
    tendered = models.PositiveIntegerField(pgettext_lazy("payment", "tendered"), null=True, blank=True)
    change = models.PositiveIntegerField(pgettext_lazy("payment", "change"), default=0)
    # The terminal's slip number, the voucher's number, the provider's payment id.
    reference = models.CharField(_("reference"), max_length=60, blank=True)
    location = models.ForeignKey("omnishop.Location", verbose_name=_("location"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    register_session = models.ForeignKey(RegisterSession, verbose_name=_("register session"), null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="payments")
    acting_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="payment_amount_not_zero"),
            models.CheckConstraint(condition=Q(change=0) | Q(kind="cash", amount__gt=0), name="payment_change_cash_only"),
            models.CheckConstraint(condition=Q(tendered__isnull=True) | Q(tendered=F("amount") + F("change")),
                                   name="payment_tendered_is_amount_and_change"),
            models.CheckConstraint(condition=Q(kind__in=TenderKind.values), name="payment_known_tender"),
        ]
        indexes = [models.Index(fields=["register_session", "kind"], name="payment_session_kind")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.amount}"


# --- returns, refunds and store credit ---------------------------------------------------------

class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("return", "Requested")
    RECEIVED = "received", pgettext_lazy("return", "Received")
    REFUNDED = "refunded", pgettext_lazy("return", "Refunded")
    CLOSED = "closed", pgettext_lazy("return", "Closed")
    CANCELLED = "cancelled", pgettext_lazy("return", "Cancelled")


class ReturnMethod(models.TextChoices):
    STORE = "store", pgettext_lazy("return", "At a store")
    MAIL = "mail", pgettext_lazy("return", "By mail")


class ReturnReason(models.TextChoices):
    SIZE = "size", pgettext_lazy("return", "Wrong size")
    NOT_AS_EXPECTED = "not_as_expected", pgettext_lazy("return", "Not as expected")
    FAULTY = "faulty", pgettext_lazy("return", "Faulty or damaged")
    WRONG_ITEM = "wrong_item", pgettext_lazy("return", "Wrong item received")
    CHANGED_MIND = "changed_mind", pgettext_lazy("return", "Changed my mind")
    OTHER = "other", pgettext_lazy("return", "Other")


class ReturnCondition(models.TextChoices):
    AS_NEW = "as_new", pgettext_lazy("return", "As new")
    OPENED = "opened", pgettext_lazy("return", "Opened or worn")
    DAMAGED = "damaged", pgettext_lazy("return", "Damaged")


class ReturnDisposition(models.TextChoices):
    """What happens to the returned units at the location that took them: every one comes back
    into its stock through the ledger (reason "returned"); damaged units are then written off."""

    RESTOCK = "restock", pgettext_lazy("return", "Restock here")
    TO_WAREHOUSE = "to_warehouse", pgettext_lazy("return", "Send to the warehouse")
    WRITE_OFF = "write_off", pgettext_lazy("return", "Damaged: write off")


class RefundMethod(models.TextChoices):
    ORIGINAL = "original", pgettext_lazy("refund", "To the original payment")
    STORE_CREDIT = "store_credit", pgettext_lazy("refund", "As store credit")


RETURN_NUMBER_PREFIX = "R"


def return_number(pk: int) -> str:
    """``R00000042``: what the customer, the receipt and the stock ledger call a return."""
    return f"{RETURN_NUMBER_PREFIX}{pk:0{ORDER_NUMBER_DIGITS}d}"


RETURN_CODE_LENGTH = 8


def new_return_code() -> str:
    """The code a customer shows (as a QR code) when they bring a return they started online."""
    return "".join(secrets.choice(PICKUP_CODE_ALPHABET) for _ in range(RETURN_CODE_LENGTH))


class ReturnQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=[ReturnStatus.REQUESTED, ReturnStatus.RECEIVED])


class Return(models.Model):
    """Items of one order coming back: requested by the customer from their account (with a
    return code the store scans) or taken at any store's returns desk, received at a location
    (stock comes back there through the ledger) and refunded, to the original tenders or as
    store credit, or exchanged. Written only by ``orders.returns``."""

    number = models.CharField(_("return number"), max_length=20, unique=True)
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="returns")
    status = models.CharField(_("status"), max_length=20, choices=ReturnStatus.choices,
                              default=ReturnStatus.REQUESTED, db_index=True)
    method = models.CharField(pgettext_lazy("return", "how"), max_length=10, choices=ReturnMethod.choices,
                              default=ReturnMethod.STORE)
    # The store the customer said they would bring it to; then the location that received it.
    location = models.ForeignKey("omnishop.Location", verbose_name=_("location"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="returns")
    code = models.CharField(pgettext_lazy("return", "return code"), max_length=12, null=True, blank=True,
                            unique=True)
    reason = models.CharField(_("reason"), max_length=20, choices=ReturnReason.choices, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    refund_method = models.CharField(pgettext_lazy("refund", "refund method"), max_length=20,
                                     choices=RefundMethod.choices, blank=True)
    refund_total = models.PositiveIntegerField(pgettext_lazy("refund", "refunded"), default=0)
    exchange_order = models.ForeignKey(Order, verbose_name=pgettext_lazy("return", "replacement order"), null=True,
                                       blank=True, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(pgettext_lazy("return", "requested at"), auto_now_add=True, db_index=True)
    received_at = models.DateTimeField(pgettext_lazy("return", "received at"), null=True, blank=True)
    refunded_at = models.DateTimeField(pgettext_lazy("refund", "refunded at"), null=True, blank=True)

    objects = ReturnQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("return", "return")
        verbose_name_plural = pgettext_lazy("return", "returns")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("take_returns", _("Can take returns and exchanges at the returns desk")),
            ("refund_order", _("Can refund an order (also without a return)")),
        ]
        constraints = [models.CheckConstraint(condition=Q(refund_total__gte=0), name="return_refund_non_negative")]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("storefront:return", kwargs={"number": self.number})


class ReturnLine(models.Model):
    order_return = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="return_lines")
    quantity = models.PositiveIntegerField(_("quantity"))
    reason = models.CharField(_("reason"), max_length=20, choices=ReturnReason.choices)
    condition = models.CharField(pgettext_lazy("return", "condition"), max_length=20,
                                 choices=ReturnCondition.choices, blank=True)
    disposition = models.CharField(pgettext_lazy("return", "disposition"), max_length=20,
                                   choices=ReturnDisposition.choices, blank=True)
    # What these units are worth back: their share of the line's amount after discounts.
    amount = models.PositiveIntegerField(_("amount (tax incl.)"), default=0)

    class Meta:
        verbose_name = pgettext_lazy("return", "return line")
        verbose_name_plural = pgettext_lazy("return", "return lines")
        ordering = ["order_return_id", "id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="returnline_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.order_line_id} × {self.quantity}"


class StoreCreditKind(models.TextChoices):
    REFUND = "refund", pgettext_lazy("store credit", "Refund as store credit")
    SPENT = "spent", pgettext_lazy("store credit", "Spent")
    REFUND_TO_CREDIT = "returned", pgettext_lazy("store credit", "Given back to store credit")


class StoreCreditEntry(AppendOnlyModel):
    """The store credit ledger of a customer: one row per movement (a refund as credit +, credit
    spent at a till −). Append-only; the balance is the sum (``orders.selectors.store_credit_balance``)
    and never goes below zero (``orders.payments``, under the customer's row lock)."""

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="store_credit")
    amount = models.IntegerField(_("amount"))
    kind = models.CharField(_("kind"), max_length=20, choices=StoreCreditKind.choices)
    order = models.ForeignKey(Order, verbose_name=_("order"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    payment = models.OneToOneField(Payment, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="store_credit_entry")
    note = models.CharField(_("note"), max_length=200, blank=True)
    acting_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = pgettext_lazy("store credit", "store credit entry")
        verbose_name_plural = pgettext_lazy("store credit", "store credit")
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="storecredit_amount_not_zero")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.amount:+d}"


class TillSale(models.Model):
    """A sale rung up at a till (``orders.till``): the POS order it made, the register session
    whose drawer took the money, and the sale's idempotency key.

    The key is the till's own (one per sale, made when the sale was started, kept by an offline
    till until it is sent): the same key always gives this sale, never a second one; the same key
    with another content (``fingerprint``) is refused. ``sold_at`` is when the till rang it up,
    which for a sale sent after a dropped connection is earlier than ``created_at``.

    A void (``orders.till.till_sale_void``, only while its session is open) leaves behind:
    ``voided_at``/``voided_by``/``void_reason`` here; the order cancelled (status cancelled,
    payment status refunded, an OrderEvent ``voided``); one negative ``Payment`` per tender kept,
    of the same kind and reference, in the same register session (so Σ payments of the order is
    0 and the drawer's expected cash drops by the cash kept); one ledger row per line putting the
    units back (reason ``return``, the sale's reference). The day report counts voids as the
    TillSales of the session with ``voided_at`` set, and their negative payments."""

    order = models.OneToOneField(Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="till_sale")
    register_session = models.ForeignKey(RegisterSession, verbose_name=_("register session"),
                                         on_delete=models.PROTECT, related_name="till_sales")
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, unique=True)
    fingerprint = models.CharField(max_length=64, editable=False)
    sold_at = models.DateTimeField(_("sold at"), db_index=True)
    sold_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    change = models.PositiveIntegerField(pgettext_lazy("payment", "change"), default=0)
    receipt_prints = models.PositiveIntegerField(_("receipts printed"), default=0)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    voided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    void_reason = models.CharField(_("reason for the void"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("till sale")
        verbose_name_plural = _("till sales")
        ordering = ["-sold_at", "-id"]
        indexes = [models.Index(fields=["register_session", "sold_at"], name="tillsale_session_time")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.idempotency_key}"

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None
