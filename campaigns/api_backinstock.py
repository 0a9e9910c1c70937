"""REST endpoints of back-in-stock subscriptions (``/api/v1/back-in-stock/``): the same services
as the product page and the account (``campaigns.backinstock``).

A customer account (token or session) lists, creates and cancels only its own subscriptions; staff
with ``campaigns.view_backinstocksubscription`` list and read them (store staff: those at their
store). Bad input answers 400 in the API's one error shape: an unknown SKU or store names the field
(``code: invalid``); a refused subscription (discontinued product, in stock now, orderable now)
answers ``code: back_in_stock_refused`` with ``reason`` and the sentence saying why."""

from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    OpenApiTypes,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from inventory.models import Variant
from kernel import roles
from kernel.api import (
    ERROR_403,
    ERROR_404,
    ActionPermission,
    ErrorSerializer,
    Pagination,
    is_customer_account,
)

from . import backinstock
from .models_backinstock import BackInStockChannel, BackInStockSource, BackInStockSubscription

STATUSES = ("open", "notified", "cancelled")
VIEW_PERMISSION = "campaigns.view_backinstocksubscription"


class BackInStockSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="variant.sku")
    product_code = serializers.CharField(source="variant.product.code")
    product_name = serializers.CharField(source="variant.product.name")
    variant_label = serializers.CharField(source="variant.label")
    location = serializers.SerializerMethodField(help_text="The store's code; null: online (home delivery).")
    location_name = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    discontinued = serializers.SerializerMethodField(
        help_text="The product is no longer sold: the subscription will never be notified (see reason).")
    reason = serializers.SerializerMethodField(help_text="Why it will not be notified; empty when it may be.")

    class Meta:
        model = BackInStockSubscription
        fields = ["id", "customer", "sku", "product_code", "product_name", "variant_label", "location",
                  "location_name", "channel", "source", "status", "discontinued", "reason", "created_at",
                  "notified_at", "cancelled_at"]
        read_only_fields = fields

    def get_location(self, obj) -> str | None:
        return obj.location.code if obj.location_id else None

    def get_location_name(self, obj) -> str:
        return obj.location.name if obj.location_id else ""

    def get_status(self, obj) -> str:
        return "notified" if obj.notified_at else "cancelled" if obj.cancelled_at else "open"

    def get_discontinued(self, obj) -> bool:
        return not obj.variant.product.is_active

    def get_reason(self, obj) -> str:
        if obj.is_open and not obj.variant.product.is_active:
            return backinstock.discontinued_message(obj.variant.product)
        return ""


class BackInStockCreateSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=60)
    location = serializers.CharField(max_length=40, required=False, allow_blank=True, allow_null=True, default=None,
                                     help_text="A store's code; empty or null: online (home delivery).")
    channel = serializers.ChoiceField(choices=BackInStockChannel.choices, required=False, allow_blank=True,
                                      default="", help_text="How to be told; empty: the customer's preferred channel.")

    def validate_sku(self, value):
        variant = Variant.objects.select_related("product").filter(sku=value.strip()).first()
        if variant is None:
            raise serializers.ValidationError(_("No item has this SKU."), code="unknown_sku")
        return variant

    def validate_location(self, value):
        if not value:
            return None
        location = backinstock.subscribable_stores().filter(code=value.strip()).first()
        if location is None:
            raise serializers.ValidationError(_("No store has this code."), code="unknown_location")
        return location


class RefusedSerializer(ErrorSerializer):
    reason = serializers.ChoiceField(choices=["discontinued", "in_stock", "orderable", "not_a_store", "no_customer",
                                              "invalid_channel"])


ERROR_400_BACK_IN_STOCK = OpenApiResponse(
    RefusedSerializer, description="Invalid input (code invalid, messages per field: an unknown sku or store), "
                                   "or refused (code back_in_stock_refused, with reason and the sentence why).")
LIST_PARAMETERS = [
    OpenApiParameter("status", OpenApiTypes.STR, enum=list(STATUSES)),
    OpenApiParameter("sku", OpenApiTypes.STR),
    OpenApiParameter("location", OpenApiTypes.STR, description="A store's code, or 'online'."),
]


