"""REST endpoints of offers and codes (``/api/v1/offers/``): define offers, add a shared code or
generate single-use codes, follow a batch, export codes, and check a code before an order.

Redemption has no endpoint of its own: a code is redeemed when the order is placed with it
(``order_place`` with ``codes``; the discount hook commits the use in the order's transaction), so
a use is never counted for an order that does not exist. ``validate`` reads only."""

from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kernel.api import ERROR_400, ERROR_403, ERROR_404, ActionPermission, Pagination
from kernel.models import Channel
from orders.discounts import DiscountContext

from . import offers
from .models import Campaign
from .models_offers import CodeBatch, CodeKind, Offer, OfferCode

OFFER_EXAMPLE = {"name": "春の10%オフ", "kind": "percent", "value": 10, "min_spend": 5000, "categories": ["シャツ"],
                 "channel_kinds": ["web", "pos"], "starts_at": "2027-03-01T00:00:00+09:00",
                 "ends_at": "2027-03-31T23:59:59+09:00", "per_customer_limit": 1, "budget": 500000}


class OfferSerializer(serializers.ModelSerializer):
    categories = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    channel_kinds = serializers.ListField(child=serializers.CharField(max_length=20), required=False,
                                          help_text="Kernel channel kinds (web, pos, phone, marketplace, social, "
                                                    "app); empty: everywhere.")
    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.all(), allow_null=True, required=False)

    class Meta:
        model = Offer
        fields = ["id", "name", "kind", "value", "buy_quantity", "get_quantity", "min_spend", "categories", "segment",
                  "channel_kinds", "starts_at", "ends_at", "per_customer_limit", "budget", "spent", "redeemed",
                  "automatic", "campaign", "is_active", "created_at", "updated_at"]
        read_only_fields = ["id", "spent", "redeemed", "created_at", "updated_at"]


class OfferCodeSerializer(serializers.ModelSerializer):
    class Meta:
        model = OfferCode
        fields = ["id", "code", "kind", "max_uses", "uses", "customer", "created_at"]


class CodeBatchSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = CodeBatch
        fields = ["id", "offer", "count", "prefix", "status", "generated", "percent", "error", "created_at",
                  "finished_at"]


class OfferCodesInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CodeKind.choices)
    code = serializers.CharField(required=False, max_length=60,
                                 help_text="shared: the code (normalised: SPRING-10 → SPRING10).")
    max_uses = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                        help_text="shared: uses in all; empty: no limit.")
    count = serializers.IntegerField(required=False, min_value=1, max_value=offers.BATCH_MAX,
                                     help_text="single_use: how many codes to generate.")
    prefix = serializers.CharField(required=False, allow_blank=True, max_length=offers.CODE_PREFIX_MAX + 4)


CODES_OUT = inline_serializer("OfferCodesOut", {"shared": OfferCodeSerializer(many=True),
                                                "batches": CodeBatchSerializer(many=True)})


class ValidateLineSerializer(serializers.Serializer):
    sku = serializers.CharField()
    quantity = serializers.IntegerField(min_value=1)


class ValidateSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=60)
    channel = serializers.CharField(help_text="The channel's code (web, pos-shibuya…) or id.")
    customer = serializers.IntegerField(required=False, allow_null=True)
    lines = ValidateLineSerializer(many=True, required=False)
    subtotal = serializers.IntegerField(required=False, min_value=0,
                                        help_text="Without lines: the cart's total (yen, tax incl.).")
    shipping_fee = serializers.IntegerField(required=False, min_value=0, default=0)


VALIDATE_OUT = inline_serializer("OfferCodeCheck", {
    "valid": serializers.BooleanField(),
    "code": serializers.CharField(help_text="The code as stored (normalised)."),
    "reason": serializers.CharField(required=False, help_text="When not valid: unknown, expired, not_started, "
                                    "exhausted, already_used, wrong_channel, min_spend, not_eligible, budget_spent, "
                                    "customer_limit."),
    "message": serializers.CharField(required=False),
    "offer": serializers.IntegerField(required=False, allow_null=True),
    "label": serializers.CharField(required=False),
    "discount": serializers.IntegerField(required=False, help_text="Yen off the lines and shipping (with lines)."),
    "free_shipping": serializers.BooleanField(required=False),
    "campaign": serializers.IntegerField(required=False, allow_null=True),
})


