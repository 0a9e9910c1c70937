"""Journeys in the API: define one whole (settings and steps by key), read it with the figures at
each step, activate, pause, archive, put a customer in, list its enrolments, and tell the
journeys about a customer's custom event. The same services as the console (campaigns.journeys)."""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.models import Customer
from kernel.api import ERROR_400, ERROR_404, ERROR_409, ActionPermission, Pagination

from . import journeys
from .models import CampaignMessage, MessageChannel
from .models_journeys import (
    Enrolment,
    EnrolmentStatus,
    Journey,
    JourneyGoal,
    JourneyPurpose,
    JourneyTrigger,
    Reentry,
    StepKind,
)


class StepMessageSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=[c for c in MessageChannel.choices if c[0] in journeys.JOURNEY_CHANNELS])
    language = serializers.CharField()
    subject = serializers.CharField(required=False, allow_blank=True, default="")
    body = serializers.CharField()
    cta_label = serializers.CharField(required=False, allow_blank=True, default="")
    cta_url = serializers.CharField(required=False, allow_blank=True, default="")


class StepSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=40, help_text="The step's name within this definition (next/else point at it).")
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=StepKind.choices)
    name = serializers.CharField(required=False, allow_blank=True, default="")
    config = serializers.DictField(required=False, default=dict, help_text=(
        'wait {"minutes": 1440, "at": "10:00"}; branch {"condition": "opened_last" | "clicked_last" | '
        '"has_consent" (+ "channel") | "in_segment" (+ "segment") | "cart_has_items" | "ordered_since_entry"}; '
        'send {"channel", "fallback_channel", "fallback_hours"}.'))
    next = serializers.CharField(required=False, allow_null=True, allow_blank=True, default=None,
                                 help_text="The key of the step after it (a branch's “yes”); empty: the end.")
    # "else" is a Python keyword: the field is declared below under its JSON name
    offer = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="An offer step's offer id.")
    messages = StepMessageSerializer(many=True, required=False, default=list, help_text="A send step's content.")
    counts = serializers.DictField(child=serializers.IntegerField(), read_only=True, help_text=(
        "Customers here now (at), who went through it (passed) and how (sent, yes, no, capped, fallback…)."))


StepSerializer._declared_fields["else"] = serializers.CharField(
    required=False, allow_null=True, allow_blank=True, default=None, help_text="A branch's “no” side: a step key.")


class JourneySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    trigger = serializers.ChoiceField(choices=JourneyTrigger.choices)
    trigger_config = serializers.DictField(required=False, default=dict, help_text=(
        'cart_abandoned {"hours"}, inactive {"days"}, birthday {"days_before"}, segment_entered {"segment"}, '
        'custom {"event"}.'))
    purpose = serializers.ChoiceField(choices=JourneyPurpose.choices, default=JourneyPurpose.MARKETING)
    goal = serializers.ChoiceField(choices=JourneyGoal.choices, default="", allow_blank=True)
    reentry = serializers.ChoiceField(choices=Reentry.choices, default=Reentry.AFTER_EXIT)
    reentry_days = serializers.IntegerField(default=30, min_value=1)
    cap_messages = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)
    cap_days = serializers.IntegerField(default=7, min_value=1)
    status = serializers.CharField(read_only=True)
    first = serializers.CharField(required=False, allow_blank=True, default="",
                                  help_text="The key of the first step (default: the first listed).")
    steps = StepSerializer(many=True, required=False, default=list)
    problems = serializers.ListField(child=serializers.DictField(), read_only=True,
                                     help_text="What keeps it from being activated, each naming its step id.")


class StatsSerializer(serializers.Serializer):
    enrolments = serializers.DictField(child=serializers.IntegerField())
    sent = serializers.IntegerField()
    opened = serializers.IntegerField()
    clicked = serializers.IntegerField()
    unsubscribed = serializers.IntegerField()
    skipped = serializers.IntegerField()
    converted = serializers.IntegerField()
    revenue = serializers.IntegerField(help_text="Yen.")
    steps = serializers.DictField(child=serializers.DictField(child=serializers.IntegerField()),
                                  help_text="Per step id: at, passed and outcomes.")


class EnrolmentSerializer(serializers.ModelSerializer):
    current_step = serializers.IntegerField(source="current_step_id", allow_null=True)

    class Meta:
        model = Enrolment
        fields = ["id", "customer", "status", "exit_reason", "current_step", "state", "due_at", "entered_at",
                  "finished_at", "context"]


