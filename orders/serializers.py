"""API shapes of the orders domain. Placing an order goes through orders.services.order_place."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kernel.api import ValidationErrorSerializer
from kernel.models import Channel

from .discounts import MAX_CODES, REFUSAL_REASONS
from .models import (
    COUNTER_TENDER_CHOICES,
    Carrier,
    Fulfillment,
    FulfillmentMethod,
    Order,
    OrderDiscount,
    OrderLine,
    OrderNote,
    PaymentMethod,
)
from .payments import order_refund_due
from .selectors import order_tax
from .services import (
    MAX_LINE_QUANTITY,
    MAX_NOTE_LENGTH,
    MAX_REASON_LENGTH,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    MAX_TRACKING_LENGTH,
)


class OrderLineSerializer(serializers.ModelSerializer):
    line_total = serializers.IntegerField(read_only=True, help_text=_("unit_price × quantity, before discounts."))
    amount = serializers.IntegerField(read_only=True, help_text=_("What is paid for the line: line_total − discount."))

    class Meta:
        model = OrderLine
        fields = ["id", "sku", "product_name", "variant_label", "quantity", "unit_price", "tax_rate", "line_total",
                  "discount", "discount_reason", "amount"]


class OrderDiscountSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderDiscount
        fields = ["provider", "offer_id", "code", "label", "amount", "free_shipping", "campaign_id"]


class FulfillmentSerializer(serializers.ModelSerializer):
    location = serializers.SlugRelatedField(slug_field="code", read_only=True)
    location_name = serializers.CharField(source="location.name", read_only=True)

    class Meta:
        model = Fulfillment
        fields = ["id", "method", "location", "location_name", "status", "pickup_code", "address", "carrier",
                  "tracking_number", "tracking_url", "ready_at", "closed_at"]

    tracking_url = serializers.CharField(read_only=True, help_text=_(
        "The carrier's public tracking page for this parcel (empty for another carrier or before shipping)."))


class TaxRateSerializer(serializers.Serializer):
    rate = serializers.IntegerField(help_text=_("Consumption tax rate in percent: the reduced or the standard rate."))
    total = serializers.IntegerField(help_text=_("Tax-inclusive amount at this rate."))
    tax = serializers.IntegerField(help_text=_("Tax contained, rounded down once per rate."))


class OrderSerializer(serializers.ModelSerializer):
    channel = serializers.SlugRelatedField(slug_field="code", read_only=True)
    customer = serializers.SerializerMethodField()
    fulfillments = FulfillmentSerializer(many=True, read_only=True)
    lines = OrderLineSerializer(many=True, read_only=True)
    discounts = OrderDiscountSerializer(many=True, read_only=True, help_text=_("The offers applied."))
    tax = serializers.SerializerMethodField()
    refund_due = serializers.SerializerMethodField(help_text=_(
        "Yen the customer paid above what the order now comes to (after items or the whole order were "
        "cancelled), not refunded yet."))

    class Meta:
        model = Order
        fields = ["number", "status", "channel", "customer", "email", "name", "phone", "currency", "total", "tax",
                  "refund_due", "discount_total", "shipping_fee", "shipping_discount", "discounts",
                  "payment_method", "payment_status", "created_at", "completed_at", "fulfillments", "lines"]

    def get_customer(self, order: Order) -> str | None:
        """The customer's email (their identity across channels), if the order has a customer."""
        return order.customer.email if order.customer_id and order.customer else None

    def get_refund_due(self, order: Order) -> int:
        return order_refund_due(order)

    @extend_schema_field(TaxRateSerializer(many=True))
    def get_tax(self, order: Order) -> list[dict]:
        summary = order_tax(order)
        return [{"rate": r.rate, "total": r.total, "tax": r.tax} for r in summary.by_rate]


# --- placing an order --------------------------------------------------------------------

class LineInSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=60)
    quantity = serializers.IntegerField(min_value=1)


class AddressSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=10, required=False, allow_blank=True)
    prefecture = serializers.CharField(max_length=10, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    line1 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)


class FulfillmentInSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=FulfillmentMethod.choices)
    location = serializers.CharField(max_length=40, required=False, allow_blank=True, default="",
                                     help_text=_("Location code: the pickup store or the shipping location."))
    address = AddressSerializer(required=False, help_text=_("Required for delivery."))


class ContactInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


def codes_field(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=60, allow_blank=True), max_length=MAX_CODES, **kwargs,
        help_text=_("Discount codes as typed (full-width, dashes and case do not matter). A refused code answers "
                    "400 naming the field codes, with each code's reason under refused."))


class OrderCreateSerializer(serializers.Serializer):
    channel = serializers.CharField(max_length=40, help_text=_("Channel code, e.g. web."))
    codes = codes_field(required=False, default=list)
    customer = serializers.EmailField(required=False, allow_blank=True,
                                      help_text=_("Customer email; found or created. Customer accounts: omit."))
    contact = ContactInSerializer(required=False)
    lines = LineInSerializer(many=True, allow_empty=False)
    fulfillment = FulfillmentInSerializer()
    payment_method = serializers.ChoiceField(choices=PaymentMethod.choices, required=False)

    def validate_channel(self, value: str) -> Channel:
        channel = Channel.objects.filter(code=value.strip()).select_related("location").first()
        if channel is None:
            raise serializers.ValidationError(_("Unknown channel: %(code)s") % {"code": value})
        return channel


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=MAX_REASON_LENGTH, required=False, allow_blank=True, default="")


class HandOverTenderSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=COUNTER_TENDER_CHOICES)
    amount = serializers.IntegerField(min_value=1, help_text=_("Yen. For cash, what the customer handed over."))
    reference = serializers.CharField(max_length=60, required=False, allow_blank=True, default="",
                                      help_text=_("The slip or voucher number. Never card data."))


class HandOverSerializer(serializers.Serializer):
    tenders = HandOverTenderSerializer(many=True, required=False, help_text=_(
        "The payment when the order is to be paid at the store."))
    register = serializers.IntegerField(required=False, allow_null=True, default=None,
                                        help_text=_("The register (id) whose open session takes the money."))


class ShipSerializer(serializers.Serializer):
    tracking_number = serializers.CharField(max_length=MAX_TRACKING_LENGTH, help_text=_(
        "From the delivery slip; spaces, dashes and full-width digits are fine. Yamato and Sagawa: 12 digits; "
        "Japan Post: 11 to 13 digits, or an international number such as EJ123456789JP; other: up to 40 "
        "letters and digits."))
    carrier = serializers.ChoiceField(choices=Carrier.choices, required=False, default=Carrier.OTHER,
                                      help_text=_("Who carries the parcel (default: other)."))


class LineCancelInSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text=_("The line's id (lines[].id of the order)."))
    quantity = serializers.IntegerField(min_value=1, help_text=_("Units to cancel, at most the line's quantity."))


class LinesCancelSerializer(serializers.Serializer):
    lines = LineCancelInSerializer(many=True, allow_empty=False)
    reason = serializers.CharField(max_length=MAX_REASON_LENGTH)


class OrderNoteSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = OrderNote
        fields = ["id", "body", "author", "created_at"]

    def get_author(self, note: OrderNote) -> str | None:
        """The author's email (None once their account is gone)."""
        return note.author.email if note.author_id and note.author else None


class OrderNoteInSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=MAX_NOTE_LENGTH)


class OrderTagsSerializer(serializers.Serializer):
    tags = serializers.ListField(child=serializers.CharField(max_length=MAX_TAG_LENGTH, allow_blank=True),
                                 max_length=MAX_TAGS, help_text=_(
                                     "The order's tags (replacing the ones it had), normalised: NFKC, single "
                                     "spaces, lower case."))


class PickRowSerializer(serializers.Serializer):
    sku = serializers.CharField()
    barcode = serializers.CharField()
    product_name = serializers.CharField()
    variant_label = serializers.CharField()
    zone = serializers.CharField(help_text=_("Its zone / bin at the location (\"A-03\"); empty when not set."))
    quantity = serializers.IntegerField(help_text=_("Units of this SKU across the orders of the batch."))
    orders = serializers.ListField(child=serializers.CharField(), help_text=_("The order numbers it goes to."))
    per_order = serializers.DictField(child=serializers.IntegerField(),
                                      help_text=_("Units for each order: {order number: units}, oldest order first."))