@extend_schema(tags=["offers"])
@extend_schema_view(
    list=extend_schema(summary="Offers", responses={200: OfferSerializer(many=True), 403: ERROR_403}),
    retrieve=extend_schema(summary="One offer", responses={200: OfferSerializer, 403: ERROR_403, 404: ERROR_404}),
)
class OfferViewSet(viewsets.ReadOnlyModelViewSet):
    """Offers (percentage, fixed amount, free shipping, buy X get Y) and their codes. An offer is
    not deleted: set ``is_active`` false (its redemptions stay on the orders' receipts)."""

    serializer_class = OfferSerializer
    pagination_class = Pagination
    filter_backends = []
    permission_classes = [ActionPermission]
    lookup_value_regex = "[0-9]+"
    action_permissions = {
        "list": "campaigns.view_offer", "retrieve": "campaigns.view_offer", "validate": ("campaigns.view_offer", "orders.add_order"),  # a till checks a code before the sale
        "batch": "campaigns.view_offer", "create": "campaigns.add_offer",
        "partial_update": "campaigns.change_offer", "export": "campaigns.export_codes",
        "codes": "campaigns.view_offer",
    }

    def get_queryset(self):
        return Offer.objects.select_related("campaign").order_by("-created_at", "-id")

    def get_permissions(self):
        if getattr(self, "action", None) == "codes" and self.request.method == "POST":
            self.action_permissions = {**self.action_permissions, "codes": "campaigns.change_offer"}
        return super().get_permissions()

    @extend_schema(
        summary="Define an offer",
        description="Bad fields answer 400 naming each one (a percentage outside 1–100, an end before the start, "
                    "an unknown channel kind…); nothing is stored.",
        request=OfferSerializer, responses={201: OfferSerializer, 400: ERROR_400, 403: ERROR_403},
        examples=[OpenApiExample("10 % off shirts, web and tills", request_only=True, value=OFFER_EXAMPLE),
                  OpenApiExample("Percentage out of range", response_only=True, status_codes=["400"], value={
                      "code": "invalid", "detail": "The request has invalid fields.",
                      "errors": {"value": ["A percentage is between 1 and 100."]}})])
    def create(self, request):
        incoming = OfferSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        offer = offers.offer_create(acting_user=request.user, name=data.pop("name"),
                                    kind=data.pop("kind", "percent"), value=data.pop("value", 0), **data)
        return Response(OfferSerializer(offer).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Change an offer (only the fields sent change)", request=OfferSerializer,
                   description="Once used, its kind and value (what it gives) no longer change: 400 on ``value``.",
                   responses={200: OfferSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404},
                   examples=[OpenApiExample("End it early", request_only=True, value={"is_active": False})])
    def partial_update(self, request, pk=None):
        offer = self.get_object()
        incoming = OfferSerializer(offer, data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        offer = offers.offer_update(offer=offer, acting_user=request.user, **incoming.validated_data)
        return Response(OfferSerializer(offer).data)

    @extend_schema(
        methods=["GET"], summary="The offer's shared codes and single-use batches",
        responses={200: CODES_OUT, 403: ERROR_403, 404: ERROR_404})
    @extend_schema(
        methods=["POST"], summary="Add a shared code, or generate single-use codes (a background job)",
        description="``kind: shared`` creates one code (201). ``kind: single_use`` queues a batch of ``count`` "
                    "codes (202): poll ``/offers/{id}/batches/{batch_id}/`` until ``status`` is done, then export.",
        request=OfferCodesInSerializer,
        responses={201: OfferCodeSerializer, 202: CodeBatchSerializer, 400: ERROR_400, 403: ERROR_403,
                   404: ERROR_404},
        examples=[OpenApiExample("Shared code", request_only=True, value={"kind": "shared", "code": "SPRING10",
                                                                          "max_uses": 1000}),
                  OpenApiExample("500,000 postcard codes", request_only=True,
                                 value={"kind": "single_use", "count": 500000, "prefix": "DM"}),
                  OpenApiExample("Code taken", response_only=True, status_codes=["400"], value={
                      "code": "invalid", "detail": "The request has invalid fields.",
                      "errors": {"code": ["This code is already in use."]}})])
    @action(detail=True, methods=["get", "post"])
    def codes(self, request, pk=None):
        offer = self.get_object()
        if request.method == "GET":
            return Response({
                "shared": OfferCodeSerializer(offer.codes.filter(kind=CodeKind.SHARED).order_by("code"),
                                              many=True).data,
                "batches": CodeBatchSerializer(offer.batches.all()[:50], many=True).data})
        incoming = OfferCodesInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        if data["kind"] == CodeKind.SHARED:
            if not data.get("code"):
                raise serializers.ValidationError({"code": ["Give the code."]})
            code = offers.code_create_shared(offer=offer, code=data["code"], max_uses=data.get("max_uses"),
                                             acting_user=request.user)
            return Response(OfferCodeSerializer(code).data, status=status.HTTP_201_CREATED)
        if not data.get("count"):
            raise serializers.ValidationError({"count": ["Give the number of codes."]})
        batch = offers.codes_generate(offer=offer, count=data["count"], prefix=data.get("prefix", ""),
                                      acting_user=request.user)
        return Response(CodeBatchSerializer(batch).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(summary="A batch of single-use codes: its progress",
                   responses={200: CodeBatchSerializer, 403: ERROR_403, 404: ERROR_404},
                   examples=[OpenApiExample("Half way", value={
                       "id": 7, "offer": 3, "count": 500000, "prefix": "DM", "status": "running",
                       "generated": 250000, "percent": 50, "error": "", "created_at": "2027-02-20T10:00:00+09:00",
                       "finished_at": None})])
    @action(detail=True, methods=["get"], url_path=r"batches/(?P<batch_id>[0-9]+)")
    def batch(self, request, pk=None, batch_id=None):
        batch = get_object_or_404(CodeBatch, pk=batch_id, offer=self.get_object())
        return Response(CodeBatchSerializer(batch).data)

    @extend_schema(summary="The offer's codes as CSV for print (UTF-8 with BOM), streamed",
                   description="All codes, or one batch with ``?batch=<id>``.",
                   responses={(200, "text/csv"): OpenApiResponse(description="CSV"), 403: ERROR_403,
                              404: ERROR_404})
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        offer = self.get_object()
        batch = None
        raw = request.query_params.get("batch", "")
        if raw:
            batch = get_object_or_404(CodeBatch, pk=int(raw) if raw.isdigit() else -1, offer=offer)
        response = StreamingHttpResponse(offers.codes_export(offer=offer, batch=batch, acting_user=request.user),
                                         content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="offer-{offer.pk}-codes.csv"'
        return response

    @extend_schema(
        summary="Check a code for a cart (reads only; nothing is redeemed)",
        description="The code is normalised (full-width, lower case, hyphens and spaces are fine). Answers 200 "
                    "with ``valid`` and, when refused, the ``reason`` and the message to show. With ``lines`` the "
                    "discount is computed at today's prices; with only ``subtotal`` the cart-independent "
                    "conditions are checked. The code is redeemed when the order is placed with it.",
        request=ValidateSerializer, responses={200: VALIDATE_OUT, 400: ERROR_400, 403: ERROR_403},
        examples=[
            OpenApiExample("At the till", request_only=True, value={
                "code": "dm7k-4hqa-3xpn", "channel": "pos-shibuya", "customer": 42,
                "lines": [{"sku": "LS-S", "quantity": 2}]}),
            OpenApiExample("Valid", response_only=True, value={
                "valid": True, "code": "DM7K4HQA3XPN", "offer": 3, "label": "春の10%オフ", "discount": 1100,
                "free_shipping": False, "campaign": 12}),
            OpenApiExample("Already used", response_only=True, value={
                "valid": False, "code": "DM7K4HQA3XPN", "reason": "already_used",
                "message": "The code DM7K4HQA3XPN has already been used.", "offer": 3}),
            OpenApiExample("Unknown SKU", response_only=True, status_codes=["400"], value={
                "code": "invalid", "detail": "The request has invalid fields.",
                "errors": {"lines.0.sku": ["Unknown SKU: XX-1."]}}),
        ])
    @action(detail=False, methods=["post"], url_path="codes/validate")
    def validate(self, request):
        incoming = ValidateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        raw = data["channel"]
        channel = Channel.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
        channel = channel or Channel.objects.filter(code=raw).first()
        if channel is None:
            raise serializers.ValidationError({"channel": ["Unknown channel."]})
        customer_id = data.get("customer")
        if customer_id is not None:
            from customers.models import Customer

            if not Customer.objects.filter(pk=customer_id).exists():
                raise serializers.ValidationError({"customer": ["Unknown customer."]})
        lines = None
        if "lines" in data:
            lines, errors = offers.priced_lines([(item["sku"], item["quantity"]) for item in data["lines"]])
            if errors:
                raise serializers.ValidationError(errors)
        subtotal = sum(line.amount for line in lines) if lines is not None else data.get("subtotal", 0)
        normalised = offers.code_normalise(data["code"])
        context = DiscountContext(customer_id=customer_id, channel_id=channel.pk, channel_kind=channel.kind,
                                  location_id=channel.location_id, codes=(normalised,), at=timezone.now(),
                                  subtotal=subtotal, shipping_fee=data.get("shipping_fee", 0))
        offer, refused = offers.code_check(normalised, context, lines=lines)
        if refused is not None:
            return Response({"valid": False, "code": refused.code, "reason": refused.reason,
                             "message": refused.message, "offer": offer.pk if offer else None})
        body = {"valid": True, "code": normalised, "offer": offer.pk, "label": offer.name,
                "campaign": offer.campaign_id}
        if lines is not None:
            result = offers.OfferDiscounts().evaluate(lines=lines, context=context)
            applied = next((a for a in result.applied if a.code == normalised), None)
            body.update(discount=applied.amount if applied else 0,
                        free_shipping=bool(applied and applied.free_shipping))
        return Response(body)


def register_routes(router) -> None:
    router.register("offers", OfferViewSet, basename="offer")
