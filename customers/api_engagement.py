"""A customer's engagement with the messages they receive, over the API (customers.engagement):
the 360 page's engagement card as JSON, for the same staff (``customers.view_customer``)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.api import ERROR_403, ERROR_404, ActionPermission

from .engagement import MESSAGE_TYPES, customer_engagement
from .models import Customer


class EngagementFiguresSerializer(serializers.Serializer):
    sent = serializers.IntegerField(help_text="Messages sent.")
    opened = serializers.IntegerField(help_text="Messages opened or clicked by a person (each message once; "
                                                "machine opens are not counted).")
    clicked = serializers.IntegerField(help_text="Messages with a link followed (each message once).")
    open_rate = serializers.FloatField(allow_null=True, help_text="opened / sent (0.25 is 25 %); null: none sent.")
    click_rate = serializers.FloatField(allow_null=True, help_text="clicked / sent; null: none sent.")
    last_sent = serializers.DateTimeField(allow_null=True)
    last_engaged = serializers.DateTimeField(allow_null=True, help_text="The latest open or click.")


class EngagementRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="A channel (email, sms, line) or a message type "
                                          f"({', '.join(MESSAGE_TYPES)}).")
    label = serializers.CharField()
    figures = EngagementFiguresSerializer()


class CustomerEngagementSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    total = EngagementFiguresSerializer()
    channels = EngagementRowSerializer(many=True)
    types = EngagementRowSerializer(many=True, help_text="campaign, journey (automated journeys' messages) and "
                                                         "transactional (order emails and the like), always all three.")


class CustomerEngagementView(APIView):
    permission_classes = [ActionPermission]
    action_permissions = {"get": "customers.view_customer"}

    @extend_schema(
        summary="A customer's engagement by channel and message type", tags=["customers"],
        parameters=[OpenApiParameter("customer_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: CustomerEngagementSerializer, 403: ERROR_403, 404: ERROR_404},
        examples=[OpenApiExample("Engagement", value={
            "customer": 42,
            "total": {"sent": 4, "opened": 2, "clicked": 1, "open_rate": 0.5, "click_rate": 0.25,
                      "last_sent": "2026-11-28T10:00:00+09:00", "last_engaged": "2026-11-28T12:31:00+09:00"},
            "channels": [{"key": "email", "label": "Email", "figures": {
                "sent": 4, "opened": 2, "clicked": 1, "open_rate": 0.5, "click_rate": 0.25,
                "last_sent": "2026-11-28T10:00:00+09:00", "last_engaged": "2026-11-28T12:31:00+09:00"}}],
            "types": [{"key": "campaign", "label": "Campaigns", "figures": {
                "sent": 3, "opened": 2, "clicked": 1, "open_rate": 0.667, "click_rate": 0.333,
                "last_sent": "2026-11-28T10:00:00+09:00", "last_engaged": "2026-11-28T12:31:00+09:00"}}],
        })],
    )
    def get(self, request, customer_id: int):
        customer = get_object_or_404(Customer.objects.only("pk"), pk=customer_id)
        engagement = customer_engagement(customer=customer)
        return Response(CustomerEngagementSerializer({
            "customer": customer.pk, "total": engagement.total, "channels": engagement.channels,
            "types": engagement.types}).data)
