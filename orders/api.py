"""REST endpoints of the orders domain: orders (list, place, pickup actions), /me/ and /me/cart/."""

from datetime import timedelta

import django_filters
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.models import Customer
from customers.serializers import CustomerDetailSerializer
from inventory.models import Variant
from kernel import channels, roles
from kernel.api import (
    ERROR_400,
    ERROR_403,
    ERROR_404,
    ERROR_409,
    ERROR_409_STOCK,
    ERROR_422,
    IDEMPOTENCY_PARAMETER,
    IDEMPOTENCY_RETENTION,
    ActionPermission,
    IsoDateTimeFilter,
    Pagination,
    idempotent,
    is_customer_account,
)
from kernel.browser import tracking_refused
from kernel.models import ChannelKind, Location

from . import cart as carts
from . import selectors, services
from .errors import InvalidOrder
from .models import (
    CartLine,
    Fulfillment,
    FulfillmentMethod,
    FulfillmentStatus,
    Order,
    OrderDiscount,
    OrderLine,
    OrderNote,
    OrderStatus,
    OrderTag,
    RegisterSession,
)
from .payments import TenderIn
from .serializers import (
    CancelSerializer,
    CartCheckoutSerializer,
    CartCodeInSerializer,
    CartLineInSerializer,
    CartQuantitySerializer,
    CartSerializer,
    CodesRefusedErrorSerializer,
    DiscountPreviewInSerializer,
    DiscountPreviewSerializer,
    HandOverSerializer,
    LinesCancelSerializer,
    OrderCreateSerializer,
    OrderImportInSerializer,
    OrderImportOutSerializer,
    OrderNoteInSerializer,
    OrderNoteSerializer,
    OrderSerializer,
    OrderTagsSerializer,
    PickListSerializer,
    ShipSerializer,
)
from .tax import summarise_document

# Channels a customer's own account may order through (not a store's POS, not a marketplace).
CUSTOMER_CHANNEL_KINDS = {ChannelKind.WEB, ChannelKind.APP}

ERROR_400_CODES = OpenApiResponse(CodesRefusedErrorSerializer, description=(
    "Invalid input: messages per field path. Refused discount codes are under errors.codes, and each code "
    "with its machine-readable reason under refused."))


def orders_with_details(orders: QuerySet[Order] | None = None) -> QuerySet[Order]:
    """``orders`` (default: all) with everything OrderSerializer reads, in a constant number of queries."""
    orders = Order.objects.all() if orders is None else orders
    return orders.select_related("channel", "customer").prefetch_related(
        Prefetch("fulfillments", queryset=Fulfillment.objects.select_related("location").order_by("id")),
        Prefetch("lines", queryset=OrderLine.objects.order_by("id")),
        Prefetch("discounts", queryset=OrderDiscount.objects.order_by("id")),
        "payments",  # refund_due
    )


def visible_orders(user) -> QuerySet[Order]:
    """HQ and administrators: every order; store staff and warehouse operators: the orders the
    console lists for them (``selectors.orders_at``: fulfilled at, or sold through a POS of,
    their location); a customer account: its own orders; anyone else: none."""
    if user.has_perm("orders.view_order"):
        if roles.is_scoped(user):
            return orders_with_details(selectors.orders_at(locations=roles.scoped_locations(user)))
        return orders_with_details()
    if is_customer_account(user):
        return orders_with_details(Order.objects.filter(customer=user.customer))
    return Order.objects.none()


class OrderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Order number, pickup code, name, email or phone")
    status = django_filters.ChoiceFilter(choices=OrderStatus.choices)
    channel = django_filters.CharFilter(field_name="channel__code", label="Channel code")
    location = django_filters.CharFilter(method="filter_location", label="Fulfilling location code")
    fulfillment_status = django_filters.ChoiceFilter(choices=FulfillmentStatus.choices,
                                                     method="filter_fulfillment_status")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    tag = django_filters.CharFilter(method="filter_tag", label="Staff tag (staff only)")

    class Meta:
        model = Order
        fields = ["q", "status", "channel", "location", "fulfillment_status", "created_after", "created_before", "tag"]

    def filter_tag(self, queryset, name, value):
        """Staff tags are staff's: for anyone else (a customer's account) the filter matches nothing,
        so it cannot tell whether their order carries a tag."""
        user = getattr(self.request, "user", None)
        if user is None or not user.has_perm("orders.view_order"):
            return queryset.none()
        return queryset.filter(pk__in=OrderTag.objects.filter(name=services.tag_normalise(value)).values("order_id"))

    def filter_q(self, queryset, name, value):
        return queryset.search(value)

    def filter_location(self, queryset, name, value):
        return queryset.filter(Exists(Fulfillment.objects.filter(order=OuterRef("pk"), location__code=value)))

    def filter_fulfillment_status(self, queryset, name, value):
        return queryset.filter(Exists(Fulfillment.objects.filter(order=OuterRef("pk"), status=value)))


