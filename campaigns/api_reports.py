"""HQ's reports over the API (campaigns.reports): the same figures as the console's report pages,
for the same people (``orders.view_sales_dashboard``: sales and fulfilment times;
``campaigns.view_campaign``: campaign performance and engagement). ``start`` and ``end`` (YYYY-MM-DD, Japan
time, both included; the last 28 days when both are left out) are checked like the console's
form: an end before the start or a range over two years is a 400 naming ``end``."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.api_engagement import EngagementFiguresSerializer
from customers.engagement import MESSAGE_TYPES
from kernel.api import ERROR_400, ERROR_403, ActionPermission

from . import reports
from .forms_reports import PeriodForm

PERIOD_PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day (Japan time). Default: 27 days before today."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day, included (at most two years after start). "
                                                           "Default: today."),
]


def _period(request) -> reports.Period:
    form = PeriodForm.from_query(request.query_params)
    if not form.is_valid():
        raise serializers.ValidationError({field: list(errors) for field, errors in form.errors.items()})
    return form.period


def _period_data(period: reports.Period) -> dict:
    return {"start": period.start, "end": period.end, "days": period.days,
            "previous_start": period.previous.start, "previous_end": period.previous.end}


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    days = serializers.IntegerField()
    previous_start = serializers.DateField(help_text="The period of the same length just before: compared with.")
    previous_end = serializers.DateField()


class SalesFiguresSerializer(serializers.Serializer):
    orders = serializers.IntegerField(help_text="Orders placed in the period, cancelled ones included.")
    cancelled_orders = serializers.IntegerField()
    gross = serializers.IntegerField(help_text="Yen, tax included: the totals of the orders placed.")
    cancelled = serializers.IntegerField(help_text="Yen: the totals of those of them cancelled since.")
    net = serializers.IntegerField(help_text="Yen: gross − cancelled.")
    refunds = serializers.IntegerField(help_text="Yen given back on orders not cancelled, by refund day; "
                                                 "not subtracted from net.")


class SalesRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The channel's or location's id; 'online' for no store; 'total'.")
    label = serializers.CharField()
    current = SalesFiguresSerializer()
    previous = SalesFiguresSerializer()
    net_change = serializers.FloatField(allow_null=True, help_text="0.25 is +25 %; null without a previous figure.")


class SalesDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    previous_day = serializers.DateField()
    current = SalesFiguresSerializer()
    previous = SalesFiguresSerializer()
    net_change = serializers.FloatField(allow_null=True)


class SalesReportSerializer(serializers.Serializer):
    period = PeriodSerializer()
    total = SalesRowSerializer()
    days = SalesDaySerializer(many=True)
    channels = SalesRowSerializer(many=True)
    stores = SalesRowSerializer(many=True)


class SalesReportView(APIView):
    permission_classes = [ActionPermission]
    action_permissions = {"get": "orders.view_sales_dashboard"}

    @extend_schema(summary="Sales by day, channel and store, with the previous period", tags=["reports"],
                   parameters=PERIOD_PARAMETERS, responses={200: SalesReportSerializer, 400: ERROR_400,
                                                            403: ERROR_403})
    def get(self, request):
        period = _period(request)
        report = reports.sales_report(period=period)
        return Response(SalesReportSerializer({"period": _period_data(period), "total": report.total,
                                               "days": report.days, "channels": report.channels,
                                               "stores": report.stores}).data)


class DurationsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    median = serializers.FloatField(allow_null=True, help_text="Hours.")
    p90 = serializers.FloatField(allow_null=True, help_text="Hours: nine in ten took at most this long.")


class StoreTimesSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The location's id; 'total' for every location.")
    label = serializers.CharField()
    to_ready = DurationsSerializer(help_text="A pickup: placed → ready.")
    to_collect = DurationsSerializer(help_text="A pickup: ready → collected.")
    to_ship = DurationsSerializer(help_text="A delivery: placed → shipped.")
    uncollected = serializers.IntegerField(help_text="Pickups ready, then cancelled.")


class FulfilmentReportSerializer(serializers.Serializer):
    period = PeriodSerializer()
    total = StoreTimesSerializer()
    stores = StoreTimesSerializer(many=True)


class FulfilmentReportView(APIView):
    permission_classes = [ActionPermission]
    action_permissions = {"get": "orders.view_sales_dashboard"}

    @extend_schema(summary="Pickup and fulfilment times per store (median and 90th percentile, hours)",
                   tags=["reports"], parameters=PERIOD_PARAMETERS,
                   responses={200: FulfilmentReportSerializer, 400: ERROR_400, 403: ERROR_403})
    def get(self, request):
        period = _period(request)
        report = reports.fulfilment_report(period=period)
        return Response(FulfilmentReportSerializer({"period": _period_data(period), "total": report.total,
                                                    "stores": report.stores}).data)


class PerformanceFiguresSerializer(serializers.Serializer):
    sent = serializers.IntegerField()
    delivered = serializers.IntegerField()
    opened = serializers.IntegerField(help_text="People who opened (machine opens are not counted).")
    clicked = serializers.IntegerField()
    converted = serializers.IntegerField(help_text="Orders whose last touch it was.")
    revenue = serializers.IntegerField(help_text="Yen, tax included.")
    unsubscribed = serializers.IntegerField()
    open_rate = serializers.FloatField(allow_null=True)
    click_rate = serializers.FloatField(allow_null=True)
    conversion_rate = serializers.FloatField(allow_null=True)


class PerformanceRowSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=list(reports.PERFORMANCE_KINDS), help_text="'journey' once journeys exist.")
    key = serializers.CharField(help_text="The campaign's id.")
    label = serializers.CharField()
    started_at = serializers.DateTimeField(allow_null=True)
    figures = PerformanceFiguresSerializer()


class PerformanceReportSerializer(serializers.Serializer):
    period = PeriodSerializer()
    total = PerformanceFiguresSerializer()
    rows = PerformanceRowSerializer(many=True)


class PerformanceReportView(APIView):
    permission_classes = [ActionPermission]
    action_permissions = {"get": "campaigns.view_campaign"}

    @extend_schema(summary="Campaign performance: every campaign started in the period", tags=["reports"],
                   parameters=PERIOD_PARAMETERS, responses={200: PerformanceReportSerializer, 400: ERROR_400,
                                                            403: ERROR_403})
    def get(self, request):
        period = _period(request)
        report = reports.performance_report(period=period)
        return Response(PerformanceReportSerializer({"period": _period_data(period), "total": report.total,
                                                     "rows": report.rows}).data)


class ReportEngagementFiguresSerializer(EngagementFiguresSerializer):
    converted = serializers.IntegerField(help_text="Orders whose last touch was a campaign message (campaigns only).")
    conversion_rate = serializers.FloatField(allow_null=True, help_text="converted / sent.")


class EngagementCellSerializer(serializers.Serializer):
    message_type = serializers.ChoiceField(choices=list(MESSAGE_TYPES), allow_blank=True,
                                           help_text="campaign, journey or transactional ('' in a total).")
    channel = serializers.CharField(allow_blank=True, help_text="email, sms, line ('' in a total).")
    figures = ReportEngagementFiguresSerializer()


class EngagementSegmentSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The segment's id; 'all' for every customer.")
    label = serializers.CharField()
    total = ReportEngagementFiguresSerializer()
    types = EngagementCellSerializer(many=True, help_text="Per message type, every channel: always all three.")
    cells = EngagementCellSerializer(many=True, help_text="Per (message type, channel) with anything in it.")


class EngagementReportSerializer(serializers.Serializer):
    period = PeriodSerializer()
    segments = EngagementSegmentSerializer(many=True, help_text="Every customer first, then each segment by name.")


class EngagementReportView(APIView):
    permission_classes = [ActionPermission]
    action_permissions = {"get": "campaigns.view_campaign"}

    @extend_schema(summary="Engagement by segment, message type and channel: sent, opened, clicked, converted",
                   tags=["reports"], parameters=PERIOD_PARAMETERS,
                   responses={200: EngagementReportSerializer, 400: ERROR_400, 403: ERROR_403})
    def get(self, request):
        period = _period(request)
        report = reports.engagement_report(period=period)
        return Response(EngagementReportSerializer({"period": _period_data(period),
                                                    "segments": report.segments}).data)
