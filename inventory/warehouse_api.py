"""REST endpoints of the warehouse documents: transfers (each step), purchase orders, receipts
with many lines, stock counts (start, enter, submit, approve). The same services as the console
(inventory.transfers, receiving, counts); lists and lookups are scoped to the caller's
locations, and each step checks that the caller acts at the location the step belongs to."""

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kernel import roles
from kernel.api import (
    ERROR_400,
    ERROR_403,
    ERROR_404,
    ERROR_409,
    ERROR_422,
    IDEMPOTENCY_PARAMETER,
    ActionPermission,
    ErrorSerializer,
    OutOfStockSerializer,
    Pagination,
    idempotent,
)
from kernel.models import Location

from . import counts, receiving, transfers
from .documents import LineIn, ReceivedLineIn, variant_for_code
from .models import (
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    StockCount,
    StockCountLine,
    StockCountStatus,
    Transfer,
    TransferLine,
)

ERROR_409_TRANSFER = OpenApiResponse(OutOfStockSerializer, description=(
    "Not enough stock available at the source (code out_of_stock, per-line detail), or the transfer is "
    "not in the state this step needs (code invalid_state). Nothing was changed."))
ERROR_400_OVER = OpenApiResponse(ErrorSerializer, description=(
    "Invalid lines (code invalid), or more units than expected without the permission to receive over "
    "(code over_expected); messages per line in errors. Nothing was received."))


# --- input shapes -------------------------------------------------------------------------------

class LocationCodeField(serializers.SlugRelatedField):
    """A location by its code (active locations only)."""

    default_error_messages = {"does_not_exist": gettext_lazy("Unknown location: {value}")}

    def __init__(self, **kwargs):
        kwargs.pop("max_length", None)
        super().__init__(slug_field="code", queryset=Location.objects.active(), **kwargs)


class StockLineInSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=60, required=False, allow_blank=True, default="",
                                help_text=gettext_lazy("The SKU, or give the barcode."))
    barcode = serializers.CharField(max_length=20, required=False, allow_blank=True, default="",
                                    help_text=gettext_lazy("JAN / EAN-13 (full-width digits accepted)."))
    quantity = serializers.IntegerField(min_value=0, max_value=100_000)

    def validate(self, attrs):
        code = attrs["sku"].strip() or attrs["barcode"].strip()
        if not code:
            raise serializers.ValidationError({"sku": [_("Give the SKU or the barcode.")]})
        variant = variant_for_code(code)
        if variant is None:
            raise serializers.ValidationError({"sku": [_("No variant has the SKU or barcode “%(code)s”.") % {
                "code": code}]})
        attrs["variant"] = variant
        return attrs


class ReceivedLineInSerializer(StockLineInSerializer):
    damaged = serializers.IntegerField(min_value=0, max_value=100_000, default=0, help_text=gettext_lazy(
        "Units that arrived damaged: recorded, not put into stock."))


class TransferRequestSerializer(serializers.Serializer):
    source = LocationCodeField(max_length=40, help_text=gettext_lazy("Location code the stock comes from."))
    destination = LocationCodeField(max_length=40, help_text=gettext_lazy("Location code it goes to."))
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    lines = StockLineInSerializer(many=True, allow_empty=False)


class TransferShipSerializer(serializers.Serializer):
    lines = StockLineInSerializer(many=True, required=False, help_text=gettext_lazy(
        "Units picked per SKU (at most the approved quantity; a line left out ships 0). Leave out to ship "
        "everything approved."))


class ReceiveSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    lines = ReceivedLineInSerializer(many=True)


class ReceiptCreateSerializer(ReceiveSerializer):
    location = LocationCodeField(max_length=40)
    purchase_order = serializers.CharField(max_length=20, required=False, allow_blank=True, default="",
                                           help_text=gettext_lazy("PO number the delivery is received against."))
    transfer = serializers.CharField(max_length=20, required=False, allow_blank=True, default="",
                                     help_text=gettext_lazy("TR number of an incoming transfer."))


class PurchaseOrderCreateSerializer(serializers.Serializer):
    location = LocationCodeField(max_length=40, help_text=gettext_lazy("Where it is delivered."))
    supplier_name = serializers.CharField(max_length=120)
    supplier_reference = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    expected_on = serializers.DateField(required=False, allow_null=True, default=None)
    lines = StockLineInSerializer(many=True, allow_empty=False)


