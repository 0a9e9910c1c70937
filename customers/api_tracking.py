"""The API of first-party events and identities: ``POST /api/v1/events/`` (the storefront script
and other systems) and a customer's identities (``/api/v1/customers/<id>/identities/``)."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    OpenApiTypes,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.authentication import CSRFCheck, TokenAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.api import ERROR_400, ERROR_403, ERROR_404, ActionPermission, invalid_response
from kernel.browser import browser_id_issue
from kernel.channels import web_channel
from kernel.throttling import UserRateThrottle

from . import identities, tracking
from .models import Customer, Identity, IdentityKind

INGEST_PERMISSION = "customers.ingest_events"


# --- ingest ----------------------------------------------------------------------------------

class EventsBrowserThrottle(UserRateThrottle):
    """Batches from browsers (the storefront script): per signed-in user, else per address.
    Other systems (a token) are not throttled here. Rate: ``DEFAULT_THROTTLE_RATES["events_browser"]``."""

    scope = "events_browser"
    default_rate = "120/min"

    def allow_request(self, request, view) -> bool:
        if isinstance(request.successful_authenticator, TokenAuthentication):
            return True
        return super().allow_request(request, view)


class UtmFieldsSerializer(serializers.Serializer):
    campaign = serializers.CharField(required=False, max_length=60, help_text="A campaign code.")
    utm_source = serializers.CharField(required=False, max_length=100)
    utm_medium = serializers.CharField(required=False, max_length=100)
    utm_campaign = serializers.CharField(required=False, max_length=100)
    utm_content = serializers.CharField(required=False, max_length=100)
    utm_term = serializers.CharField(required=False, max_length=100)


class EventInSerializer(UtmFieldsSerializer):
    """One event of a batch (the schema; ``customers.tracking`` checks it)."""

    id = serializers.UUIDField(help_text="The sender's id of this event (a UUID): the same id when a batch is "
                                         "retried, so it is stored once.")
    type = serializers.ChoiceField(choices=list(tracking.EVENT_TYPES), help_text=(
        "page_view {path, title, referrer}, product_view {code}, search {query, results}, add_to_cart {sku, "
        "quantity}: from browsers and systems; store_visit {note}, email_sent / email_opened {message}, "
        "email_clicked {message, url}, sms_sent {message}, coupon_redeemed {code}: systems only, other "
        "properties kept."))
    occurred_at = serializers.DateTimeField(required=False, help_text=(
        "When it happened (ISO 8601 with offset; default: now). Not in the future, not older than "
        "EVENTS_MAX_AGE_DAYS."))
    properties = serializers.DictField(required=False, help_text=(
        "The type's properties; at most EVENTS_MAX_PROPERTIES_BYTES (4 KB) as JSON, nested at most "
        "EVENTS_MAX_PROPERTIES_DEPTH levels."))
    customer = serializers.IntegerField(required=False, help_text="Systems: the customer's id.")
    identity = serializers.DictField(required=False, help_text=(
        'Systems: the customer by identity, {"kind": "email", "value": "taro@example.jp"}.'))
    browser_id = serializers.CharField(required=False, help_text="Systems: an anonymous browser's id.")
    channel = serializers.CharField(required=False, help_text="Systems: the channel's code (browsers: web).")
    location = serializers.CharField(required=False, help_text="Systems: the location's code (a store visit).")


class IngestResultSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    stored = serializers.IntegerField(help_text="New events stored.")
    duplicates = serializers.IntegerField(help_text="Events whose id was stored before (a retried batch).")
    filtered = serializers.IntegerField(help_text=(
        "Events counted but not stored: no analytics consent (or the browser refuses tracking), a crawler, "
        "or too many events from one browser."))
    reason = serializers.CharField(help_text="Why they were filtered: no_consent, bot, rate; empty otherwise.")


def enforce_csrf(request) -> None:
    """The storefront script posts with the visitor's cookies: it must send the CSRF token
    (``X-CSRFToken``), signed in or not (DRF checks it only for signed-in sessions)."""
    check = CSRFCheck(lambda _request: None)
    check.process_request(request)
    reason = check.process_view(request, None, (), {})
    if reason:
        raise exceptions.PermissionDenied(_("CSRF check failed: %(reason)s") % {"reason": reason})


class EventsIngestView(APIView):
    """``POST /api/v1/events/``."""

    permission_classes = []  # browsers may be anonymous; systems are checked in post()
    throttle_classes = [EventsBrowserThrottle]

    @extend_schema(
        tags=["events"], summary="Send a batch of first-party events",
        description=(
            "A JSON array of at most EVENTS_MAX_BATCH (500) events. Validated as a whole: one bad event refuses "
            "the batch with errors keyed by its index (\"3.type\") and nothing is stored. Each event's `id` makes a "
            "retry safe: events already stored count as duplicates.\n\n"
            "**Browsers** (the storefront script, same origin): the visitor's session cookie and the CSRF token in "
            "`X-CSRFToken`; storefront types only, attached to the browser id and the signed-in customer. Without "
            "the visitor's analytics consent, from a browser that refuses tracking (GPC/DNT), from a crawler or "
            "headless browser, or above EVENTS_BROWSER_MAX_PER_MINUTE events per browser the answer is still 202 "
            "with `stored` 0 and the events counted as `filtered`.\n\n"
            "**Other systems**: `Authorization: Token …` of a user with the permission customers.ingest_events; "
            "any type, each event naming `customer` (id), `identity` or `browser_id`, with `channel` and "
            "`location` codes."),
        request=EventInSerializer(many=True),
        responses={202: IngestResultSerializer, 400: ERROR_400, 403: ERROR_403,
                   429: OpenApiResponse(description="Too many batches from this browser or address.")},
        examples=[
            OpenApiExample("Storefront batch", request_only=True, value=[
                {"id": "0b7c2f4e-5a0e-4d47-9b8f-3f1f8d2a9c01", "type": "page_view",
                 "occurred_at": "2026-11-30T20:15:00+09:00",
                 "properties": {"path": "/products/LINEN-SHIRT/", "title": "リネンシャツ", "referrer": ""},
                 "utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "winter-sale"},
                {"id": "4f0d8c1a-2b3e-4c5d-8e9f-0a1b2c3d4e5f", "type": "product_view",
                 "properties": {"code": "LINEN-SHIRT"}},
                {"id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "type": "add_to_cart",
                 "properties": {"sku": "LINEN-SHIRT-M", "quantity": 1}},
            ]),
            OpenApiExample("From the POS (a system token)", request_only=True, value=[
                {"id": "6d5c4b3a-2f1e-4d0c-9b8a-7f6e5d4c3b2a", "type": "store_visit", "location": "shibuya",
                 "channel": "pos-shibuya", "identity": {"kind": "loyalty_card", "value": "1234-5678-9012"},
                 "properties": {"note": "試着: リネンシャツ M"}},
            ]),
            OpenApiExample("Stored", response_only=True, status_codes=["202"],
                           value={"received": 3, "stored": 2, "duplicates": 1, "filtered": 0, "reason": ""}),
            OpenApiExample("Refused: the 4th event", response_only=True, status_codes=["400"],
                           value={"code": "invalid", "detail": "The request has invalid fields.",
                                  "errors": {"3.type": ["Unknown event type; known types: page_view, ..."]}}),
        ],
    )
    def post(self, request):
        if isinstance(request.successful_authenticator, TokenAuthentication):
            if not request.user.has_perm(INGEST_PERMISSION):
                raise exceptions.PermissionDenied(_("This token may not send events."))
            return self._answer(lambda: tracking.events_ingest_system(events=request.data, acting_user=request.user))
        enforce_csrf(request)
        consent = tracking.analytics_consent(request)
        browser_id = browser_id_issue(request._request) if consent else ""
        return self._answer(lambda: tracking.events_ingest_browser(
            events=request.data, browser_id=browser_id, customer=tracking.request_customer(request),
            consent=consent, user_agent=request.headers.get("User-Agent", ""), channel=web_channel()))

    @staticmethod
    def _answer(ingest) -> Response:
        try:
            result = ingest()
        except tracking.EventsInvalid as exc:
            return invalid_response(exc.message_dict)
        return Response({"received": result.received, "stored": result.stored, "duplicates": result.duplicates,
                         "filtered": result.filtered, "reason": result.reason}, status=status.HTTP_202_ACCEPTED)


# --- identities ------------------------------------------------------------------------------

class IdentitySerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Identity
        fields = ["id", "kind", "kind_label", "value", "source", "created_at"]


class IdentityInSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=IdentityKind.choices)
    value = serializers.CharField(max_length=200, help_text=(
        "Stored normalised: emails in lower case, phones and card numbers as digits (full-width too), "
        "marketplace buyer ids as marketplace:buyer-id, LINE user ids U + 32 hex."))
    source = serializers.CharField(max_length=60, required=False, default="api")


CUSTOMER_ID = OpenApiParameter("customer_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The customer's id.")


@extend_schema(tags=["customers"], parameters=[CUSTOMER_ID])
@extend_schema_view(
    list=extend_schema(summary="The customer's identities", responses={200: IdentitySerializer(many=True),
                                                                       403: ERROR_403, 404: ERROR_404}),
    create=extend_schema(
        summary="Add an identity (email, phone, loyalty card, LINE, marketplace buyer, browser)",
        request=IdentityInSerializer,
        responses={201: IdentitySerializer, 200: IdentitySerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404,
                   409: OpenApiResponse(description="identity_claimed: another customer has it (named in the body)")},
        examples=[
            OpenApiExample("A loyalty card", request_only=True,
                           value={"kind": "loyalty_card", "value": "１２３４-５６７８-９０１２", "source": "pos"}),
            OpenApiExample("Added", response_only=True, status_codes=["201"],
                           value={"id": 7, "kind": "loyalty_card", "kind_label": "Loyalty card",
                                  "value": "123456789012", "source": "pos", "created_at": "2026-11-30T11:02:00Z"}),
            OpenApiExample("Claimed", response_only=True, status_codes=["409"],
                           value={"code": "identity_claimed",
                                  "detail": "Loyalty card 123456789012 already belongs to another customer (#42).",
                                  "errors": {"value": ["Loyalty card 123456789012 already belongs to another "
                                                       "customer (#42)."]},
                                  "identity": {"kind": "loyalty_card", "value": "123456789012"}, "customer": 42}),
        ]),
    destroy=extend_schema(summary="Remove an identity",
                          responses={204: None, 403: ERROR_403, 404: ERROR_404,
                                     409: OpenApiResponse(description="identity_in_use: the profile's own email "
                                                                      "or phone (change the profile instead)")}),
)
class IdentityViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin,
                      viewsets.GenericViewSet):
    serializer_class = IdentitySerializer
    pagination_class = None
    filter_backends = []
    permission_classes = [ActionPermission]
    action_permissions = {"list": "customers.view_customer", "create": "customers.change_customer",
                          "destroy": "customers.change_customer"}

    def get_customer(self) -> Customer:
        return get_object_or_404(Customer, pk=self.kwargs["customer_id"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Identity.objects.none()
        return identities.customer_identities(customer=self.get_customer())

    def create(self, request, *args, **kwargs):
        customer = self.get_customer()
        incoming = IdentityInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        before = Identity.objects.filter(customer=customer).count()
        identity = identities.identity_add(customer=customer, acting_user=request.user, **incoming.validated_data)
        created = Identity.objects.filter(customer=customer).count() > before
        return Response(IdentitySerializer(identity).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def destroy(self, request, *args, **kwargs):
        identities.identity_remove(identity=self.get_object(), acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

