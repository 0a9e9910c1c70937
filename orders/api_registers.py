"""REST endpoints of the registers (``/api/v1/registers/``, ``/api/v1/register-sessions/``):
list a store's registers with their open session, set one up, open it with a float, close a
session with a cash count, and read a session's or a store's business-day report as JSON.
The same services as the console (orders.registers, orders.register_report); store staff see
and act on their own store's registers only (others: 404), HQ and administrators on all."""

from datetime import date

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiTypes,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from kernel import roles
from kernel.api import ERROR_400, ERROR_403, ERROR_404, ActionPermission, Pagination
from kernel.models import Location

from . import register_report, registers
from .errors import InvalidOrder
from .models import Register, RegisterSession, TenderKind
from .registers import DENOMINATIONS, MAX_CASH, MAX_NOTE_LENGTH

# --- serializers -------------------------------------------------------------------------------


class SessionSummarySerializer(serializers.ModelSerializer):
    register = serializers.IntegerField(source="register_id")
    location = serializers.CharField(source="register.location.code")
    opened_by = serializers.CharField(source="opened_by.email", default=None, allow_null=True)
    closed_by = serializers.CharField(source="closed_by.email", default=None, allow_null=True)
    is_open = serializers.BooleanField()
    over_short = serializers.IntegerField(allow_null=True, help_text="counted_cash − expected_cash, once closed.")
    expected_now = serializers.IntegerField(
        help_text="What the drawer should hold now: the float plus the session's cash payments (refunds "
                  "included). Equals expected_cash once closed.")
    cash_count = serializers.DictField(child=serializers.IntegerField(), help_text=(
        "The closing count: pieces per denomination (yen), e.g. {\"10000\": 3, \"1000\": 12}."))

    class Meta:
        model = RegisterSession
        fields = ["id", "register", "location", "opened_at", "opened_by", "opening_float", "is_open", "closed_at",
                  "closed_by", "expected_now", "expected_cash", "counted_cash", "over_short", "cash_count", "note"]


class RegisterSerializer(serializers.ModelSerializer):
    location = serializers.SlugRelatedField(slug_field="code", queryset=Location.objects.all())
    current_session = serializers.SerializerMethodField(help_text="The open session, or null when closed.")

    class Meta:
        model = Register
        fields = ["id", "location", "code", "name", "is_active", "current_session"]
        read_only_fields = ["id", "is_active", "current_session"]
        # the code's uniqueness per store is the service's rule (a 400 naming the code)
        validators = []

    @extend_schema_field(SessionSummarySerializer(allow_null=True))
    def get_current_session(self, register) -> dict | None:
        session = registers.register_session_current(register)
        return SessionSummarySerializer(session).data if session is not None else None


class OpenInSerializer(serializers.Serializer):
    opening_float = serializers.IntegerField(min_value=0, max_value=MAX_CASH, help_text="Yen put in the drawer.")


class CloseInSerializer(serializers.Serializer):
    cash_count = serializers.DictField(
        child=serializers.IntegerField(min_value=0), required=False,
        help_text="Pieces counted per denomination: keys " + ", ".join(str(d) for d in DENOMINATIONS)
                  + ". Its total is the counted cash.")
    counted_cash = serializers.IntegerField(min_value=0, max_value=MAX_CASH, required=False,
                                            help_text="The counted total (without a count by denomination, or to "
                                                      "check it: both must agree).")
    note = serializers.CharField(max_length=MAX_NOTE_LENGTH, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if "cash_count" not in attrs and "counted_cash" not in attrs:
            raise serializers.ValidationError({"counted_cash": [_("Enter the cash counted in the drawer.")]})
        return attrs


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    amount = serializers.IntegerField()


class SalesSerializer(CountSerializer):
    items = serializers.IntegerField()


class TenderOutSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TenderKind.choices)
    taken = serializers.IntegerField()
    taken_count = serializers.IntegerField()
    given_back = serializers.IntegerField(help_text="Money given back (refunds, voids), as a positive amount.")
    given_back_count = serializers.IntegerField()
    net = serializers.IntegerField()
    tendered = serializers.IntegerField(help_text="Cash: what customers handed over.")
    change = serializers.IntegerField(help_text="Cash: the change handed back.")