class CountStartSerializer(serializers.Serializer):
    location = LocationCodeField(max_length=40)
    zone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="",
                                 help_text=gettext_lazy("Count only this zone / bin; empty: the whole location."))
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CountEntrySerializer(StockLineInSerializer):
    add = serializers.BooleanField(default=False, help_text=gettext_lazy(
        "Add the quantity to what was counted (a scan adds 1) instead of setting it."))


class CountEntriesSerializer(serializers.Serializer):
    lines = CountEntrySerializer(many=True, allow_empty=False)


# --- output shapes --------------------------------------------------------------------------------

class TransferLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="variant.sku")
    short = serializers.IntegerField(read_only=True)
    over = serializers.IntegerField(read_only=True)

    class Meta:
        model = TransferLine
        fields = ["sku", "requested", "shipped", "received", "damaged", "short", "over"]


class TransferSerializer(serializers.ModelSerializer):
    source = serializers.CharField(source="source.code")
    destination = serializers.CharField(source="destination.code")
    lines = TransferLineSerializer(many=True)

    class Meta:
        model = Transfer
        fields = ["number", "source", "destination", "status", "note", "lines", "created_at", "approved_at",
                  "shipped_at", "received_at"]


class PurchaseOrderLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="variant.sku")
    outstanding = serializers.IntegerField(read_only=True)

    class Meta:
        model = PurchaseOrderLine
        fields = ["sku", "ordered", "received", "outstanding"]


class PurchaseOrderSerializer(serializers.ModelSerializer):
    location = serializers.CharField(source="location.code")
    lines = PurchaseOrderLineSerializer(many=True)

    class Meta:
        model = PurchaseOrder
        fields = ["number", "location", "supplier_name", "supplier_reference", "expected_on", "status", "lines",
                  "created_at"]


class ReceiptLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="variant.sku")
    short = serializers.IntegerField(read_only=True)
    over = serializers.IntegerField(read_only=True)

    class Meta:
        model = ReceiptLine
        fields = ["sku", "expected", "quantity", "damaged", "short", "over"]


class ReceiptSerializer(serializers.ModelSerializer):
    location = serializers.CharField(source="location.code")
    purchase_order = serializers.CharField(source="purchase_order.number", allow_null=True, default=None)
    transfer = serializers.CharField(source="transfer.number", allow_null=True, default=None)
    lines = ReceiptLineSerializer(many=True)

    class Meta:
        model = Receipt
        fields = ["number", "location", "purchase_order", "transfer", "note", "lines", "created_at"]


class StockCountLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="variant.sku")
    expected = serializers.SerializerMethodField(help_text=gettext_lazy(
        "On hand at the start; null while the count is being counted (blind)."))
    variance = serializers.SerializerMethodField()

    class Meta:
        model = StockCountLine
        fields = ["sku", "counted", "expected", "variance", "moved_since", "posted"]

    def _blind(self, line) -> bool:
        return self.context.get("blind", False)

    def get_expected(self, line) -> int | None:
        return None if self._blind(line) else line.expected

    def get_variance(self, line) -> int | None:
        return None if self._blind(line) else line.variance


class StockCountSerializer(serializers.ModelSerializer):
    location = serializers.CharField(source="location.code")
    lines = serializers.SerializerMethodField()

    class Meta:
        model = StockCount
        fields = ["number", "location", "zone", "status", "note", "lines", "created_at", "submitted_at",
                  "posted_at"]

    @extend_schema_field(StockCountLineSerializer(many=True))
    def get_lines(self, count) -> list[dict]:
        lines = count.lines.all()
        return StockCountLineSerializer(lines, many=True, context={
            "blind": count.status == StockCountStatus.COUNTING}).data


def _lines(data) -> list[LineIn]:
    return [LineIn(line["variant"], line["quantity"]) for line in data]


def _received(data) -> list[ReceivedLineIn]:
    return [ReceivedLineIn(line["variant"], line["quantity"], line.get("damaged", 0)) for line in data]


# --- viewsets ----------------------------------------------------------------------------------------

class DocumentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_field = "number"
    lookup_value_regex = "[A-Z]{2}-[0-9]+"
    pagination_class = Pagination
    permission_classes = [ActionPermission]

    def _out(self, document, code=status.HTTP_200_OK) -> Response:
        document = self.get_queryset().get(pk=document.pk)
        return Response(self.get_serializer(document).data, status=code)