@extend_schema(tags=["orders"])
@extend_schema_view(
    list=extend_schema(summary="List orders visible to the caller"),
    retrieve=extend_schema(summary="One order by number", responses={200: OrderSerializer, 404: ERROR_404}),
)
class OrderViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = OrderSerializer
    lookup_field = "number"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    filterset_class = OrderFilter
    ordering_fields = ["created_at", "total", "number"]
    pagination_class = Pagination
    permission_classes = [ActionPermission]
    action_permissions = {
        "list": None,
        "retrieve": None,
        "create": None,  # orders.add_order, or a customer account for itself: checked in create()
        "ready": "orders.run_pickup_desk",
        "hand_over": "orders.run_pickup_desk",
        "cancel": "orders.run_pickup_desk",
        "ship": "orders.ship_orders",
        "cancel_lines": "orders.run_pickup_desk",
        "notes": "orders.view_order",  # and orders.change_order to add one: checked in notes()
        "tags": "orders.view_order",  # and orders.change_order to set them: checked in tags()
        "pick_list": "orders.ship_orders",
        "import_rows": "orders.view_order",  # and an administrator: checked in import_rows()
        "discounts_preview": None,  # orders.add_order, or a customer account for itself: checked there
    }

    def get_queryset(self):
        return visible_orders(self.request.user).order_by("-created_at", "-id")

    def _detail(self, order: Order, status_code: int = status.HTTP_200_OK) -> Response:
        order = orders_with_details().get(pk=order.pk)
        return Response(OrderSerializer(order, context=self.get_serializer_context()).data, status=status_code)

    # --- placing -------------------------------------------------------------------------

    @extend_schema(
        summary="Place an order (idempotent with Idempotency-Key)",
        description=(
            "Places the order and reserves its stock at the fulfilling location.\n\n"
            "**Who may place what.** Staff with the add-order permission place orders for any customer (by "
            "email). Store staff and warehouse operators are limited to orders fulfilled at their own location, "
            "through that location's own channels (its POS) or the phone-order channel; anything else is 403. "
            "A customer account orders only for itself, through the web or app channel.\n\n"
            "**Idempotency.** With an `Idempotency-Key` header, the first successful answer (201) is stored for "
            f"{IDEMPOTENCY_RETENTION // timedelta(hours=1)} hours and replayed for the same key and body "
            "(`Idempotent-Replayed: true`); the same key with another body is 422. Errors (400, 403, 409) are "
            "*not* stored: nothing was written, so retrying with the same key runs the request again. In "
            "particular a 409 for short stock may turn into a 201 once stock is back.\n\n"
            "**Discount codes** (`codes`, any channel: the web shop, the till's POS channel, phone orders): every "
            "code must apply, else 400 with `errors.codes` (messages) and `refused` (each code with its reason: "
            "unknown, expired, not_started, exhausted, already_used, wrong_channel, min_spend, not_eligible, "
            "budget_spent, customer_limit) and nothing is placed. Each line then shows its `discount` and "
            "`discount_reason`; `discounts` lists the offers applied. Delivery adds `shipping_fee` (free from a "
            "threshold, or by a free-shipping offer: `shipping_discount`)."
        ),
        parameters=[IDEMPOTENCY_PARAMETER],
        request=OrderCreateSerializer,
        responses={201: OrderSerializer, 400: ERROR_400_CODES, 403: ERROR_403, 409: ERROR_409_STOCK,
                   422: ERROR_422},
    )
    def create(self, request, *args, **kwargs):
        user = request.user
        staff = user.has_perm("orders.add_order")
        if not staff and not is_customer_account(user):
            raise PermissionDenied(_("You cannot place orders."))

        def handler():
            incoming = OrderCreateSerializer(data=request.data)
            incoming.is_valid(raise_exception=True)
            data = incoming.validated_data
            channel = data["channel"]
            email = (data.get("customer") or "").strip().lower()
            contact = data.get("contact") or {}
            customer = None
            if not staff:
                customer = user.customer
                if email and email != (customer.email or "").lower():
                    raise PermissionDenied(_("A customer account can only order for itself."))
                if channel.kind not in CUSTOMER_CHANNEL_KINDS:
                    raise InvalidOrder({"channel": [_("This channel does not take orders from customer accounts.")]})
                email = customer.email or ""
            fulfillment = data["fulfillment"]
            order = services.order_place(
                channel=channel,
                customer=customer,
                lines=[services.LineIn(sku=line["sku"], quantity=line["quantity"]) for line in data["lines"]],
                fulfillment=services.FulfillmentIn(method=fulfillment["method"], location=fulfillment["location"],
                                                   address=dict(fulfillment.get("address") or {})),
                contact=services.ContactIn(email=email, name=contact.get("name", ""), phone=contact.get("phone", "")),
                payment_method=data.get("payment_method"),
                acting_user=user,
                codes=data.get("codes") or (),
            )
            return self._detail(order, status.HTTP_201_CREATED)

        return idempotent(request, endpoint="orders.create", handler=handler)

    @extend_schema(
        summary="Preview the discounts of a basket (nothing is written)",
        description="What the discount providers would take off these lines with these codes now, through this "
                    "channel (the till previews a POS sale; a customer account its own web or app basket): "
                    "each line's discount, the offers applied, the codes refused with their reasons, the "
                    "delivery fee for the method, the total and tax per rate. Refused codes are in the answer "
                    "(200), not an error.",
        request=DiscountPreviewInSerializer,
        responses={200: DiscountPreviewSerializer, 400: ERROR_400, 403: ERROR_403})
    @action(detail=False, methods=["post"], url_path="discounts/preview")
    def discounts_preview(self, request):
        user = request.user
        staff = user.has_perm("orders.add_order")
        if not staff and not is_customer_account(user):
            raise PermissionDenied(_("You cannot place orders."))
        incoming = DiscountPreviewInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        channel = data["channel"]
        if staff:
            email = (data.get("customer") or "").strip()
            customer = Customer.objects.filter(email__iexact=email).first() if email else None
        else:
            customer = user.customer
            if channel.kind not in CUSTOMER_CHANNEL_KINDS:
                raise InvalidOrder({"channel": [_("This channel does not take orders from customer accounts.")]})
        priced, context, result = services.order_discounts_preview(
            channel=channel, customer=customer, codes=data["codes"], method=data["method"],
            lines=[services.LineIn(sku=line["sku"], quantity=line["quantity"]) for line in data["lines"]])
        per_sku = result.per_sku()
        shipping = context.shipping_fee - result.shipping_discount
        summary = summarise_document(lines=((line.amount - per_sku.get(line.sku, 0), line.tax_rate)
                                            for line in priced), shipping=shipping)
        return Response(DiscountPreviewSerializer({
            "subtotal": context.subtotal, "line_discounts": result.line_discounts,
            "discount_total": result.lines_total, "shipping_fee": context.shipping_fee,
            "shipping_discount": result.shipping_discount, "total": summary.total, "applied": result.applied,
            "refused": result.refused,
            "tax": [{"rate": r.rate, "total": r.total, "tax": r.tax} for r in summary.by_rate],
        }).data)

    # --- pickup desk ---------------------------------------------------------------------

    def _group(self, order: Order, target: str, method: str = FulfillmentMethod.PICKUP) -> Fulfillment:
        """The fulfilment the action applies to; the caller must be able to act at its location.
        (An order without a group of ``method`` gets its first group: the service refuses it with 409.)"""
        groups = list(order.fulfillments.all())
        of_method = [g for g in groups if g.method == method]
        actionable = [g for g in of_method if g.can_become(target)]
        group = (actionable or of_method or groups)[0]
        roles.require_location(self.request.user, group.location)
        return group

    @extend_schema(summary="Mark a pickup order ready (the customer is emailed)", request=None,
                   responses={200: OrderSerializer, 403: ERROR_403, 404: ERROR_404, 409: ERROR_409})
    @action(detail=True, methods=["post"])
    def ready(self, request, number=None):
        order = self.get_object()
        services.fulfillment_mark_ready(fulfillment=self._group(order, FulfillmentStatus.READY),
                                        acting_user=request.user)
        return self._detail(order)

    @extend_schema(summary="Hand a pickup order over to the customer (taking the payment when it is due here)",
                   description="An order to be paid at the store is paid here through the till's tender step: "
                               "`tenders` must cover what is due (split tender, change from cash only), taken at "
                               "`register` (an open register of the store) when given; without them it is 400 and "
                               "nothing changes. An order already paid needs no body.",
                   request=HandOverSerializer,
                   responses={200: OrderSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404,
                              409: ERROR_409})
    @action(detail=True, methods=["post"], url_path="hand-over")
    def hand_over(self, request, number=None):
        order = self.get_object()
        group = self._group(order, FulfillmentStatus.COLLECTED)
        incoming = HandOverSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        session = None
        if data.get("register") is not None:
            session = RegisterSession.objects.filter(register_id=data["register"], register__location=group.location,
                                                     closed_at__isnull=True).first()
            if session is None:
                raise InvalidOrder({"register": [_("This register is closed: open it before taking money.")]})
        services.fulfillment_hand_over(
            fulfillment=group, acting_user=request.user, register_session=session,
            tenders=[TenderIn(kind=t["kind"], amount=t["amount"], reference=t.get("reference", ""))
                     for t in data.get("tenders") or ()])
        return self._detail(order)

    @extend_schema(summary="Cancel an order and release its stock", request=CancelSerializer,
                   responses={200: OrderSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404,
                              409: ERROR_409})
    @action(detail=True, methods=["post"])
    def cancel(self, request, number=None):
        order = self.get_object()
        incoming = CancelSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        for group in order.fulfillments.all():
            if group.can_become(FulfillmentStatus.CANCELLED):
                roles.require_location(request.user, group.location)
        services.order_cancel(order=order, reason=incoming.validated_data["reason"], acting_user=request.user)
        return self._detail(order)

    @extend_schema(
        summary="Cancel some units of an order (partial cancel)",
        description=(
            "For lines of open fulfilments (reserved or ready): their reserved units go back on the shelf, the "
            "lines' quantities, discounts and amounts and the order's total are recomputed (tax per rate), and "
            "an OrderEvent `lines_cancelled` records it. Cancelling every unit cancels the order. For an order "
            "already paid, `refund_due` says what is owed back. Bad input (unknown line, more units than ordered, "
            "a line already collected or shipped) answers 400 naming `lines.<i>.<field>` and changes nothing."),
        request=LinesCancelSerializer,
        responses={200: OrderSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404, 409: ERROR_409})
    @action(detail=True, methods=["post"], url_path="cancel-lines")
    def cancel_lines(self, request, number=None):
        order = self.get_object()
        incoming = LinesCancelSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        for group in order.fulfillments.all():
            if group.can_become(FulfillmentStatus.CANCELLED):
                roles.require_location(request.user, group.location)
        data = incoming.validated_data
        services.order_lines_cancel(
            order=order, reason=data["reason"], acting_user=request.user,
            lines=[services.LineCancelIn(line=item["line"], quantity=item["quantity"]) for item in data["lines"]])
        return self._detail(order)

    @extend_schema(methods=["GET"], summary="Staff notes of an order, newest first",
                   responses={200: OrderNoteSerializer(many=True), 403: ERROR_403, 404: ERROR_404})
    @extend_schema(methods=["POST"], summary="Add a staff note to an order (its author and time are kept)",
                   request=OrderNoteInSerializer,
                   responses={201: OrderNoteSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404})
    @action(detail=True, methods=["get", "post"])
    def notes(self, request, number=None):
        order = self.get_object()
        if request.method == "POST":
            if not request.user.has_perm("orders.change_order"):
                raise PermissionDenied(_("You do not have permission to do this."))
            incoming = OrderNoteInSerializer(data=request.data)
            incoming.is_valid(raise_exception=True)
            note = services.order_note_add(order=order, body=incoming.validated_data["body"], acting_user=request.user)
            return Response(OrderNoteSerializer(note).data, status=status.HTTP_201_CREATED)
        notes = OrderNote.objects.filter(order=order).select_related("author").order_by("-created_at", "-id")
        return Response(OrderNoteSerializer(notes, many=True).data)

    @extend_schema(methods=["GET"], summary="Staff tags of an order",
                   responses={200: OrderTagsSerializer, 403: ERROR_403, 404: ERROR_404})
    @extend_schema(methods=["PUT"], summary="Set the staff tags of an order (the list replaces the old one)",
                   description="Filter the order list by a tag with `?tag=`.", request=OrderTagsSerializer,
                   responses={200: OrderTagsSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404})
    @action(detail=True, methods=["get", "put"])
    def tags(self, request, number=None):
        order = self.get_object()
        if request.method == "PUT":
            if not request.user.has_perm("orders.change_order"):
                raise PermissionDenied(_("You do not have permission to do this."))
            incoming = OrderTagsSerializer(data=request.data)
            incoming.is_valid(raise_exception=True)
            tags = services.order_tags_set(order=order, tags=incoming.validated_data["tags"], acting_user=request.user)
            return Response({"tags": tags})
        return Response({"tags": list(order.tags.order_by("name").values_list("name", flat=True))})

    @extend_schema(
        summary="Pick list: the delivery orders waiting at a location, items summed by SKU, grouped by zone",
        parameters=[OpenApiParameter("location", str, required=True, description="The location's code."),
                    OpenApiParameter("orders", str, description="Order numbers, comma-separated: only these.")],
        responses={200: PickListSerializer, 403: ERROR_403, 404: ERROR_404})
    @action(detail=False, methods=["get"], url_path="pick-list")
    def pick_list(self, request):
        location = Location.objects.filter(code=request.query_params.get("location", "")).first()
        if location is None:
            raise NotFound(_("Unknown location."))
        roles.require_location(request.user, location)
        numbers = [n.strip().upper() for n in request.query_params.get("orders", "").split(",") if n.strip()]
        return Response(PickListSerializer(selectors.pick_list(location=location, numbers=numbers)).data)

    # --- shipments desk ------------------------------------------------------------------

    @extend_schema(summary="Ship a delivery with its carrier and tracking number (stock leaves through the ledger)",
                   request=ShipSerializer,
                   responses={200: OrderSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404,
                              409: ERROR_409})
    @action(detail=True, methods=["post"])
    def ship(self, request, number=None):
        order = self.get_object()
        incoming = ShipSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        group = self._group(order, FulfillmentStatus.SHIPPED, method=FulfillmentMethod.SHIP)
        services.fulfillment_ship(fulfillment=group, tracking_number=incoming.validated_data["tracking_number"],
                                  carrier=incoming.validated_data["carrier"], acting_user=request.user)
        return self._detail(order)

    # --- importing another system's history ------------------------------------------------

    @extend_schema(
        summary="Import finished orders from another system (administrators)",
        description="Orders with their times, lines as sold (price and tax rate), fulfilment and final state "
                    "(collected, shipped or cancelled), numbered like every order. They move no stock, send no "
                    "email and publish no domain events. All or nothing: one bad row refuses the whole request, "
                    "with every bad row's errors under rows.<index>.<field>. At most 1000 rows per request.",
        request=OrderImportInSerializer,
        responses={201: OrderImportOutSerializer, 400: ERROR_400, 403: ERROR_403},
    )
    @action(detail=False, methods=["post"], url_path="import")
    def import_rows(self, request):
        if not roles.is_administrator(request.user):
            raise PermissionDenied(_("Only an administrator can import data."))
        incoming = OrderImportInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        rows = [services.OrderImportIn(
            **{**row, "lines": [services.ImportLineIn(**line) for line in row["lines"]],
               "fulfillment": services.FulfillmentIn(**row["fulfillment"]),
               "contact": services.ContactIn(**row["contact"]) if row["contact"] else None})
            for row in incoming.validated_data["rows"]]
        created = services.orders_import(rows=rows, source=incoming.validated_data["source"],
                                         acting_user=request.user)
        return Response({"created": len(created), "orders": [
            {"row": index, "number": order.number} for index, order in enumerate(created)]},
            status=status.HTTP_201_CREATED)


