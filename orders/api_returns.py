"""REST endpoints of returns and refunds: returns (take at a desk, receive, refund), refunds
without a return, store credit balances, and the customer's own returns under /me/. The same
services as the console (``orders.returns``, ``orders.payments``)."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.models import Customer
from kernel import roles
from kernel.api import (
    ERROR_400,
    ERROR_403,
    ERROR_404,
    ERROR_409,
    IDEMPOTENCY_PARAMETER,
    ActionPermission,
    Pagination,
    idempotent,
    is_customer_account,
)
from kernel.models import Location

from . import returns
from .errors import InvalidOrder
from .models import (
    Order,
    RefundMethod,
    RegisterSession,
    Return,
    ReturnCondition,
    ReturnDisposition,
    ReturnMethod,
    ReturnReason,
    ReturnStatus,
    TenderKind,
)
from .payments import TenderIn, order_refundable, store_credit_balance

# --- serializers ----------------------------------------------------------------------------------


class ReturnLineOutSerializer(serializers.Serializer):
    order_line = serializers.IntegerField(source="order_line_id")
    sku = serializers.CharField(source="order_line.sku")
    product_name = serializers.CharField(source="order_line.product_name")
    quantity = serializers.IntegerField()
    reason = serializers.CharField()
    condition = serializers.CharField()
    disposition = serializers.CharField()
    amount = serializers.IntegerField(help_text="What these units are worth back (yen, tax incl.).")


class ReturnSerializer(serializers.Serializer):
    number = serializers.CharField()
    order = serializers.CharField(source="order.number")
    status = serializers.ChoiceField(choices=ReturnStatus.choices)
    method = serializers.ChoiceField(choices=ReturnMethod.choices)
    location = serializers.CharField(source="location.code", allow_null=True, default=None)
    code = serializers.CharField(allow_null=True, help_text="The return code the store scans (customer-initiated).")
    reason = serializers.CharField()
    note = serializers.CharField()
    refund_method = serializers.CharField()
    refund_total = serializers.IntegerField()
    exchange_order = serializers.CharField(source="exchange_order.number", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField(allow_null=True)
    refunded_at = serializers.DateTimeField(allow_null=True)
    lines = ReturnLineOutSerializer(many=True)


class ReturnLineInSerializer(serializers.Serializer):
    order_line = serializers.IntegerField(help_text="The order line's id (OrderSerializer lines[].id).")
    quantity = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=ReturnReason.choices, default=ReturnReason.OTHER)
    condition = serializers.ChoiceField(choices=ReturnCondition.choices, required=False, default="")
    disposition = serializers.ChoiceField(choices=ReturnDisposition.choices, required=False, default="")


class TenderInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TenderKind.choices)
    amount = serializers.IntegerField()
    reference = serializers.CharField(required=False, default="", allow_blank=True, max_length=60)


class ExchangeLineInSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=60)
    quantity = serializers.IntegerField()


class ReturnCreateSerializer(serializers.Serializer):
    order = serializers.CharField(help_text="The order's number.")
    location = serializers.CharField(help_text="Code of the location taking the return.")
    lines = ReturnLineInSerializer(many=True)
    refund_method = serializers.ChoiceField(choices=RefundMethod.choices, default=RefundMethod.ORIGINAL)
    exchange = ExchangeLineInSerializer(many=True, required=False, default=list)
    hand_over = serializers.BooleanField(default=True)
    tenders = TenderInSerializer(many=True, required=False, default=list,
                                 help_text="Pays what a dearer replacement costs more.")
    register_session = serializers.IntegerField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=200)


class ReturnReceiveSerializer(serializers.Serializer):
    location = serializers.CharField(help_text="Code of the location receiving it.")
    lines = ReturnLineInSerializer(many=True)
    refund_method = serializers.ChoiceField(choices=RefundMethod.choices, required=False, default="")
    register_session = serializers.IntegerField(required=False, allow_null=True, default=None)


class ReturnRefundSerializer(serializers.Serializer):
    refund_method = serializers.ChoiceField(choices=RefundMethod.choices)
    register_session = serializers.IntegerField(required=False, allow_null=True, default=None)


class RefundInSerializer(serializers.Serializer):
    order = serializers.CharField(help_text="The order's number.")
    amount = serializers.IntegerField()
    method = serializers.ChoiceField(choices=RefundMethod.choices, default=RefundMethod.ORIGINAL)
    reason = serializers.CharField(max_length=200)
    register_session = serializers.IntegerField(required=False, allow_null=True, default=None)


class PaymentOutSerializer(serializers.Serializer):
    kind = serializers.CharField()
    amount = serializers.IntegerField()
    reference = serializers.CharField()
    created_at = serializers.DateTimeField()


class RefundOutSerializer(serializers.Serializer):
    order = serializers.CharField()
    refunded = serializers.IntegerField()
    refundable = serializers.IntegerField(help_text="What can still be refunded on the order.")
    payments = PaymentOutSerializer(many=True)


class StoreCreditSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    balance = serializers.IntegerField(help_text="Store credit in yen.")


class MyReturnCreateSerializer(serializers.Serializer):
    order = serializers.CharField(help_text="The order's number.")
    lines = ReturnLineInSerializer(many=True)
    method = serializers.ChoiceField(choices=ReturnMethod.choices)
    location = serializers.CharField(required=False, default="", allow_blank=True,
                                     help_text="Code of the store the customer brings it to (method store).")
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=200)


# --- helpers --------------------------------------------------------------------------------------

def _lines(data) -> list[returns.ReturnLineIn]:
    return [returns.ReturnLineIn(**line) for line in data]


def _location(code: str, user, field: str = "location") -> Location:
    location = Location.objects.filter(code=code).first()
    if location is None:
        raise InvalidOrder({field: [_("Unknown location: %(code)s") % {"code": code}]})
    roles.require_location(user, location)
    return location


def _session(pk, user) -> RegisterSession | None:
    if pk is None:
        return None
    session = RegisterSession.objects.select_related("register__location").filter(pk=pk).first()
    if session is None:
        raise InvalidOrder({"register_session": [_("Unknown register session.")]})
    roles.require_location(user, session.register.location)
    return session


def visible_returns(user, *, requested: bool = False) -> QuerySet[Return]:
    """The returns the API shows ``user``; ``requested``: also every return waiting to be received
    (a customer may bring it to any store)."""
    if roles.is_scoped(user):
        return returns.returns_with_lines(Return.objects.filter(
            returns.returns_at(locations=roles.scoped_locations(user), requested=requested)))
    return returns.returns_with_lines()


def _visible_order(user, number: str, *, any_order: bool = False) -> Order:
    """The order ``number`` as ``user`` sees it; ``any_order``: any order at all (a returns desk
    takes back any order, from any channel, whichever store sold it)."""
    from .api import visible_orders

    orders = Order.objects.all() if any_order else visible_orders(user)
    order = orders.filter(number=number).first()
    if order is None:
        raise InvalidOrder({"order": [_("No order %(number)s that you can see.") % {"number": number}]})
    return order


# --- staff ------------------------------------------------------------------------------------------

@extend_schema(tags=["returns"])
@extend_schema_view(
    list=extend_schema(summary="List returns visible to the caller", parameters=[OpenApiParameter(
        "code", str, description="A customer's return code: finds their return wherever they said they would "
                                 "bring it.")]),
    retrieve=extend_schema(summary="One return by number", responses={200: ReturnSerializer, 404: ERROR_404}),
)
class ReturnViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ReturnSerializer
    lookup_field = "number"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    pagination_class = Pagination
    permission_classes = [ActionPermission]
    action_permissions = {"list": "orders.view_return", "retrieve": "orders.view_return",
                          "create": "orders.take_returns", "receive": "orders.take_returns",
                          "refund": "orders.take_returns"}

    def get_queryset(self):
        code = self.request.query_params.get("code", "").strip().upper()
        # a return code, or receiving one: the customer may bring it to any store
        requested = bool(code) or self.action == "receive"
        queryset = visible_returns(self.request.user, requested=requested).order_by("-created_at", "-id")
        return queryset.filter(code=code) if code else queryset

    def _detail(self, ret: Return, code=status.HTTP_200_OK) -> Response:
        return Response(ReturnSerializer(returns.returns_with_lines().get(pk=ret.pk)).data, status=code)

    @extend_schema(summary="Take a return at a desk (received at once; refund, exchange)", description=(
        "Receives the lines at `location` (stock back through the ledger: restock, send to the warehouse, or "
        "write off) and refunds them to the original tenders or as store credit; with `exchange` the "
        "replacement is sold at the store's till and paid with the returned value (a dearer one needs "
        "`tenders`). 400 on more units than sold (earlier returns counted), beyond the return window, or a "
        "refund above what was paid: nothing is changed. Idempotent with Idempotency-Key."),
        parameters=[IDEMPOTENCY_PARAMETER], request=ReturnCreateSerializer,
        responses={201: ReturnSerializer, 400: ERROR_400, 403: ERROR_403, 409: ERROR_409})
    def create(self, request, *args, **kwargs):
        def handler():
            incoming = ReturnCreateSerializer(data=request.data)
            incoming.is_valid(raise_exception=True)
            data = incoming.validated_data
            ret = returns.return_create(
                order=_visible_order(request.user, data["order"], any_order=True),
                location=_location(data["location"], request.user), lines=_lines(data["lines"]),
                refund_method=data["refund_method"], hand_over=data["hand_over"],
                exchange=[returns.ExchangeLineIn(**line) for line in data["exchange"]],
                tenders=[TenderIn(**tender) for tender in data["tenders"]],
                register_session=_session(data["register_session"], request.user), note=data["note"],
                acting_user=request.user)
            return self._detail(ret, status.HTTP_201_CREATED)

        return idempotent(request, endpoint="returns.create", handler=handler)

    @extend_schema(summary="Receive a requested return (the store scanned its code)",
                   request=ReturnReceiveSerializer,
                   responses={200: ReturnSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404, 409: ERROR_409})
    @action(detail=True, methods=["post"])
    def receive(self, request, number=None):
        ret = self.get_object()
        incoming = ReturnReceiveSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        ret = returns.return_receive(order_return=ret, location=_location(data["location"], request.user),
                                     lines=_lines(data["lines"]), refund_method=data["refund_method"],
                                     register_session=_session(data["register_session"], request.user),
                                     acting_user=request.user)
        return self._detail(ret)

    @extend_schema(summary="Refund a received return", request=ReturnRefundSerializer,
                   responses={200: ReturnSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404, 409: ERROR_409})
    @action(detail=True, methods=["post"])
    def refund(self, request, number=None):
        ret = self.get_object()
        if ret.location_id:
            roles.require_location(request.user, ret.location)
        incoming = ReturnRefundSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        ret = returns.return_refund(order_return=ret, method=incoming.validated_data["refund_method"],
                                    register_session=_session(incoming.validated_data["register_session"],
                                                              request.user), acting_user=request.user)
        return self._detail(ret)


class RefundView(APIView):
    permission_classes = [ActionPermission]
    action_permissions = {"post": "orders.refund_order"}

    @extend_schema(summary="Refund an order without a return (goodwill), at most what was paid", description=(
        "Negative payments to the original tenders (most recent first, never more than each took) or as store "
        "credit. 400 with errors.amount when above what was paid net of refunds; nothing is changed. "
        "Idempotent with Idempotency-Key."), tags=["returns"], parameters=[IDEMPOTENCY_PARAMETER],
        request=RefundInSerializer, responses={201: RefundOutSerializer, 400: ERROR_400, 403: ERROR_403})
    def post(self, request):
        def handler():
            incoming = RefundInSerializer(data=request.data)
            incoming.is_valid(raise_exception=True)
            data = incoming.validated_data
            order = _visible_order(request.user, data["order"])
            session = _session(data["register_session"], request.user)
            rows = returns.order_refund(order=order, amount=data["amount"], method=data["method"],
                                        reason=data["reason"], register_session=session,
                                        location=request.user.location if roles.is_scoped(request.user) else None,
                                        acting_user=request.user)
            return Response(RefundOutSerializer({
                "order": order.number, "refunded": -sum(row.amount for row in rows),
                "refundable": order_refundable(order), "payments": rows}).data, status=status.HTTP_201_CREATED)

        return idempotent(request, endpoint="refunds.create", handler=handler)


class StoreCreditView(APIView):
    permission_classes = [ActionPermission]
    action_permissions = {"get": "orders.view_return"}

    @extend_schema(summary="A customer's store credit balance", tags=["returns"],
                   responses={200: StoreCreditSerializer, 403: ERROR_403, 404: ERROR_404})
    def get(self, request, customer_id: int):
        if not Customer.objects.filter(pk=customer_id).exists():
            raise NotFound()
        return Response({"customer": customer_id, "balance": store_credit_balance(customer_id)})


# --- the customer's own returns -------------------------------------------------------------------

def _me(request):
    if not is_customer_account(request.user):
        raise PermissionDenied(_("Only a customer account has returns here."))
    return request.user.customer


class MyReturnsView(APIView):
    @extend_schema(summary="My returns", tags=["me"], responses={200: ReturnSerializer(many=True), 403: ERROR_403})
    def get(self, request):
        customer = _me(request)
        rows = returns.returns_with_lines(Return.objects.filter(order__customer=customer)).order_by("-created_at")[:50]
        return Response(ReturnSerializer(rows, many=True).data)

    @extend_schema(summary="Start a return of my order (a store or by mail): get a return code", tags=["me"],
                   request=MyReturnCreateSerializer,
                   responses={201: ReturnSerializer, 400: ERROR_400, 403: ERROR_403})
    def post(self, request):
        customer = _me(request)
        incoming = MyReturnCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        order = Order.objects.filter(customer=customer, number=data["order"]).first()
        if order is None:
            raise InvalidOrder({"order": [_("No order %(number)s in your account.") % {"number": data["order"]}]})
        location = Location.objects.filter(code=data["location"]).first() if data["location"] else None
        if data["location"] and location is None:
            raise InvalidOrder({"location": [_("Unknown location: %(code)s") % {"code": data["location"]}]})
        ret = returns.return_request(order=order, lines=_lines(data["lines"]), method=data["method"],
                                     location=location, note=data["note"], acting_user=request.user)
        return Response(ReturnSerializer(returns.returns_with_lines().get(pk=ret.pk)).data,
                        status=status.HTTP_201_CREATED)


class MyReturnView(APIView):
    def _get(self, request, number):
        ret = returns.returns_with_lines(Return.objects.filter(order__customer=_me(request), number=number)).first()
        if ret is None:
            raise NotFound()
        return ret

    @extend_schema(summary="One of my returns", tags=["me"],
                   responses={200: ReturnSerializer, 403: ERROR_403, 404: ERROR_404})
    def get(self, request, number: str):
        return Response(ReturnSerializer(self._get(request, number)).data)


class MyReturnCancelView(MyReturnView):
    @extend_schema(summary="Cancel my return before it is received", tags=["me"], request=None,
                   responses={200: ReturnSerializer, 403: ERROR_403, 404: ERROR_404, 409: ERROR_409})
    def post(self, request, number: str):
        ret = returns.return_cancel(order_return=self._get(request, number), acting_user=request.user)
        return Response(ReturnSerializer(returns.returns_with_lines().get(pk=ret.pk)).data)


class MyStoreCreditView(APIView):
    @extend_schema(summary="My store credit balance", tags=["me"],
                   responses={200: StoreCreditSerializer, 403: ERROR_403})
    def get(self, request):
        customer = _me(request)
        return Response({"customer": customer.pk, "balance": store_credit_balance(customer)})