@extend_schema(tags=["transfers"])
@extend_schema_view(
    list=extend_schema(summary="Transfers into or out of the caller's locations"),
    retrieve=extend_schema(summary="One transfer by number (TR-…)", responses={200: TransferSerializer,
                                                                               404: ERROR_404}),
)
class TransferViewSet(DocumentViewSet):
    serializer_class = TransferSerializer
    action_permissions = {"list": "inventory.view_transfer", "retrieve": "inventory.view_transfer",
                          "create": "inventory.add_transfer", "approve": "inventory.add_transfer",
                          "ship": "inventory.add_transfer", "cancel": "inventory.add_transfer",
                          "receive": "inventory.add_receipt"}

    def get_queryset(self):
        return (Transfer.objects.touching(roles.scoped_locations(self.request.user))
                .select_related("source", "destination")
                .prefetch_related(Prefetch("lines", queryset=TransferLine.objects.select_related("variant")))
                .order_by("-created_at", "-id"))

    @extend_schema(summary="Request a transfer", parameters=[IDEMPOTENCY_PARAMETER], request=TransferRequestSerializer,
                   description="The caller acts at the source or the destination. Every line must be available "
                               "at the source (409 out_of_stock names the short lines otherwise).",
                   responses={201: TransferSerializer, 400: ERROR_400, 403: ERROR_403, 409: ERROR_409_TRANSFER,
                              422: ERROR_422})
    def create(self, request, *args, **kwargs):
        def handler():
            incoming = TransferRequestSerializer(data=request.data)
            incoming.is_valid(raise_exception=True)
            data = incoming.validated_data
            if not (roles.can_act_at(request.user, data["source"])
                    or roles.can_act_at(request.user, data["destination"])):
                roles.require_location(request.user, data["destination"])
            transfer = transfers.transfer_request(source=data["source"], destination=data["destination"],
                                                  lines=_lines(data["lines"]), note=data["note"],
                                                  acting_user=request.user)
            return self._out(transfer, status.HTTP_201_CREATED)

        return idempotent(request, endpoint="transfers.create", handler=handler)

    @extend_schema(summary="Approve: hold the units at the source", request=None,
                   responses={200: TransferSerializer, 403: ERROR_403, 404: ERROR_404, 409: ERROR_409_TRANSFER})
    @action(detail=True, methods=["post"])
    def approve(self, request, number=None):
        transfer = self.get_object()
        roles.require_location(request.user, transfer.source)
        return self._out(transfers.transfer_approve(transfer=transfer, acting_user=request.user))

    @extend_schema(summary="Ship what was picked (it leaves the source: in transit)", request=TransferShipSerializer,
                   responses={200: TransferSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404,
                              409: ERROR_409})
    @action(detail=True, methods=["post"])
    def ship(self, request, number=None):
        transfer = self.get_object()
        roles.require_location(request.user, transfer.source)
        incoming = TransferShipSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        lines = incoming.validated_data.get("lines")
        shipped = None
        if lines is not None:
            shipped = {}
            for line in lines:
                shipped[line["variant"].pk] = shipped.get(line["variant"].pk, 0) + line["quantity"]
        return self._out(transfers.transfer_ship(transfer=transfer, shipped=shipped, acting_user=request.user))

    @extend_schema(summary="Cancel a transfer that has not shipped", request=None,
                   responses={200: TransferSerializer, 403: ERROR_403, 404: ERROR_404, 409: ERROR_409})
    @action(detail=True, methods=["post"])
    def cancel(self, request, number=None):
        transfer = self.get_object()
        if not roles.can_act_at(request.user, transfer.source):
            roles.require_location(request.user, transfer.destination)
            if transfer.status != "requested":
                roles.require_location(request.user, transfer.source)
        return self._out(transfers.transfer_cancel(transfer=transfer, acting_user=request.user))

    @extend_schema(summary="Receive a transfer in transit at its destination", parameters=[IDEMPOTENCY_PARAMETER],
                   description="Good units come into stock (TRANSFER_IN); short, over and damaged units are kept per "
                               "line. More than shipped needs the permission to receive over (400 over_expected).",
                   request=ReceiveSerializer,
                   responses={201: ReceiptSerializer, 400: ERROR_400_OVER, 403: ERROR_403, 404: ERROR_404,
                              409: ERROR_409, 422: ERROR_422})
    @action(detail=True, methods=["post"])
    def receive(self, request, number=None):
        transfer = self.get_object()
        roles.require_location(request.user, transfer.destination)

        def handler():
            incoming = ReceiveSerializer(data=request.data)
            incoming.is_valid(raise_exception=True)
            receipt = transfers.transfer_receive(transfer=transfer, lines=_received(incoming.validated_data["lines"]),
                                                 note=incoming.validated_data["note"], acting_user=request.user)
            receipt = Receipt.objects.select_related("location", "purchase_order", "transfer").prefetch_related(
                "lines__variant").get(pk=receipt.pk)
            return Response(ReceiptSerializer(receipt).data, status=status.HTTP_201_CREATED)

        return idempotent(request, endpoint=f"transfers.{transfer.pk}.receive", handler=handler)