# --- the caller's own account -------------------------------------------------------------

MY_ORDERS_LIMIT = 50


class MeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    display_name = serializers.CharField()
    customer = CustomerDetailSerializer(allow_null=True)
    orders = OrderSerializer(many=True, help_text=f"The latest {MY_ORDERS_LIMIT} orders of this customer.")


class MeView(APIView):
    """The signed-in account: its customer profile (with consent) and its own orders."""

    @extend_schema(summary="My profile and orders", responses={200: MeSerializer}, tags=["me"])
    def get(self, request):
        user = request.user
        customer = getattr(user, "customer", None)
        orders = []
        if customer is not None:
            orders = list(orders_with_details().filter(customer=customer).order_by("-created_at", "-id")
                          [:MY_ORDERS_LIMIT])
        context = {"request": request}
        return Response({
            "email": user.email,
            "display_name": user.display_name,
            "customer": CustomerDetailSerializer(customer, context=context).data if customer else None,
            "orders": OrderSerializer(orders, many=True, context=context).data,
        })


class MyOrderCancelView(APIView):
    @extend_schema(
        summary="Cancel my order",
        description=(
            "The signed-in customer cancels one of their own orders while it is not prepared yet (every "
            "fulfilment still reserved): its stock goes back and the order is cancelled, as on the storefront. "
            "409 `invalid_transition` once it is ready for pickup, shipped or collected; 404 for an order that is "
            "not theirs. Staff accounts get 403."),
        request=CancelSerializer, responses={200: OrderSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404,
                                             409: ERROR_409}, tags=["me"])
    def post(self, request, number: str):
        customer = _my_customer(request)
        incoming = CancelSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        order = Order.objects.filter(customer=customer, number=number).first()
        if order is None:
            raise NotFound(_("No such order."))
        services.order_cancel_by_customer(order=order, customer=customer, reason=incoming.validated_data["reason"],
                                          acting_user=request.user)
        order = orders_with_details().get(pk=order.pk)
        return Response(OrderSerializer(order, context={"request": request}).data)