class PickZoneSerializer(serializers.Serializer):
    name = serializers.CharField(help_text=_("The zone (the part of the zone / bin before its first hyphen); "
                                             "empty for the items with no zone set, which come last."))
    units = serializers.IntegerField()
    rows = PickRowSerializer(many=True, help_text=_("By bin, then SKU."))


class PickListSerializer(serializers.Serializer):
    location = serializers.CharField(source="location.code")
    orders = serializers.SerializerMethodField()
    units = serializers.IntegerField()
    zones = PickZoneSerializer(many=True, help_text=_("The walk through the location: zone by zone."))
    rows = PickRowSerializer(many=True, help_text=_("Every row, in the order of the zones."))

    def get_orders(self, picks) -> list[str]:
        """The orders batched, oldest first."""
        return [f.order.number for f in picks.fulfillments]


# --- discounts -------------------------------------------------------------------------------

class RefusedCodeSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("The code, normalised."))
    reason = serializers.ChoiceField(choices=[(r, r) for r in REFUSAL_REASONS])
    message = serializers.CharField()


class CodesRefusedErrorSerializer(ValidationErrorSerializer):
    refused = RefusedCodeSerializer(many=True, required=False,
                                    help_text=_("When discount codes are refused: each code and why."))


class LineDiscountSerializer(serializers.Serializer):
    sku = serializers.CharField()
    amount = serializers.IntegerField()
    reason = serializers.CharField()


class AppliedOfferSerializer(serializers.Serializer):
    provider = serializers.CharField()
    offer_id = serializers.IntegerField()
    code = serializers.CharField(allow_blank=True)
    label = serializers.CharField()
    amount = serializers.IntegerField()
    free_shipping = serializers.BooleanField()
    campaign_id = serializers.IntegerField(allow_null=True)


# --- the caller's cart (/api/v1/me/cart/) ------------------------------------------------------

class CartLineSerializer(serializers.Serializer):
    sku = serializers.CharField()
    quantity = serializers.IntegerField()
    available = serializers.BooleanField(help_text=_("False when the item is no longer sold: remove it to check out."))
    product_name = serializers.SerializerMethodField()
    variant_label = serializers.SerializerMethodField()
    unit_price = serializers.IntegerField(help_text=_("Tax-inclusive price now (0 when no longer sold)."))
    tax_rate = serializers.IntegerField()
    line_total = serializers.IntegerField(help_text=_("Before discounts."))
    discount = serializers.IntegerField(help_text=_("What the cart's discounts take off the line now."))
    discount_reason = serializers.CharField(allow_blank=True)
    amount = serializers.IntegerField(help_text=_("line_total − discount."))

    def get_product_name(self, line) -> str:
        return line.variant.product.name if line.variant is not None else ""

    def get_variant_label(self, line) -> str:
        return line.variant.label if line.variant is not None else ""


class CartSerializer(serializers.Serializer):
    lines = CartLineSerializer(many=True)
    count = serializers.IntegerField(help_text=_("Units in the cart."))
    total = serializers.IntegerField(help_text=_("Tax-inclusive total of the available lines, after discounts "
                                                 "(before any delivery fee)."))
    discount_total = serializers.IntegerField(help_text=_("What the discounts take off the lines."))
    tax = TaxRateSerializer(many=True)
    codes = serializers.ListField(child=serializers.CharField(),
                                  help_text=_("The discount codes kept on the cart (checkout uses them)."))
    applied = AppliedOfferSerializer(many=True, help_text=_("The offers that apply now."))
    refused = RefusedCodeSerializer(many=True, help_text=_("The cart's codes that do not apply now, and why."))
    checkout_token = serializers.CharField(
        allow_blank=True,
        help_text=_("Send it with the checkout: the same checkout sent twice places one order. Empty when there "
                    "is no cart yet."))


class CartLineInSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=60)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)


class CartQuantitySerializer(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=0, max_value=MAX_LINE_QUANTITY,
                                        help_text=_("The line's new quantity; 0 removes it."))


class CartCodeInSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=60, help_text=_("A discount code as typed."))