@extend_schema(tags=["purchase orders"])
@extend_schema_view(
    list=extend_schema(summary="Purchase orders delivered to the caller's locations"),
    retrieve=extend_schema(summary="One purchase order by number (PO-…)",
                           responses={200: PurchaseOrderSerializer, 404: ERROR_404}),
)
class PurchaseOrderViewSet(DocumentViewSet):
    serializer_class = PurchaseOrderSerializer
    action_permissions = {"list": "inventory.view_purchaseorder", "retrieve": "inventory.view_purchaseorder",
                          "create": "inventory.add_purchaseorder", "close": "inventory.add_purchaseorder"}

    def get_queryset(self):
        return (PurchaseOrder.objects.filter(location__in=roles.scoped_locations(self.request.user))
                .select_related("location")
                .prefetch_related(Prefetch("lines", queryset=PurchaseOrderLine.objects.select_related("variant")))
                .order_by("-created_at", "-id"))

    @extend_schema(summary="Record a purchase order (a delivery expected)", parameters=[IDEMPOTENCY_PARAMETER],
                   request=PurchaseOrderCreateSerializer,
                   responses={201: PurchaseOrderSerializer, 400: ERROR_400, 403: ERROR_403, 422: ERROR_422})
    def create(self, request, *args, **kwargs):
        def handler():
            incoming = PurchaseOrderCreateSerializer(data=request.data)
            incoming.is_valid(raise_exception=True)
            data = incoming.validated_data
            roles.require_location(request.user, data["location"])
            order = receiving.purchase_order_create(
                location=data["location"], supplier_name=data["supplier_name"], lines=_lines(data["lines"]),
                supplier_reference=data["supplier_reference"], expected_on=data["expected_on"],
                acting_user=request.user)
            return self._out(order, status.HTTP_201_CREATED)

        return idempotent(request, endpoint="purchase-orders.create", handler=handler)

    @extend_schema(summary="Close: nothing more is expected", request=None,
                   responses={200: PurchaseOrderSerializer, 403: ERROR_403, 404: ERROR_404, 409: ERROR_409})
    @action(detail=True, methods=["post"])
    def close(self, request, number=None):
        order = self.get_object()
        return self._out(receiving.purchase_order_close(purchase_order=order, acting_user=request.user))


@extend_schema(tags=["receipts"])
@extend_schema_view(
    list=extend_schema(summary="Receipts at the caller's locations"),
    retrieve=extend_schema(summary="One receipt by number (RC-…)", responses={200: ReceiptSerializer,
                                                                              404: ERROR_404}),
)
class ReceiptViewSet(DocumentViewSet):
    serializer_class = ReceiptSerializer
    action_permissions = {"list": "inventory.view_receipt", "retrieve": "inventory.view_receipt",
                          "create": "inventory.add_receipt"}

    def get_queryset(self):
        return (Receipt.objects.filter(location__in=roles.scoped_locations(self.request.user))
                .select_related("location", "purchase_order", "transfer")
                .prefetch_related(Prefetch("lines", queryset=ReceiptLine.objects.select_related("variant")))
                .order_by("-created_at", "-id"))

    @extend_schema(summary="Receive many lines in one go", parameters=[IDEMPOTENCY_PARAMETER],
                   description="Against a purchase order, an incoming transfer, or nothing expected. One receipt "
                               "is one transaction: every line or none, one RECEIPT ledger row per line. More than "
                               "expected needs the permission to receive over (400 over_expected).",
                   request=ReceiptCreateSerializer,
                   responses={201: ReceiptSerializer, 400: ERROR_400_OVER, 403: ERROR_403, 404: ERROR_404,
                              409: ERROR_409, 422: ERROR_422})
    def create(self, request, *args, **kwargs):
        def handler():
            incoming = ReceiptCreateSerializer(data=request.data)
            incoming.is_valid(raise_exception=True)
            data = incoming.validated_data
            roles.require_location(request.user, data["location"])
            order = transfer = None
            if data["purchase_order"]:
                order = PurchaseOrder.objects.filter(number=data["purchase_order"].strip()).first()
                if order is None:
                    raise serializers.ValidationError({"purchase_order": [_("Unknown purchase order.")]})
            if data["transfer"]:
                transfer = Transfer.objects.filter(number=data["transfer"].strip()).first()
                if transfer is None:
                    raise serializers.ValidationError({"transfer": [_("Unknown transfer.")]})
            receipt = receiving.receipt_create(location=data["location"], lines=_received(data["lines"]),
                                               purchase_order=order, transfer=transfer, note=data["note"],
                                               acting_user=request.user)
            return self._out(receipt, status.HTTP_201_CREATED)

        return idempotent(request, endpoint="receipts.create", handler=handler)