def journey_data(journey: Journey) -> dict:
    """The journey as the API shows it: settings, steps by key (their ids), counts and problems."""
    steps = journeys.live_steps(journey)
    counts = journeys.step_counts(journey)
    messages: dict[int, list] = {}
    for message in CampaignMessage.objects.filter(campaign_id__in=[s.campaign_id for s in steps if s.campaign_id]):
        messages.setdefault(message.campaign_id, []).append(message)
    key = {s.pk: f"s{s.pk}" for s in steps}
    data = {name: getattr(journey, name) for name in (
        "id", "name", "description", "trigger", "trigger_config", "purpose", "goal", "reentry", "reentry_days",
        "cap_messages", "cap_days", "status")}
    data["first"] = key.get(journey.first_step_id, "")
    data["steps"] = [{
        "key": key[s.pk], "id": s.pk, "kind": s.kind, "name": s.name, "config": s.config,
        "next": key.get(s.next_step_id), "else": key.get(s.else_step_id), "offer": s.offer_id,
        "messages": [{"channel": m.channel, "language": m.language, "subject": m.subject, "body": m.body,
                      "cta_label": m.cta_label, "cta_url": m.cta_url} for m in messages.get(s.campaign_id, [])],
        "counts": counts.get(s.pk, {})} for s in steps]
    data["problems"] = ([p.as_dict() for p in journeys.journey_problems(journey)]
                        if journey.status != "active" else [])
    return data


DEFINE_EXAMPLE = OpenApiExample("Abandoned cart with an SMS fallback", request_only=True, value={
    "name": "カート放棄", "trigger": "cart_abandoned", "trigger_config": {"hours": 3}, "goal": "order_placed",
    "steps": [
        {"key": "check", "kind": "branch", "config": {"condition": "cart_has_items"}, "next": "mail", "else": "end"},
        {"key": "mail", "kind": "send", "config": {"channel": "email", "fallback_channel": "sms",
                                                   "fallback_hours": 24},
         "messages": [{"channel": "email", "language": "ja", "subject": "カートに商品が残っています",
                       "body": "{{ name_honorific }}\nカートの商品をご確認ください。"},
                      {"channel": "sms", "language": "ja", "body": "カートに商品が残っています。"}]},
        {"key": "end", "kind": "exit"}]})
LOOP_EXAMPLE = OpenApiExample("A loop", status_codes=["400"], response_only=True, value={
    "code": "campaign_invalid", "detail": "“mail”: the journey comes back to this step (a loop); a journey must end.",
    "errors": {"steps.1.next": ["“mail”: the journey comes back to this step (a loop); a journey must end."]}})
NOT_READY_EXAMPLE = OpenApiExample("Not ready", status_codes=["409"], response_only=True, value={
    "code": "journey_not_ready", "detail": "“お知らせ”: write the Email message (there is no content to send).",
    "problems": [{"step": 12, "field": "content",
                  "message": "“お知らせ”: write the Email message (there is no content to send)."}]})