# --- the caller's cart ---------------------------------------------------------------------

def _my_customer(request):
    """The customer behind a storefront account; anyone else (staff, an account without a
    customer profile) has no cart here."""
    if not is_customer_account(request.user):
        raise PermissionDenied(_("Only a customer account has a cart."))
    return request.user.customer


def _cart_body(customer) -> dict:
    cart = carts.cart_find(customer=customer, browser_id=None)
    pricing = carts.cart_pricing(cart=cart, lines=carts.cart_lines(cart), customer=customer,
                                 channel=channels.web_channel())
    lines, summary = pricing.lines, pricing.summary
    return CartSerializer({
        "lines": lines, "count": sum(line.quantity for line in lines), "total": summary.total,
        "discount_total": pricing.discount_total,
        "tax": [{"rate": r.rate, "total": r.total, "tax": r.tax} for r in summary.by_rate],
        "checkout_token": cart.checkout_token if cart is not None else "",
        "codes": list(pricing.codes), "applied": pricing.result.applied, "refused": pricing.result.refused,
    }).data


_CART_DESCRIPTION = (
    "The signed-in customer's cart: the same cart as on the storefront, on every device. Only customer "
    "accounts have one (staff get 403). Changes are recorded as `orders.cart_changed` domain events; "
    "\"added to cart\" appears on the customer's timeline unless the request carries `Sec-GPC: 1` or `DNT: 1`."
)