class RateOutSerializer(serializers.Serializer):
    rate = serializers.IntegerField()
    total = serializers.IntegerField(help_text="Tax-inclusive sales at this rate.")
    tax = serializers.IntegerField(help_text="Consumption tax contained, rounded down once per rate.")
    net = serializers.IntegerField()


class DenominationOutSerializer(serializers.Serializer):
    denomination = serializers.IntegerField()
    pieces = serializers.IntegerField()
    amount = serializers.IntegerField()


class CashOutSerializer(serializers.Serializer):
    opening_float = serializers.IntegerField()
    taken = serializers.IntegerField(help_text="Σ cash payments, refunds included.")
    expected = serializers.IntegerField()
    counted = serializers.IntegerField(allow_null=True)
    over_short = serializers.IntegerField(allow_null=True)
    count = DenominationOutSerializer(many=True)


class DayReportSerializer(serializers.Serializer):
    location = serializers.CharField(allow_null=True)
    business_date = serializers.DateField(allow_null=True)
    sessions = serializers.ListField(child=serializers.IntegerField())
    closed = serializers.BooleanField(help_text="Every session of the report is closed.")
    sales = SalesSerializer(help_text="Orders with money taken, voids left out.")
    returns = CountSerializer(help_text="Money given back on orders that are not voids.")
    voids = CountSerializer(help_text="Till sales cancelled after payment (cancelled POS orders).")
    discounts = CountSerializer()
    net = serializers.IntegerField(help_text="Σ every payment of the sessions.")
    tenders = TenderOutSerializer(many=True)
    tax = RateOutSerializer(many=True)
    cash = CashOutSerializer()


class SessionReportSerializer(SessionSummarySerializer):
    report = serializers.SerializerMethodField()

    class Meta(SessionSummarySerializer.Meta):
        fields = [*SessionSummarySerializer.Meta.fields, "report"]

    @extend_schema_field(DayReportSerializer)
    def get_report(self, session) -> dict:
        return register_report.report_as_dict(register_report.session_report(session))


# --- views ---------------------------------------------------------------------------------------

def _with_expected(session: RegisterSession) -> RegisterSession:
    return registers.sessions_with_cash(RegisterSession.objects.filter(pk=session.pk)).select_related(
        "register__location", "opened_by", "closed_by").get()


@extend_schema(tags=["registers"])
@extend_schema_view(
    list=extend_schema(summary="Registers visible to the caller, with their open session",
                       parameters=[OpenApiParameter("location", OpenApiTypes.STR, description="A store's code.")],
                       responses={200: RegisterSerializer(many=True), 403: ERROR_403}),
    retrieve=extend_schema(summary="One register", responses={200: RegisterSerializer, 403: ERROR_403,
                                                              404: ERROR_404}),
)
class RegisterViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = RegisterSerializer
    pagination_class = Pagination
    permission_classes = [ActionPermission]
    action_permissions = {
        "list": "orders.view_register",
        "retrieve": "orders.view_register",
        "create": "orders.add_register",
        "open": "orders.operate_register",
        "day_report": "orders.view_register",
    }

    def get_queryset(self):
        registers_qs = registers.registers_for_user(self.request.user)
        location = self.request.query_params.get("location")
        if location and self.action == "list":
            registers_qs = registers_qs.filter(location__code=location)
        return registers_qs

    @extend_schema(summary="Set a register up at a store (administrators)", request=RegisterSerializer,
                   responses={201: RegisterSerializer, 400: ERROR_400, 403: ERROR_403})
    def create(self, request):
        incoming = RegisterSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        location = incoming.validated_data["location"]
        roles.require_location(request.user, location)
        register = registers.register_create(location=location, code=incoming.validated_data["code"],
                                             name=incoming.validated_data["name"], acting_user=request.user)
        register = registers.registers_for_user(request.user).get(pk=register.pk)
        return Response(RegisterSerializer(register).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Open the register with its float",
                   description="One open session per register: opening an open register is 400 with "
                               "errors.register, and nothing changes.",
                   request=OpenInSerializer,
                   responses={201: SessionSummarySerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404})
    @action(detail=True, methods=["post"])
    def open(self, request, pk=None):
        register = self.get_object()
        incoming = OpenInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        session = registers.register_open(register=register, opening_float=incoming.validated_data["opening_float"],
                                          acting_user=request.user)
        return Response(SessionSummarySerializer(_with_expected(session)).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="A store's day report (every register, sessions opened that business day)",
                   parameters=[OpenApiParameter("location", OpenApiTypes.STR, required=True,
                                                description="The store's code."),
                               OpenApiParameter("date", OpenApiTypes.DATE,
                                                description="The business day (default: today, shop time).")],
                   responses={200: DayReportSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404})
    @action(detail=False, methods=["get"], url_path="day-report")
    def day_report(self, request):
        code = request.query_params.get("location", "")
        raw = request.query_params.get("date", "")
        errors = {}
        if not code:
            errors["location"] = [_("Give the store's code.")]
        try:
            business_date = date.fromisoformat(raw) if raw else timezone.localdate()
        except ValueError:
            errors["date"] = [_("Give the date as YYYY-MM-DD.")]
        if errors:
            raise InvalidOrder(errors)
        location = get_object_or_404(roles.scoped_locations(request.user), code=code)
        report = register_report.store_day_report(location=location, business_date=business_date)
        return Response(register_report.report_as_dict(report))


