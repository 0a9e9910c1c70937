"""Consent over the API (customers.consent services): staff grant, withdraw, read the history
and the state at any time T of a customer's consents; a customer account does the same for itself
under /me/consents/. Bad input (unknown channel or purpose, no source, a bad time) is a 400
naming the field, and nothing is stored."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiTypes,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.api import ERROR_400, ERROR_403, ERROR_404, ActionPermission, Pagination, UtcIsoDateTimeField

from . import consent
from .models import ConsentChannel, ConsentPurpose, ConsentRecord, ConsentRequest, ConsentSource, Customer

# --- shapes ------------------------------------------------------------------------------------


class ConsentRecordSerializer(serializers.ModelSerializer):
    """One ledger row: a grant or a withdrawal with its provenance."""

    acting_user = serializers.SerializerMethodField(help_text=gettext_lazy("Who recorded it; null: the customer "
                                                                           "through a link, or the system."))
    decided_at = serializers.DateTimeField(source="created_at")

    class Meta:
        model = ConsentRecord
        fields = ["id", "channel", "purpose", "granted", "source", "source_detail", "decided_at", "acting_user",
                  "ip_address", "user_agent"]

    def get_acting_user(self, record) -> str | None:
        return str(record.acting_user) if record.acting_user_id else None


class ConsentCellSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=ConsentChannel.choices)
    purpose = serializers.ChoiceField(choices=ConsentPurpose.choices)
    granted = serializers.BooleanField(help_text=gettext_lazy("May we contact them? False when never asked."))
    decided = serializers.BooleanField(help_text=gettext_lazy("False: no decision recorded (no consent)."))
    source = serializers.CharField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)


class ConsentPendingSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConsentRequest
        fields = ["id", "channel", "purpose", "source", "requested_at"]


class ConsentGridSerializer(serializers.Serializer):
    at = serializers.DateTimeField(allow_null=True, help_text=gettext_lazy("The time asked for; null: now."))
    consents = ConsentCellSerializer(many=True)
    pending = ConsentPendingSerializer(many=True, help_text=gettext_lazy(
        "Email opt-ins waiting for the customer's confirmation (double opt-in); not granted yet."))


class StaffConsentInSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=ConsentChannel.choices)
    purpose = serializers.ChoiceField(choices=ConsentPurpose.choices)
    source = serializers.ChoiceField(choices=consent.STAFF_SOURCE_CHOICES, help_text=(
        gettext_lazy("Where the customer told you: staff, pos, import or api. Required.")))
    source_detail = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class MyConsentInSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=ConsentChannel.choices)
    purpose = serializers.ChoiceField(choices=ConsentPurpose.choices)


class ConsentChangeSerializer(ConsentGridSerializer):
    record = ConsentRecordSerializer(allow_null=True, help_text=gettext_lazy(
        "The ledger row written; null when nothing changed or when a confirmation is pending."))
    confirmation_pending = serializers.BooleanField(help_text=gettext_lazy(
        "True: we emailed a confirmation link; the consent starts when the customer follows it."))


# --- examples ----------------------------------------------------------------------------------

AT_PARAMETER = OpenApiParameter(
    "at", OpenApiTypes.DATETIME, OpenApiParameter.QUERY, required=False,
    description="The state at this time (ISO 8601 with offset, e.g. 2026-04-01T09:00:00+09:00); now when absent.")
CUSTOMER_ID_PARAMETER = OpenApiParameter("customer_id", OpenApiTypes.INT, OpenApiParameter.PATH,
                                         description="The customer's id.")
STATE_EXAMPLE = OpenApiExample("State", response_only=True, value={
    "at": "2026-04-01T00:00:00Z",
    "consents": [
        {"channel": "email", "purpose": "marketing", "granted": True, "decided": True, "source": "confirmation",
         "decided_at": "2026-03-02T10:15:00Z"},
        {"channel": "sms", "purpose": "marketing", "granted": False, "decided": False, "source": None,
         "decided_at": None},
    ],
    "pending": [],
})
STAFF_GRANT_EXAMPLE = OpenApiExample("Opt-in told at the counter", request_only=True, value={
    "channel": "sms", "purpose": "marketing", "source": "staff", "source_detail": "渋谷店カウンターで口頭"})
STAFF_WITHDRAW_EXAMPLE = OpenApiExample("Opt-out by phone", request_only=True, value={
    "channel": "email", "purpose": "marketing", "source": "staff", "source_detail": "お電話で配信停止のご依頼"})
MY_EXAMPLE = OpenApiExample("Email news", request_only=True, value={"channel": "email", "purpose": "marketing"})
BAD_EXAMPLE = OpenApiExample("No source", response_only=True, status_codes=["400"], value={
    "code": "invalid", "detail": "Invalid input.", "errors": {"source": ["This field is required."]}})
HISTORY_EXAMPLE = OpenApiExample("History", response_only=True, value={
    "count": 1, "next": None, "previous": None, "results": [{
        "id": 41, "channel": "email", "purpose": "marketing", "granted": False, "source": "unsubscribe",
        "source_detail": "", "decided_at": "2026-05-10T08:00:00Z", "acting_user": None,
        "ip_address": "203.0.113.7", "user_agent": "Mozilla/5.0"}]})


# --- helpers -------------------------------------------------------------------------------------

def _at(request):
    raw = request.query_params.get("at")
    if raw in (None, ""):
        return None
    try:
        return UtcIsoDateTimeField().clean(raw)
    except DjangoValidationError as exc:
        raise DjangoValidationError({"at": exc.messages}) from None


def consent_state_body(customer: Customer, *, at=None) -> dict:
    grid = consent.consent_grid(customer=customer, at=at)
    return {
        "at": at,
        "consents": [{"channel": channel, "purpose": purpose, "granted": bool(record and record.granted),
                      "decided": record is not None, "source": record.source if record else None,
                      "decided_at": record.created_at if record else None}
                     for (channel, purpose), record in grid.items()],
        "pending": [] if at is not None else consent.consent_pending(customer=customer),
    }


def _state(customer, at=None) -> dict:
    return ConsentGridSerializer(consent_state_body(customer, at=at)).data


def _change(customer, *, record=None, pending=False) -> dict:
    body = {**consent_state_body(customer), "record": record, "confirmation_pending": pending}
    return ConsentChangeSerializer(body).data


class _History(APIView):
    pagination_class = Pagination

    def history(self, request, customer):
        paginator = Pagination()
        page = paginator.paginate_queryset(consent.consent_history(customer=customer), request, view=self)
        return paginator.get_paginated_response(ConsentRecordSerializer(page, many=True).data)


# --- staff -----------------------------------------------------------------------------------------

class _StaffConsent(APIView):
    permission_classes = [ActionPermission]

    def customer(self) -> Customer:
        return get_object_or_404(Customer, pk=self.kwargs["customer_id"])


@extend_schema(tags=["consent"], parameters=[CUSTOMER_ID_PARAMETER])
class CustomerConsentStateView(_StaffConsent):
    action_permissions = {"get": "customers.view_customer"}

    @extend_schema(summary="A customer's consent by channel and purpose, now or at time T", parameters=[AT_PARAMETER],
                   responses={200: ConsentGridSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404},
                   examples=[STATE_EXAMPLE])
    def get(self, request, customer_id: int):
        customer = self.customer()
        return Response(_state(customer, _at(request)))


@extend_schema(tags=["consent"], parameters=[CUSTOMER_ID_PARAMETER])
class CustomerConsentHistoryView(_StaffConsent, _History):
    action_permissions = {"get": "customers.view_customer"}

    @extend_schema(summary="A customer's consent ledger: every grant and withdrawal with its provenance",
                   responses={200: ConsentRecordSerializer(many=True), 403: ERROR_403, 404: ERROR_404},
                   examples=[HISTORY_EXAMPLE])
    def get(self, request, customer_id: int):
        return self.history(request, self.customer())


class _StaffDecision(_StaffConsent):
    action_permissions = {"post": "customers.change_customer"}
    granted = True

    def post(self, request, customer_id: int):
        customer = self.customer()
        incoming = StaffConsentInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        record = consent.consent_decide(customer=customer, channel=data["channel"], purpose=data["purpose"],
                                        granted=self.granted, source=data["source"],
                                        source_detail=data["source_detail"], acting_user=request.user,
                                        **consent.consent_request_meta(request))
        return Response(_change(customer, record=record))


@extend_schema(tags=["consent"], parameters=[CUSTOMER_ID_PARAMETER])
class CustomerConsentGrantView(_StaffDecision):
    granted = True

    @extend_schema(summary="Record an opt-in the customer gave staff (source required)",
                   description="Staff record it directly (no double opt-in): the source says where the customer "
                               "told us. No ledger row when they are already opted in.",
                   request=StaffConsentInSerializer,
                   responses={200: ConsentChangeSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404},
                   examples=[STAFF_GRANT_EXAMPLE, BAD_EXAMPLE])
    def post(self, request, customer_id: int):
        return super().post(request, customer_id)


@extend_schema(tags=["consent"], parameters=[CUSTOMER_ID_PARAMETER])
class CustomerConsentWithdrawView(_StaffDecision):
    granted = False

    @extend_schema(summary="Record an opt-out the customer gave staff (source required); effective at once",
                   request=StaffConsentInSerializer,
                   responses={200: ConsentChangeSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404},
                   examples=[STAFF_WITHDRAW_EXAMPLE, BAD_EXAMPLE])
    def post(self, request, customer_id: int):
        return super().post(request, customer_id)


# --- the customer's own ------------------------------------------------------------------------------

class _Mine(APIView):
    permission_classes = [ActionPermission]

    def customer(self, request) -> Customer:
        from kernel.api import is_customer_account

        if not is_customer_account(request.user):
            raise PermissionDenied(_("Only a customer account has its own consent."))
        return request.user.customer


@extend_schema(tags=["me"])
class MyConsentStateView(_Mine):
    action_permissions = {"get": None}

    @extend_schema(summary="My consent by channel and purpose, now or at time T", parameters=[AT_PARAMETER],
                   responses={200: ConsentGridSerializer, 400: ERROR_400, 403: ERROR_403}, examples=[STATE_EXAMPLE])
    def get(self, request):
        customer = self.customer(request)
        return Response(_state(customer, _at(request)))


@extend_schema(tags=["me"])
class MyConsentHistoryView(_Mine, _History):
    action_permissions = {"get": None}

    @extend_schema(summary="My consent history", responses={200: ConsentRecordSerializer(many=True), 403: ERROR_403},
                   examples=[HISTORY_EXAMPLE])
    def get(self, request):
        return self.history(request, self.customer(request))


@extend_schema(tags=["me"])
class MyConsentGrantView(_Mine):
    action_permissions = {"post": None}

    @extend_schema(summary="Opt in (source \"api\"); email marketing is confirmed by email first",
                   description="For email marketing we email a confirmation link (double opt-in) and answer 202 "
                               "with confirmation_pending true; nothing is granted until it is followed. Other "
                               "channels and purposes are granted at once (200).",
                   request=MyConsentInSerializer,
                   responses={200: ConsentChangeSerializer, 202: ConsentChangeSerializer, 400: ERROR_400,
                              403: ERROR_403},
                   examples=[MY_EXAMPLE])
    def post(self, request):
        customer = self.customer(request)
        incoming = MyConsentInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        channel, purpose = incoming.validated_data["channel"], incoming.validated_data["purpose"]
        meta = consent.consent_request_meta(request)
        choice = consent.consent_customer_choose(customer=customer, channel=channel, purpose=purpose, granted=True,
                                                 source=ConsentSource.API, acting_user=request.user, **meta)
        if consent.double_opt_in_applies(channel=channel, purpose=purpose):
            return Response(_change(customer, pending=choice.pending is not None),
                            status=status.HTTP_202_ACCEPTED if choice.pending else status.HTTP_200_OK)
        return Response(_change(customer, record=choice.record))


@extend_schema(tags=["me"])
class MyConsentWithdrawView(_Mine):
    action_permissions = {"post": None}

    @extend_schema(summary="Opt out (source \"api\"); effective at once", request=MyConsentInSerializer,
                   responses={200: ConsentChangeSerializer, 400: ERROR_400, 403: ERROR_403}, examples=[MY_EXAMPLE])
    def post(self, request):
        customer = self.customer(request)
        incoming = MyConsentInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        record = consent.consent_withdraw(customer=customer, channel=incoming.validated_data["channel"],
                                          purpose=incoming.validated_data["purpose"], source=ConsentSource.API,
                                          acting_user=request.user, **consent.consent_request_meta(request))
        return Response(_change(customer, record=record))