class MyCartView(APIView):
    @extend_schema(summary="My cart", description=_CART_DESCRIPTION, responses={200: CartSerializer, 403: ERROR_403},
                   tags=["me"])
    def get(self, request):
        return Response(_cart_body(_my_customer(request)))


class MyCartLinesView(APIView):
    @extend_schema(summary="Add to my cart", description=(
        "Adds units of a SKU (the line is capped at 99). 400 names the bad field; 409 `cart_full` when the cart "
        "already holds 100 different items."),
        request=CartLineInSerializer, responses={200: CartSerializer, 400: ERROR_400, 403: ERROR_403,
                                                 409: ERROR_409}, tags=["me"])
    def post(self, request):
        customer = _my_customer(request)
        incoming = CartLineInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        sku = incoming.validated_data["sku"]
        variant = Variant.objects.select_related("product").filter(sku=sku, product__is_active=True).first()
        if variant is None:
            raise InvalidOrder({"sku": [_("This item is not sold: %(sku)s") % {"sku": sku}]})
        carts.cart_add(variant=variant, quantity=incoming.validated_data["quantity"], customer=customer,
                       tracking=not tracking_refused(request), channel=channels.web_channel(),
                       acting_user=request.user)
        return Response(_cart_body(customer))


class MyCartLineView(APIView):
    @extend_schema(summary="Change a line of my cart", request=CartQuantitySerializer,
                   responses={200: CartSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404}, tags=["me"])
    def patch(self, request, sku: str):
        customer = _my_customer(request)
        incoming = CartQuantitySerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        self._line(customer, sku)
        carts.cart_set(sku=sku, quantity=incoming.validated_data["quantity"], customer=customer,
                       tracking=not tracking_refused(request), acting_user=request.user)
        return Response(_cart_body(customer))

    @extend_schema(summary="Remove a line from my cart", responses={200: CartSerializer, 403: ERROR_403,
                                                                    404: ERROR_404}, tags=["me"])
    def delete(self, request, sku: str):
        customer = _my_customer(request)
        self._line(customer, sku)
        carts.cart_remove(sku=sku, customer=customer, tracking=not tracking_refused(request),
                          acting_user=request.user)
        return Response(_cart_body(customer))

    def _line(self, customer, sku: str) -> None:
        if not CartLine.objects.filter(cart__customer=customer, sku=sku).exists():
            raise NotFound(_("This item is not in your cart."))