@extend_schema(tags=["registers"])
@extend_schema_view(
    list=extend_schema(summary="Register sessions, newest first",
                       parameters=[OpenApiParameter("location", OpenApiTypes.STR, description="A store's code."),
                                   OpenApiParameter("register", OpenApiTypes.INT),
                                   OpenApiParameter("date", OpenApiTypes.DATE,
                                                    description="Business day the session opened."),
                                   OpenApiParameter("open", OpenApiTypes.BOOL)],
                       responses={200: SessionSummarySerializer(many=True), 400: ERROR_400, 403: ERROR_403}),
    retrieve=extend_schema(summary="One session with its day report (figures so far while it is open)",
                           responses={200: SessionReportSerializer, 403: ERROR_403, 404: ERROR_404}),
)
class RegisterSessionViewSet(viewsets.ReadOnlyModelViewSet):
    pagination_class = Pagination
    permission_classes = [ActionPermission]
    action_permissions = {
        "list": "orders.view_register",
        "retrieve": "orders.view_register",
        "close": "orders.operate_register",
    }

    def get_serializer_class(self):
        return SessionReportSerializer if self.action == "retrieve" else SessionSummarySerializer

    def get_queryset(self):
        params = self.request.query_params
        business_date = None
        if self.action == "list" and params.get("date"):
            try:
                business_date = date.fromisoformat(params["date"])
            except ValueError:
                raise InvalidOrder({"date": [_("Give the date as YYYY-MM-DD.")]}) from None
        sessions = registers.session_history(
            registers=Register.objects.filter(location__in=roles.scoped_locations(self.request.user)),
            business_date=business_date)
        if self.action == "list":
            if params.get("location"):
                sessions = sessions.filter(register__location__code=params["location"])
            if params.get("register", "").isdigit():
                sessions = sessions.filter(register_id=int(params["register"]))
            if params.get("open") in ("true", "1"):
                sessions = sessions.filter(closed_at__isnull=True)
            elif params.get("open") in ("false", "0"):
                sessions = sessions.filter(closed_at__isnull=False)
        return sessions

    @extend_schema(summary="Close the session with the cash count (レジ締め)",
                   description="The expected cash is the float plus the session's cash payments (refunds "
                               "included); over/short = counted − expected. A closed session cannot be closed "
                               "again: 400 with errors.session, and nothing changes. A bad count: 400 with "
                               "errors.cash_count.<denomination>.",
                   request=CloseInSerializer,
                   responses={200: SessionReportSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        session = self.get_object()
        incoming = CloseInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        session = registers.register_close(session=session, cash_count=data.get("cash_count"),
                                           counted_cash=data.get("counted_cash"), note=data["note"],
                                           acting_user=request.user)
        return Response(SessionReportSerializer(_with_expected(session)).data)


def register_routes(router) -> None:
    router.register("registers", RegisterViewSet, basename="register")
    router.register("register-sessions", RegisterSessionViewSet, basename="register-session")