class CartCheckoutSerializer(serializers.Serializer):
    channel = serializers.CharField(max_length=40, default="web", help_text=_("web or app."))
    checkout_token = serializers.CharField(max_length=64, help_text=_("The cart's checkout token (GET /me/cart/)."))
    fulfillment = FulfillmentInSerializer()
    contact = ContactInSerializer(required=False)
    codes = codes_field(required=False, allow_null=True, default=None)

    def validate_channel(self, value: str) -> Channel:
        return OrderCreateSerializer().validate_channel(value)


class DiscountPreviewInSerializer(serializers.Serializer):
    channel = serializers.CharField(max_length=40, help_text=_("Channel code, e.g. web or pos-shibuya."))
    lines = LineInSerializer(many=True, allow_empty=False)
    codes = codes_field(required=False, default=list)
    customer = serializers.EmailField(required=False, allow_blank=True,
                                      help_text=_("Customer email, for per-customer offers (staff only)."))
    method = serializers.ChoiceField(choices=FulfillmentMethod.choices, required=False,
                                     default=FulfillmentMethod.PICKUP,
                                     help_text=_("How the order would be fulfilled (delivery has a fee)."))

    def validate_channel(self, value: str) -> Channel:
        return OrderCreateSerializer().validate_channel(value)


class DiscountPreviewSerializer(serializers.Serializer):
    subtotal = serializers.IntegerField(help_text=_("The lines before discounts."))
    line_discounts = LineDiscountSerializer(many=True)
    discount_total = serializers.IntegerField(help_text=_("Taken off the lines."))
    shipping_fee = serializers.IntegerField()
    shipping_discount = serializers.IntegerField()
    total = serializers.IntegerField(help_text=_("What the order would come to."))
    applied = AppliedOfferSerializer(many=True)
    refused = RefusedCodeSerializer(many=True)
    tax = TaxRateSerializer(many=True)


# --- importing finished orders from another system (orders_import) ---------------------------

# The most rows one request may carry: a bigger export is sent in several requests.
IMPORT_MAX_ROWS = 1000


class ImportLineInSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=60)
    quantity = serializers.IntegerField()
    unit_price = serializers.IntegerField(help_text=_("Yen, tax included, as sold."))
    tax_rate = serializers.IntegerField(help_text=_("Consumption tax rate in percent, as sold."))


class ImportContactInSerializer(ContactInSerializer):
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")


class OrderImportRowSerializer(serializers.Serializer):
    """One finished order as the old system recorded it; the rules are ``orders_import``'s."""

    channel = serializers.CharField(max_length=40, help_text=_("Channel code, e.g. web or pos-shibuya."))
    placed_at = serializers.DateTimeField()
    customer = serializers.IntegerField(required=False, allow_null=True, default=None,
                                        help_text=_("Omnishop customer id (from the customer import)."))
    contact = ImportContactInSerializer(required=False, allow_null=True, default=None)
    lines = ImportLineInSerializer(many=True)
    fulfillment = FulfillmentInSerializer()
    status = serializers.CharField(max_length=20, help_text=_("How it ended: collected, shipped or cancelled."))
    ready_at = serializers.DateTimeField(required=False, allow_null=True, default=None,
                                         help_text=_("Pickups: when it was ready (default: when collected)."))
    closed_at = serializers.DateTimeField(help_text=_("When it was collected, shipped or cancelled."))
    payment_method = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    payment_status = serializers.CharField(max_length=20, required=False, default="paid")
    placed_by = serializers.CharField(max_length=254, required=False, allow_blank=True, default="",
                                      help_text=_("Email of the staff member who took the order, if known."))
    closed_by = serializers.CharField(max_length=254, required=False, allow_blank=True, default="",
                                      help_text=_("Email of the staff member who closed it, if known."))
    cancel_reason = serializers.CharField(required=False, allow_blank=True, default="")


class OrderImportInSerializer(serializers.Serializer):
    source = serializers.CharField(max_length=100, help_text=_("Names the import, e.g. shopify-2026-11."))
    rows = OrderImportRowSerializer(many=True, allow_empty=False, max_length=IMPORT_MAX_ROWS)


class ImportedOrderSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    number = serializers.CharField()


class OrderImportOutSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    orders = ImportedOrderSerializer(many=True)