class MyCartCodesView(APIView):
    @extend_schema(summary="Apply a discount code to my cart", description=(
        "Keeps the code on the cart for its checkout (normalised: full-width, dashes and case do not matter). "
        "An unknown code answers 400 with `errors.codes` and `refused` and is not kept; a code that does not "
        "apply yet (minimum spend...) is kept and listed under `refused` with its reason."),
        request=CartCodeInSerializer, responses={200: CartSerializer, 400: ERROR_400_CODES, 403: ERROR_403},
        tags=["me"])
    def post(self, request):
        customer = _my_customer(request)
        incoming = CartCodeInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        carts.cart_code_apply(code=incoming.validated_data["code"], customer=customer,
                              channel=channels.web_channel())
        return Response(_cart_body(customer))


class MyCartCodeView(APIView):
    @extend_schema(summary="Take a discount code off my cart", responses={200: CartSerializer, 403: ERROR_403},
                   tags=["me"])
    def delete(self, request, code: str):
        customer = _my_customer(request)
        carts.cart_code_remove(code=code, customer=customer)
        return Response(_cart_body(customer))


class MyCartCheckoutView(APIView):
    @extend_schema(
        summary="Check out my cart",
        description=(
            "Places the order of the cart's available lines and empties the cart, in one transaction; on any "
            "error the cart stays as it was. Send the cart's `checkout_token`: the same checkout sent again "
            "answers 201 with the order it placed, never a second order. `codes`: the discount codes to use "
            "(omitted or null: the codes kept on the cart); a refused code answers 400 with `errors.codes` and "
            "`refused` (each code and its reason), and the cart stays as it was."),
        request=CartCheckoutSerializer,
        responses={201: OrderSerializer, 400: ERROR_400_CODES, 403: ERROR_403, 409: ERROR_409_STOCK}, tags=["me"])
    def post(self, request):
        customer = _my_customer(request)
        incoming = CartCheckoutSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        channel = data["channel"]
        if channel.kind not in CUSTOMER_CHANNEL_KINDS:
            raise InvalidOrder({"channel": [_("This channel does not take orders from customer accounts.")]})
        cart = carts.cart_find(customer=customer, browser_id=None)
        token = data["checkout_token"]
        placed = selectors.checkout_order(customer=customer, token=token)
        if placed is None:
            if cart is None or cart.checkout_token != token:
                raise InvalidOrder({"checkout_token": [
                    _("This checkout has expired. Please reload the page and try again.")]})
            fulfillment, contact = data["fulfillment"], data.get("contact") or {}
            placed = carts.cart_checkout(
                cart=cart, channel=channel, customer=customer, checkout_token=token, acting_user=request.user,
                fulfillment=services.FulfillmentIn(method=fulfillment["method"], location=fulfillment["location"],
                                                   address=dict(fulfillment.get("address") or {})),
                contact=services.ContactIn(email=customer.email or request.user.email,
                                           name=contact.get("name") or customer.full_name,
                                           phone=contact.get("phone") or customer.phone),
                codes=data.get("codes"),
            )
        order = orders_with_details().get(pk=placed.pk)
        return Response(OrderSerializer(order, context={"request": request}).data, status=status.HTTP_201_CREATED)
