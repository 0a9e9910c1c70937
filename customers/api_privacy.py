"""API of privacy requests staff handle for a customer (issue 8): a copy of their data and erasure.
Mixed into ``customers.api.CustomerViewSet`` (``/api/v1/customers/{id}/export/``, ``.../erase/``)."""

import json

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from kernel.api import ERROR_400, ERROR_403, ERROR_404, ERROR_409

from . import privacy

API_VIA = "api"


class EraseInSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, help_text=_(
        "How and when the customer asked (kept in the audit trail), e.g. \"phone call 2026-11-30\"."))
    confirm = serializers.IntegerField(help_text=_("The customer's id again: erasure cannot be undone."))


class EraseOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    erased_at = serializers.DateTimeField()


EXPORT_EXAMPLE = {
    "format": privacy.EXPORT_FORMAT, "generated_at": "2026-11-30T10:00:00+09:00", "customer_id": 42,
    "profile": {"email": "hanako@example.jp", "family_name": "山田", "given_name": "花子",
                "family_name_kana": "ヤマダ", "given_name_kana": "ハナコ", "phone": "090-1234-5678",
                "prefecture": "13", "prefecture_name": "東京都", "sizes": {"shoes": "24.5"}, "interests": ["linen"]},
    "account": {"email": "hanako@example.jp", "active": True},
    "addresses": [{"label": "自宅", "name": "山田 花子", "postal_code": "150-0001", "prefecture": "13",
                   "city": "渋谷区", "line1": "神宮前1-2-3", "line2": "", "default": True}],
    "identities": [{"kind": "email", "value": "hanako@example.jp", "source": "storefront-signup"}],
    "consent": {"current": {"marketing": {"email": True}},
                "history": [{"channel": "email", "purpose": "marketing", "granted": True,
                             "source": "storefront-signup", "time": "2026-11-01T09:00:00+09:00"}]},
    "events": [{"kind": "order_placed", "time": "2026-11-02T12:00:00+09:00", "channel": "web",
                "subject": "order:W00000001", "data": {"total": 5500}}],
    "orders": [{"number": "W00000001", "total": 5500, "lines": [{"sku": "LINEN-M", "quantity": 1,
                                                               "unit_price": 5500, "tax_rate": 10}]}],
    "cart": None,
}


class CustomerPrivacyActions:
    """``export`` and ``erase`` for staff with ``customers.handle_privacy_requests``."""

    @extend_schema(
        summary="A copy of everything we hold about the customer (privacy request)",
        description="Profile, account, addresses, identities, the whole consent ledger and the current state per "
                    "purpose, every event, every order with its lines and fulfilments, and the cart. A POST because "
                    "each export is recorded in the audit trail (customer_data_export, via \"api\"). 409 "
                    "customer_erased when there is nothing left to export.",
        request=None,
        responses={200: OpenApiResponse(description="The customer's data (JSON).", examples=[
            OpenApiExample("Export", value=EXPORT_EXAMPLE)]), 403: ERROR_403, 404: ERROR_404, 409: ERROR_409},
        tags=["customers"],
    )
    @action(detail=True, methods=["post"])
    def export(self, request, pk=None):
        body = privacy.customer_data_export(customer=self.get_object(), acting_user=request.user, via=API_VIA)
        return Response(json.loads(body))

    @extend_schema(
        summary="Erase the customer's personal data (privacy request)",
        description="Anonymises the customer and their orders' name, email, phone and delivery address; orders, "
                    "totals, lines and tax rates stay. Deletes addresses, identities and the cart, closes the "
                    "account, withdraws every consent. `confirm` must repeat the id. Audited (customer_erase). "
                    "409 customer_erased when already done.",
        request=EraseInSerializer,
        responses={200: EraseOutSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404, 409: ERROR_409},
        examples=[OpenApiExample("Erase", value={"reason": "phone call 2026-11-30, ticket 1234", "confirm": 42},
                                 request_only=True)],
        tags=["customers"],
    )
    @action(detail=True, methods=["post"])
    def erase(self, request, pk=None):
        customer = self.get_object()
        incoming = EraseInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        if incoming.validated_data["confirm"] != customer.pk:
            raise serializers.ValidationError({"confirm": [_("Repeat the customer's id to confirm.")]})
        customer = privacy.customer_erase(customer=customer, acting_user=request.user, via=API_VIA,
                                          reason=incoming.validated_data["reason"])
        return Response({"id": customer.pk, "erased_at": customer.erased_at})
