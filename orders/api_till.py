"""The till's API (``/api/v1/till/...``): a sale with its Idempotency-Key, a batch of sales queued
by a till that lost its connection (each with its own key), a void, the receipt. The same
services as the console's till page (``orders.till``); staff act only at their own store's tills."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.models import Customer
from kernel import roles
from kernel.api import (
    ERROR_400,
    ERROR_403,
    ERROR_404,
    ERROR_409,
    ERROR_409_STOCK,
    IDEMPOTENCY_HEADER,
    ActionPermission,
    flatten_errors,
    invalid_response,
)
from kernel.errors import DomainError

from . import till
from .errors import InvalidOrder
from .models import COUNTER_TENDER_CHOICES, Register, RegisterSession, TillSale
from .payments import TenderIn
from .services import MAX_LINE_QUANTITY, MAX_REASON_LENGTH

MAX_BATCH = 500

OPERATE = "orders.operate_register"


class TillLineSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=60, help_text=gettext_lazy(
        "What was scanned or typed: a JAN/EAN-13 barcode (full-width digits are fine) or a SKU."))
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY, default=1)


class TenderSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=COUNTER_TENDER_CHOICES)
    amount = serializers.IntegerField(min_value=1, help_text=gettext_lazy(
        "Yen. For cash, what the customer handed over (the change is worked out)."))
    reference = serializers.CharField(max_length=60, required=False, allow_blank=True, default="", help_text=gettext_lazy(
        "The terminal's slip number (card, QR), the voucher's number. Never card data."))


class TillSaleInSerializer(serializers.Serializer):
    register = serializers.IntegerField(help_text=gettext_lazy("The register's id: its open session takes the money."))
    lines = TillLineSerializer(many=True)
    tenders = TenderSerializer(many=True)
    customer = serializers.IntegerField(required=False, allow_null=True, default=None,
                                        help_text=gettext_lazy("The customer's id, when one was attached."))
    codes = serializers.ListField(child=serializers.CharField(max_length=60), required=False, default=list,
                                  max_length=10)
    sold_at = serializers.DateTimeField(required=False, allow_null=True, default=None, help_text=gettext_lazy(
        "When the till rang the sale up (a sale queued offline); default now."))


class TillBatchItemSerializer(TillSaleInSerializer):
    idempotency_key = serializers.CharField(max_length=100, help_text=gettext_lazy(
        "The sale's own key, made by the till when the sale was started."))


class TillBatchInSerializer(serializers.Serializer):
    sales = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=MAX_BATCH)


class TillTenderOutSerializer(serializers.Serializer):
    kind = serializers.CharField()
    amount = serializers.IntegerField(help_text=gettext_lazy("Kept by the till (negative: given back by a void)."))
    tendered = serializers.IntegerField(allow_null=True)
    change = serializers.IntegerField()
    reference = serializers.CharField()


class TillReceiptLineSerializer(serializers.Serializer):
    sku = serializers.CharField()
    product_name = serializers.CharField()
    variant_label = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.IntegerField()
    line_total = serializers.IntegerField()
    discount = serializers.IntegerField()
    discount_reason = serializers.CharField()
    amount = serializers.IntegerField()
    tax_rate = serializers.IntegerField()
    reduced_rate = serializers.BooleanField(source="is_reduced_rate", help_text=gettext_lazy("Marked ※ on paper."))


class ReceiptTaxSerializer(serializers.Serializer):
    rate = serializers.IntegerField()
    total = serializers.IntegerField()
    tax = serializers.IntegerField()


class TillReceiptSerializer(serializers.Serializer):
    number = serializers.CharField(source="order.number")
    status = serializers.CharField(source="order.status")
    seller_name = serializers.CharField(source="invoice.seller_name")
    registration_number = serializers.CharField(source="invoice.registration_number",
                                                help_text=gettext_lazy("T and 13 digits."))
    sold_at = serializers.DateTimeField(source="sale.sold_at")
    store = serializers.CharField(source="location.name")
    store_address = serializers.CharField(source="location.address")
    store_phone = serializers.CharField(source="location.phone")
    register = serializers.CharField(source="register.code")
    customer = serializers.IntegerField(source="order.customer_id", allow_null=True)
    lines = TillReceiptLineSerializer(source="invoice.lines", many=True)
    discount_total = serializers.IntegerField(source="order.discount_total")
    total = serializers.IntegerField(source="order.total")
    tax = ReceiptTaxSerializer(source="invoice.tax.by_rate", many=True)
    tenders = TillTenderOutSerializer(source="payments", many=True)
    refunds = TillTenderOutSerializer(many=True)
    change = serializers.IntegerField()
    reprint = serializers.BooleanField(help_text=gettext_lazy("Printed before: the paper says 再発行 / Reprint."))
    voided = serializers.BooleanField(source="sale.is_voided")


class TillSaleOutSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["created", "replayed"])
    number = serializers.CharField()
    idempotency_key = serializers.CharField()
    total = serializers.IntegerField()
    change = serializers.IntegerField()
    receipt = TillReceiptSerializer()


class BatchResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    idempotency_key = serializers.CharField()
    status = serializers.ChoiceField(choices=["created", "replayed", "refused"])
    number = serializers.CharField(allow_null=True)
    change = serializers.IntegerField(allow_null=True)
    code = serializers.CharField(allow_null=True, help_text=gettext_lazy(
        "Why it was refused: invalid, out_of_stock, idempotency_key_reused, permission_denied, not_found..."))
    detail = serializers.CharField(allow_null=True)
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)
    lines = serializers.ListField(child=serializers.DictField(), required=False, help_text=gettext_lazy(
        "For out_of_stock: each short line with what is available at the store now."))
    stock_warnings = serializers.ListField(child=serializers.DictField(), required=False, help_text=gettext_lazy(
        "For a sale recorded that took units held for others (pickup reservations, safety stock): each such "
        "line with sku, on_hand, reserved and safety now, for staff to check the pickups waiting for it."))


class BatchOutSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    replayed = serializers.IntegerField()
    refused = serializers.IntegerField()
    results = BatchResultSerializer(many=True)


class VoidSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=MAX_REASON_LENGTH)


def _open_session(user, register_id: int) -> RegisterSession:
    """The open session of a register the user may sell at (404 for another store's register,
    400 for a closed one)."""
    register = Register.objects.select_related("location").filter(pk=register_id).first()
    if register is None or not roles.can_act_at(user, register.location):
        raise Http404
    session = RegisterSession.objects.select_related("register__location").filter(
        register=register, closed_at__isnull=True).first()
    if session is None:
        raise InvalidOrder({"register": [_("This register is closed: open it before taking money.")]})
    return session


def _sell(user, data: dict, key: str, offline: bool = False) -> till.TillSaleResult:
    session = _open_session(user, data["register"])
    customer = None
    if data.get("customer") is not None:
        customer = Customer.objects.filter(pk=data["customer"]).first()
        if customer is None:
            raise InvalidOrder({"customer": [_("Unknown customer.")]})
    return till.till_sale(
        register_session=session, idempotency_key=key, acting_user=user, customer=customer,
        lines=[till.TillLineIn(code=line["code"], quantity=line["quantity"]) for line in data["lines"]],
        tenders=[TenderIn(kind=t["kind"], amount=t["amount"], reference=t.get("reference", "")) for t in data["tenders"]],
        codes=data.get("codes") or (), sold_at=data.get("sold_at"), offline=offline)


def _sale_body(result: till.TillSaleResult) -> dict:
    sale = till.till_sale_get(number=result.order.number)
    return {"status": "replayed" if result.replayed else "created", "number": result.order.number,
            "idempotency_key": sale.idempotency_key, "total": result.order.total, "change": result.change,
            "receipt": TillReceiptSerializer(till.till_receipt(sale)).data}


IDEMPOTENCY_REQUIRED = OpenApiParameter(
    IDEMPOTENCY_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
    description="The sale's own key (1-100 characters), made by the till when the sale was started. The same "
                "key and content give the same sale back (200, status replayed), never a second sale; the same "
                "key with other content is 409 (code idempotency_key_reused). Kept with the sale for good.")


class TillSaleView(APIView):
    permission_classes = [ActionPermission]
    action_permissions = {"post": OPERATE}

    @extend_schema(
        operation_id="till_sale_create", tags=["till"], summary="Ring up a sale at a till (completed at once)",
        description="One transaction: a POS order at the register's store, completed at once; stock leaves the "
                    "shelf through the ledger; discount codes through the discount hook; tenders through the one "
                    "tender step (split tender, change from cash only). Bad input (unknown barcode, tenders short "
                    "of the total, short stock, refused code): 400/409 and nothing is written.",
        parameters=[IDEMPOTENCY_REQUIRED], request=TillSaleInSerializer,
        responses={201: TillSaleOutSerializer, 200: TillSaleOutSerializer, 400: ERROR_400, 403: ERROR_403,
                   404: ERROR_404, 409: ERROR_409_STOCK})
    def post(self, request):
        key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        if not key:
            return invalid_response({IDEMPOTENCY_HEADER: [_("Send the sale's Idempotency-Key.")]})
        incoming = TillSaleInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        result = _sell(request.user, incoming.validated_data, key)
        response = Response(_sale_body(result), status=status.HTTP_200_OK if result.replayed else status.HTTP_201_CREATED)
        if result.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class TillSaleBatchView(APIView):
    permission_classes = [ActionPermission]
    action_permissions = {"post": OPERATE}

    @extend_schema(
        operation_id="till_sale_batch", tags=["till"],
        summary="Send the sales a till queued while offline (each with its own key)",
        description=f"Up to {MAX_BATCH} sales, each run on its own (one transaction each) in the order given, with "
                    "its own `idempotency_key`: a sale already received is `replayed` (no second order), a new one "
                    "`created`, a bad one `refused` with the machine-readable `code` (invalid, out_of_stock with "
                    "the short `lines`, idempotency_key_reused, permission_denied, not_found) and its message. "
                    "These sales were made offline: the goods have already left the shop, so a sale may take units "
                    "held for pickup orders or as safety stock (reported in `stock_warnings`), and is refused as "
                    "out_of_stock only when the store's books hold fewer units than were sold. "
                    "Sending the same batch again creates nothing new. Always 200 when the batch itself is valid.",
        request=TillBatchInSerializer, responses={200: BatchOutSerializer, 400: ERROR_400, 403: ERROR_403})
    def post(self, request):
        incoming = TillBatchInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        results = []
        for index, raw in enumerate(incoming.validated_data["sales"]):
            results.append(self._one(request.user, index, raw))
        counts = {name: sum(1 for r in results if r["status"] == name) for name in ("created", "replayed", "refused")}
        return Response({**counts, "results": results})

    def _one(self, user, index: int, raw: dict) -> dict:
        key = str(raw.get("idempotency_key") or "")[:100]
        base = {"index": index, "idempotency_key": key, "number": None, "change": None, "code": None, "detail": None}
        item = TillBatchItemSerializer(data=raw)
        if not item.is_valid():
            return {**base, "status": "refused", "code": "invalid", "detail": _("The sale has invalid fields."),
                    "errors": flatten_errors(item.errors)}
        data = item.validated_data
        try:
            result = _sell(user, data, data["idempotency_key"], offline=True)
        except DomainError as exc:
            return {**base, "status": "refused", "code": exc.code, "detail": str(exc.detail()), **exc.payload()}
        except PermissionDenied as exc:
            return {**base, "status": "refused", "code": "permission_denied", "detail": str(exc)}
        except Http404:
            return {**base, "status": "refused", "code": "not_found", "detail": _("Unknown register.")}
        return {**base, "status": "replayed" if result.replayed else "created", "number": result.order.number,
                "change": result.change, "stock_warnings": list(result.stock_warnings)}


def _scoped_sale(user, number: str) -> TillSale:
    try:
        return till.till_sale_get(number=number, locations=roles.scoped_locations(user))
    except TillSale.DoesNotExist as exc:
        raise Http404 from exc


class TillSaleVoidView(APIView):
    permission_classes = [ActionPermission]
    action_permissions = {"post": OPERATE}

    @extend_schema(operation_id="till_sale_void", tags=["till"],
                   summary="Void a sale while its register session is open (money back, stock back)",
                   request=VoidSerializer,
                   responses={200: TillReceiptSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404, 409: ERROR_409})
    def post(self, request, number: str):
        sale = _scoped_sale(request.user, number)
        incoming = VoidSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        till.till_sale_void(sale=sale, reason=incoming.validated_data["reason"], acting_user=request.user)
        return Response(TillReceiptSerializer(till.till_receipt(_scoped_sale(request.user, number))).data)


class TillReceiptView(APIView):
    permission_classes = [ActionPermission]
    action_permissions = {"get": OPERATE}

    @extend_schema(operation_id="till_receipt", tags=["till"],
                   summary="The receipt of a till sale (qualified simplified invoice, as JSON)",
                   responses={200: TillReceiptSerializer, 403: ERROR_403, 404: ERROR_404})
    def get(self, request, number: str):
        return Response(TillReceiptSerializer(till.till_receipt(_scoped_sale(request.user, number))).data)