class JourneyViewSet(viewsets.GenericViewSet):
    """Journeys: define (whole), read with the counts at each step, activate, pause, archive,
    enrol a customer, figures and enrolments."""

    queryset = Journey.objects.order_by("name", "pk")
    serializer_class = JourneySerializer
    pagination_class = Pagination
    permission_classes = [ActionPermission]
    filter_backends = []
    action_permissions = {
        "list": "campaigns.view_journey", "retrieve": "campaigns.view_journey", "stats": "campaigns.view_journey",
        "enrolments": "campaigns.view_journey",
        "create": "campaigns.add_journey", "update": "campaigns.change_journey",
        "activate": "campaigns.activate_journey", "pause": "campaigns.activate_journey",
        "archive": "campaigns.activate_journey", "enrol": "campaigns.change_journey",
    }

    @extend_schema(summary="List journeys", responses={200: JourneySerializer(many=True)})
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([{**{name: getattr(j, name) for name in (
            "id", "name", "description", "trigger", "trigger_config", "purpose", "goal", "reentry", "reentry_days",
            "cap_messages", "cap_days", "status")}, "first": "", "steps": [], "problems": []} for j in page])

    @extend_schema(summary="A journey with its steps, the counts at each and what keeps it from running",
                   responses={200: JourneySerializer, 404: ERROR_404})
    def retrieve(self, request, pk=None):
        return Response(journey_data(self.get_object()))

    def _definition(self, request) -> dict:
        incoming = JourneySerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        data["steps"] = [dict(step) for step in data.get("steps", [])]
        for raw, step in zip(request.data.get("steps") or [], data["steps"], strict=False):
            step["else"] = raw.get("else") if isinstance(raw, dict) else None
        return data

    @extend_schema(summary="Define a journey (a draft): its settings and its steps", request=JourneySerializer,
                   responses={201: JourneySerializer, 400: ERROR_400}, examples=[DEFINE_EXAMPLE, LOOP_EXAMPLE])
    def create(self, request):
        journey = journeys.journey_define(acting_user=request.user, definition=self._definition(request))
        return Response(journey_data(journey), status=status.HTTP_201_CREATED)

    @extend_schema(summary="Define a draft or paused journey again (before anyone has gone through it)",
                   request=JourneySerializer, responses={200: JourneySerializer, 400: ERROR_400, 409: ERROR_409})
    def update(self, request, pk=None):
        journey = journeys.journey_define(acting_user=request.user, definition=self._definition(request),
                                          journey=self.get_object())
        return Response(journey_data(journey))

    def _transition(self, request, service):
        journey = service(journey=self.get_object(), acting_user=request.user)
        return Response(journey_data(journey))

    @extend_schema(summary="Activate (or resume): refused with each problem and its step",
                   request=None, responses={200: JourneySerializer, 409: ERROR_409}, examples=[NOT_READY_EXAMPLE])
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        return self._transition(request, journeys.journey_activate)

    @extend_schema(summary="Pause: no one enters or moves on", request=None,
                   responses={200: JourneySerializer, 409: ERROR_409})
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        return self._transition(request, journeys.journey_pause)

    @extend_schema(summary="Archive: everyone in it leaves", request=None,
                   responses={200: JourneySerializer, 409: ERROR_409})
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        return self._transition(request, journeys.journey_archive)

    @extend_schema(summary="Put a customer into an active journey (re-entry rules apply)",
                   request=inline_serializer("JourneyEnrolIn", {
                       "customer": serializers.IntegerField(), "context": serializers.DictField(required=False)}),
                   responses={201: EnrolmentSerializer, 400: ERROR_400, 409: ERROR_409})
    @action(detail=True, methods=["post"])
    def enrol(self, request, pk=None):
        journey = self.get_object()
        customer_id = request.data.get("customer")
        if not isinstance(customer_id, int) or isinstance(customer_id, bool):
            return _invalid({"customer": ["A customer id."]})
        customer = Customer.objects.filter(pk=customer_id, erased_at__isnull=True).first()
        if customer is None:
            return _invalid({"customer": ["No such customer."]})
        context = request.data.get("context") or {}
        if not isinstance(context, dict):
            return _invalid({"context": ["An object."]})
        enrolment = journeys.journey_enrol(journey=journey, customer=customer, acting_user=request.user,
                                           context=context)
        return Response(EnrolmentSerializer(enrolment).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="The journey's figures: enrolments by status, messages, conversions, per step",
                   responses={200: StatsSerializer, 404: ERROR_404})
    @action(detail=True, methods=["get"])
    def stats(self, request, pk=None):
        journey = self.get_object()
        return Response({**journeys.journey_stats(journey),
                         "steps": {str(k): v for k, v in journeys.step_counts(journey).items() if k is not None}})

    @extend_schema(summary="Who is in the journey, and who was",
                   parameters=[OpenApiParameter("status", enum=EnrolmentStatus.values, required=False)],
                   responses={200: EnrolmentSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def enrolments(self, request, pk=None):
        journey = self.get_object()
        rows = Enrolment.objects.filter(journey=journey).order_by("-entered_at", "-pk")
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in EnrolmentStatus.values:
                return _invalid({"status": [f"One of {', '.join(EnrolmentStatus.values)}."]})
            rows = rows.filter(status=wanted)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(EnrolmentSerializer(page, many=True).data)


def _invalid(errors: dict) -> Response:
    from kernel.api import invalid_response

    return invalid_response(errors)


class CustomEventSerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    name = serializers.CharField(max_length=60)
    data = serializers.DictField(required=False, default=dict)

    def validate_customer(self, value: int) -> Customer:
        customer = Customer.objects.filter(pk=value, erased_at__isnull=True).first()
        if customer is None:
            raise serializers.ValidationError("No such customer.")
        return customer


class CustomEventView(APIView):
    """Tell the journeys a customer did something they start on (a custom-event trigger)."""

    permission_classes = [ActionPermission]
    action_permissions = {"post": "campaigns.change_journey"}

    @extend_schema(summary="A customer's custom event (journeys with that event as their trigger start)",
                   request=CustomEventSerializer,
                   responses={202: inline_serializer("JourneyEventOut", {"id": serializers.IntegerField()}),
                              400: ERROR_400})
    def post(self, request):
        incoming = CustomEventSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        event = journeys.journey_event_record(customer=data["customer"], name=data["name"], data=data.get("data"),
                                              acting_user=request.user)
        return Response({"id": event.pk}, status=status.HTTP_202_ACCEPTED)


def register_routes(router) -> None:
    router.register("journeys", JourneyViewSet, basename="journey")