@extend_schema(tags=["stock counts"])
@extend_schema_view(
    list=extend_schema(summary="Stock counts at the caller's locations"),
    retrieve=extend_schema(summary="One count by number (CC-…); on hand stays hidden while counting",
                           responses={200: StockCountSerializer, 404: ERROR_404}),
)
class StockCountViewSet(DocumentViewSet):
    serializer_class = StockCountSerializer
    action_permissions = {"list": "inventory.view_stockcount", "retrieve": "inventory.view_stockcount",
                          "create": "inventory.add_stockcount", "entries": "inventory.add_stockcount",
                          "submit": "inventory.add_stockcount", "recount": "inventory.add_stockcount",
                          "cancel": "inventory.add_stockcount", "approve": "inventory.approve_stockcount"}

    def get_queryset(self):
        return (StockCount.objects.filter(location__in=roles.scoped_locations(self.request.user))
                .select_related("location")
                .prefetch_related(Prefetch("lines", queryset=StockCountLine.objects.select_related("variant")
                                           .order_by("variant__sku")))
                .order_by("-created_at", "-id"))

    @extend_schema(summary="Start a blind count (snapshot of on hand)", request=CountStartSerializer,
                   responses={201: StockCountSerializer, 400: ERROR_400, 403: ERROR_403, 409: ERROR_409})
    def create(self, request, *args, **kwargs):
        incoming = CountStartSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        roles.require_location(request.user, data["location"])
        count = counts.count_start(location=data["location"], zone=data["zone"], note=data["note"],
                                   acting_user=request.user)
        return self._out(count, status.HTTP_201_CREATED)

    @extend_schema(summary="Enter counted quantities (set, or add: a scan adds 1)", request=CountEntriesSerializer,
                   responses={200: StockCountSerializer, 400: ERROR_400, 404: ERROR_404, 409: ERROR_409})
    @action(detail=True, methods=["post"])
    def entries(self, request, number=None):
        count = self.get_object()
        incoming = CountEntriesSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        from django.db import transaction

        with transaction.atomic():  # all the entries or none
            for line in incoming.validated_data["lines"]:
                counts.count_enter(count=count, variant=line["variant"], quantity=line["quantity"], add=line["add"],
                                   acting_user=request.user)
        return self._out(count)

    def _step(self, function):
        count = self.get_object()
        return self._out(function(count=count, acting_user=self.request.user))

    @extend_schema(summary="Submit for approval (uncounted lines count 0)", request=None,
                   responses={200: StockCountSerializer, 404: ERROR_404, 409: ERROR_409})
    @action(detail=True, methods=["post"])
    def submit(self, request, number=None):
        return self._step(counts.count_submit)

    @extend_schema(summary="Approve and post the variances (COUNT ledger rows); refused when already posted",
                   description="By another person than the one who submitted it, or a supervisor.", request=None,
                   responses={200: StockCountSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404,
                              409: ERROR_409})
    @action(detail=True, methods=["post"])
    def approve(self, request, number=None):
        return self._step(counts.count_approve)

    @extend_schema(summary="Send a submitted count back for a recount", request=None,
                   responses={200: StockCountSerializer, 404: ERROR_404, 409: ERROR_409})
    @action(detail=True, methods=["post"])
    def recount(self, request, number=None):
        return self._step(counts.count_recount)

    @extend_schema(summary="Cancel an open count", request=None,
                   responses={200: StockCountSerializer, 404: ERROR_404, 409: ERROR_409})
    @action(detail=True, methods=["post"])
    def cancel(self, request, number=None):
        return self._step(counts.count_cancel)
