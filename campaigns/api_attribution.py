"""Attribution over the API: ``GET /api/v1/attribution/`` (the figures of the console's page, per
model) and ``/api/v1/attribution/costs/`` (the costs marketers enter). The same services as the
console (``campaigns.attribution``)."""

from datetime import date, timedelta

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.api import ERROR_400, ERROR_403, ERROR_404, ActionPermission, Pagination

from . import attribution
from .models import Campaign, ChannelCost
from .models_attribution import AttributionChannel

CREDIT = inline_serializer("AttributionCredit", {
    "conversions": serializers.FloatField(help_text="Orders credited (shares: a third of an order is 0.333…)."),
    "revenue": serializers.IntegerField(help_text="Revenue credited, yen."),
    "roas": serializers.FloatField(allow_null=True, help_text="Revenue / cost; null without a cost."),
})
ROW = inline_serializer("AttributionRow", {
    "key": serializers.CharField(help_text="A channel, or a campaign as c<id> / u<utm_campaign> ('' none; "
                                           "'none' for orders no touch reached)."),
    "label": serializers.CharField(),
    "cost": serializers.IntegerField(allow_null=True, help_text="Yen in the range (monthly costs prorated)."),
    "models": serializers.DictField(child=CREDIT, help_text="Per model: first_touch, last_touch, linear, "
                                                            "time_decay, position, markov."),
})
REPORT = inline_serializer("AttributionReport", {
    "start": serializers.DateField(), "end": serializers.DateField(),
    "window_days": serializers.IntegerField(), "half_life_days": serializers.FloatField(),
    "orders": serializers.IntegerField(), "touched_orders": serializers.IntegerField(),
    "revenue": serializers.IntegerField(), "touches": serializers.IntegerField(),
    "channels": ROW.__class__(many=True), "campaigns": ROW.__class__(many=True),
})


def _date(value: str, default: date):
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


class AttributionView(APIView):
    permission_classes = [ActionPermission]
    action_permissions = {"get": "campaigns.view_attribution"}

    @extend_schema(
        tags=["campaigns"], summary="Attribution results per model",
        description=attribution.__doc__,
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, description="First day (default: 29 days ago)."),
            OpenApiParameter("end", OpenApiTypes.DATE, description="Last day, inclusive (default: today)."),
            OpenApiParameter("window_days", OpenApiTypes.INT, description="Look-back window, 1–365 (default 30)."),
            OpenApiParameter("half_life_days", OpenApiTypes.NUMBER, description="Time decay's half-life, > 0 "
                                                                                "(default 7)."),
            OpenApiParameter("model", OpenApiTypes.STR, enum=list(attribution.MODELS),
                             description="Only this model's figures (default: all six)."),
        ],
        responses={200: REPORT, 400: ERROR_400, 403: ERROR_403})
    def get(self, request):
        q = request.query_params
        today = timezone.localdate()
        start, end = _date(q.get("start", ""), today - timedelta(days=29)), _date(q.get("end", ""), today)
        params = attribution.params_validate(
            start=start, end=end, window_days=q.get("window_days", attribution.DEFAULT_WINDOW_DAYS),
            half_life_days=q.get("half_life_days", attribution.DEFAULT_HALF_LIFE_DAYS), model=q.get("model", ""))
        models = (q["model"],) if q.get("model") else attribution.MODELS
        report = attribution.attribution_report(params)

        def rows(items):
            return [{"key": row.key, "label": row.label, "cost": row.cost,
                     "models": {m: {"conversions": round(row.credits[m].conversions, 6),
                                    "revenue": round(row.credits[m].revenue),
                                    "roas": None if row.roas(m) is None else round(row.roas(m), 4)}
                                for m in models}} for row in items]

        return Response({"start": params.start, "end": params.end, "window_days": params.window_days,
                         "half_life_days": params.half_life_days, "orders": report.orders,
                         "touched_orders": report.touched_orders, "revenue": report.revenue,
                         "touches": report.touches, "channels": rows(report.channels),
                         "campaigns": rows(report.campaigns)})


class ChannelCostSerializer(serializers.ModelSerializer):
    month = serializers.DateField(help_text="Any day of the month (stored as its first day).")
    channel = serializers.ChoiceField(choices=AttributionChannel.choices)
    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.all(), required=False, allow_null=True,
                                                  default=None)
    amount = serializers.IntegerField(min_value=0, help_text="Yen.",
                                      error_messages={"min_value": "A cost cannot be negative."})
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    class Meta:
        model = ChannelCost
        fields = ["id", "month", "channel", "campaign", "amount", "note", "updated_at"]
        read_only_fields = ["id", "updated_at"]
        validators = []  # the service keeps one row per (month, channel, campaign)


@extend_schema(tags=["campaigns"])
class ChannelCostViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """What each channel (or campaign) cost per month: attribution's ROAS divides by these."""

    serializer_class = ChannelCostSerializer
    pagination_class = Pagination
    permission_classes = [ActionPermission]
    action_permissions = {"list": "campaigns.view_channelcost", "retrieve": "campaigns.view_channelcost",
                          "create": "campaigns.add_channelcost", "destroy": "campaigns.delete_channelcost"}
    queryset = ChannelCost.objects.order_by("-month", "channel", "campaign_id")

    @extend_schema(summary="Enter a channel cost",
                   description="Entering the same month, channel and campaign again replaces the amount.",
                   request=ChannelCostSerializer, responses={201: ChannelCostSerializer, 400: ERROR_400,
                                                             403: ERROR_403})
    def create(self, request):
        incoming = ChannelCostSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        row = attribution.channel_cost_save(acting_user=request.user, **incoming.validated_data)
        return Response(ChannelCostSerializer(row).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Remove a channel cost", responses={204: None, 403: ERROR_403, 404: ERROR_404})
    def destroy(self, request, pk=None):
        attribution.channel_cost_delete(cost=self.get_object(), acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def register_routes(router) -> None:
    router.register("attribution/costs", ChannelCostViewSet, basename="attribution-cost")