@extend_schema(tags=["campaigns"])
@extend_schema_view(
    list=extend_schema(summary="Back-in-stock subscriptions", parameters=LIST_PARAMETERS,
                       description="A customer account: its own. Staff: every one (store staff: at their store).",
                       responses={200: BackInStockSerializer(many=True), 403: ERROR_403}),
    retrieve=extend_schema(summary="One back-in-stock subscription",
                           responses={200: BackInStockSerializer, 403: ERROR_403, 404: ERROR_404}),
)
class BackInStockViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Customers asking to be told once when an out-of-stock size is back, online or at a store."""

    serializer_class = BackInStockSerializer
    pagination_class = Pagination
    filter_backends = []
    permission_classes = [ActionPermission]
    action_permissions = {"list": None, "retrieve": None, "create": None, "cancel": None}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return BackInStockSubscription.objects.none()
        user = self.request.user
        if is_customer_account(user):
            rows = BackInStockSubscription.objects.filter(customer=user.customer)
        elif user.has_perm(VIEW_PERMISSION):
            rows = backinstock.visible_subscriptions(
                locations=roles.scoped_locations(user) if roles.is_scoped(user) else None)
        else:
            raise PermissionDenied(_("You cannot see back-in-stock subscriptions."))
        rows = rows.select_related("variant__product", "location").order_by("-created_at", "-id")
        if self.action != "list":
            return rows
        params = self.request.query_params
        state = params.get("status", "")
        if state == "open":
            rows = rows.open()
        elif state == "notified":
            rows = rows.filter(notified_at__isnull=False)
        elif state == "cancelled":
            rows = rows.filter(cancelled_at__isnull=False)
        if params.get("sku"):
            rows = rows.filter(variant__sku__iexact=params["sku"].strip())
        if params.get("location") == "online":
            rows = rows.filter(location__isnull=True)
        elif params.get("location"):
            rows = rows.filter(Q(location__code=params["location"].strip()))
        return rows

    @extend_schema(
        summary="Ask to be told when a size is back",
        description="For a customer account only (staff answer 403). Idempotent: an open subscription for the "
                    "same SKU and place answers 200 with it; a new one 201. Refused with 400 "
                    "(code back_in_stock_refused) when the product is no longer sold (reason discontinued), is "
                    "in stock there now (in_stock: buy it instead) or can be ordered at zero stock (orderable).",
        request=BackInStockCreateSerializer,
        responses={200: BackInStockSerializer, 201: BackInStockSerializer, 400: ERROR_400_BACK_IN_STOCK,
                   403: ERROR_403},
        examples=[
            OpenApiExample("At a store", request_only=True, value={"sku": "LS-L", "location": "shibuya"}),
            OpenApiExample("Discontinued", response_only=True, status_codes=["400"], value={
                "code": "back_in_stock_refused", "reason": "discontinued",
                "detail": "リネンシャツ is no longer sold, so it will not come back in stock and we cannot let "
                          "you know."}),
            OpenApiExample("Unknown SKU", response_only=True, status_codes=["400"], value={
                "code": "invalid", "detail": "The request has invalid fields.",
                "errors": {"sku": ["No item has this SKU."]}}),
        ],
    )
    def create(self, request):
        if not is_customer_account(request.user):
            raise PermissionDenied(_("Only a customer account can subscribe."))
        incoming = BackInStockCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        subscription, created = backinstock.back_in_stock_subscribe(
            customer=request.user.customer, variant=data["sku"], location=data["location"],
            channel=data["channel"], source=BackInStockSource.API, acting_user=request.user)
        subscription = self.get_queryset().get(pk=subscription.pk)
        return Response(BackInStockSerializer(subscription).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(summary="Cancel a back-in-stock subscription",
                   description="A customer account cancels its own (another's is not found). Cancelling one "
                               "already notified or cancelled changes nothing.",
                   request=None, responses={200: BackInStockSerializer, 403: ERROR_403, 404: ERROR_404})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        if not is_customer_account(request.user):
            raise PermissionDenied(_("Only the customer can cancel their subscription."))
        subscription = self.get_object()
        backinstock.back_in_stock_cancel(subscription=subscription, acting_user=request.user)
        return Response(BackInStockSerializer(subscription).data)


def register_routes(router) -> None:
    router.register("back-in-stock", BackInStockViewSet, basename="back-in-stock")
