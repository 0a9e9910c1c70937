"""Attribution over the API: ``GET /api/v1/attribution/`` (the figures of the console's page, per
model), ``/api/v1/attribution/runs/`` (a big range computed by a background job: ``POST`` starts
it, 202 with the run's id and status URL; ``GET`` the run follows its progress and gives the
result once done) and ``/api/v1/attribution/costs/`` (the costs marketers enter). The same
services as the console (``campaigns.attribution``, ``campaigns.attribution_runs``)."""

from datetime import date, timedelta

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.api import ERROR_400, ERROR_403, ERROR_404, ActionPermission, Pagination

from . import attribution, attribution_runs
from .models import Campaign, ChannelCost
from .models_attribution import AttributionChannel, AttributionRun, AttributionRunStatus

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
        return Response(report_data(attribution.attribution_report(params), models))


def report_data(report: attribution.Report, models=attribution.MODELS) -> dict:
    params = report.params

    def rows(items):
        return [{"key": row.key, "label": row.label, "cost": row.cost,
                 "models": {m: {"conversions": round(row.credits[m].conversions, 6),
                                "revenue": round(row.credits[m].revenue),
                                "roas": None if row.roas(m) is None else round(row.roas(m), 4)}
                            for m in models}} for row in items]

    return {"start": params.start, "end": params.end, "window_days": params.window_days,
            "half_life_days": params.half_life_days, "orders": report.orders,
            "touched_orders": report.touched_orders, "revenue": report.revenue,
            "touches": report.touches, "channels": rows(report.channels),
            "campaigns": rows(report.campaigns)}


RUN = inline_serializer("AttributionRun", {
    "id": serializers.IntegerField(),
    "start": serializers.DateField(), "end": serializers.DateField(),
    "window_days": serializers.IntegerField(), "half_life_days": serializers.FloatField(),
    "status": serializers.ChoiceField(choices=AttributionRunStatus.choices),
    "percent": serializers.IntegerField(help_text="0–100: steps done (the paths, then each model)."),
    "done": serializers.IntegerField(), "total": serializers.IntegerField(),
    "step": serializers.CharField(allow_blank=True, help_text="The step running now: paths, or a model."),
    "error": serializers.CharField(allow_blank=True),
    "status_url": serializers.CharField(help_text="GET it to follow the run."),
    "created_at": serializers.DateTimeField(),
    "finished_at": serializers.DateTimeField(allow_null=True),
    "report": REPORT.__class__(allow_null=True, help_text="The result once the run is done (null before); costs "
                                                          "as entered now."),
})
RUN_REQUEST = inline_serializer("AttributionRunRequest", {
    "start": serializers.DateField(), "end": serializers.DateField(),
    "window_days": serializers.IntegerField(required=False, default=attribution.DEFAULT_WINDOW_DAYS),
    "half_life_days": serializers.FloatField(required=False, default=attribution.DEFAULT_HALF_LIFE_DAYS),
    "recompute": serializers.BooleanField(required=False, default=False,
                                          help_text="Compute again a range already computed."),
})


def run_data(run: AttributionRun, request) -> dict:
    report = attribution_runs.run_report(run) if run.status == AttributionRunStatus.DONE else None
    return {"id": run.pk, "start": run.start, "end": run.end, "window_days": run.window_days,
            "half_life_days": run.half_life_days, "status": run.status, "percent": run.percent, "done": run.done,
            "total": run.total, "step": run.step, "error": run.error,
            "status_url": request.build_absolute_uri(reverse("api:attribution-run", args=[run.pk])),
            "created_at": run.created_at, "finished_at": run.finished_at,
            "report": report_data(report) if report is not None else None}


class AttributionRunsView(APIView):
    permission_classes = [ActionPermission]
    action_permissions = {"post": "campaigns.view_attribution"}

    @extend_schema(
        tags=["campaigns"], summary="Compute the attribution of a (big) range in the background",
        description=attribution_runs.__doc__, request=RUN_REQUEST,
        responses={202: RUN, 200: RUN, 400: ERROR_400, 403: ERROR_403})
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        start, end = _date(str(data.get("start", "")), None), _date(str(data.get("end", "")), None)
        params = attribution.params_validate(
            start=start, end=end, window_days=data.get("window_days", attribution.DEFAULT_WINDOW_DAYS),
            half_life_days=data.get("half_life_days", attribution.DEFAULT_HALF_LIFE_DAYS))
        recompute = data.get("recompute") in (True, "true", "1", 1)
        run = attribution_runs.attribution_run_start(params=params, acting_user=request.user, recompute=recompute)
        run.refresh_from_db()  # a run of the synchronous queue (tests) may be done already
        done = run.status == AttributionRunStatus.DONE and not recompute
        return Response(run_data(run, request), status=status.HTTP_200_OK if done else status.HTTP_202_ACCEPTED)


class AttributionRunView(APIView):
    permission_classes = [ActionPermission]
    action_permissions = {"get": "campaigns.view_attribution"}

    @extend_schema(tags=["campaigns"], summary="An attribution run: its progress, and its result once done",
                   responses={200: RUN, 403: ERROR_403, 404: ERROR_404})
    def get(self, request, pk: int):
        return Response(run_data(get_object_or_404(AttributionRun, pk=pk), request))


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
