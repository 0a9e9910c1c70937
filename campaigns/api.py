"""REST endpoints for campaigns (marketers and administrators): the same services as the console
(campaigns.services, campaigns.sending)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.models import Segment
from kernel.api import ERROR_400, ERROR_403, ERROR_404, ERROR_409, ActionPermission, Pagination

from . import personalisation, selectors, services
from .api_abtest import ABTestActions
from .models import Campaign, CampaignMessage, MessageChannel, SendingPolicy
from .rendering import MERGE_FIELDS
from .sending import campaign_progress, campaign_test_send, render_message, sample_offer_code


class CampaignMessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = CampaignMessage
        fields = ["id", "channel", "language", "subject", "preheader", "body", "cta_label", "cta_url",
                  "include_recommendations", "updated_at"]
        read_only_fields = ["id", "updated_at"]
        extra_kwargs = {"body": {"help_text": "Django template text with merge fields: GET /campaigns/merge-fields/."}}
        validators = []  # the service says what is wrong, with the template's line


class CampaignSerializer(serializers.ModelSerializer):
    segments = serializers.PrimaryKeyRelatedField(queryset=Segment.objects.all(), many=True, required=False)
    excluded_segments = serializers.PrimaryKeyRelatedField(queryset=Segment.objects.all(), many=True,
                                                           required=False)
    messages = CampaignMessageSerializer(many=True, read_only=True)
    created_by = serializers.StringRelatedField()
    approved_by = serializers.StringRelatedField()

    class Meta:
        model = Campaign
        fields = ["id", "name", "objective", "status", "code", "segments", "excluded_segments", "send_at", "ends_at",
                  "quiet_start", "quiet_end", "utm_campaign", "lint_override_reason", "created_by", "submitted_at",
                  "approved_by", "approved_at", "started_at", "finished_at", "cancelled_at", "recipients_total",
                  "messages", "created_at", "updated_at"]
        read_only_fields = ["id", "status", "code", "lint_override_reason", "created_by", "submitted_at",
                            "approved_by", "approved_at", "started_at", "finished_at", "cancelled_at",
                            "recipients_total", "created_at", "updated_at"]


class FiguresSerializer(serializers.Serializer):
    recipients = serializers.IntegerField()
    sent = serializers.IntegerField()
    skipped = serializers.IntegerField()
    failed = serializers.IntegerField()
    delivered = serializers.IntegerField()
    bounced = serializers.IntegerField()
    opened = serializers.IntegerField(help_text="People who opened (machine opens are not counted).")
    clicked = serializers.IntegerField()
    converted = serializers.IntegerField()
    revenue = serializers.IntegerField(help_text="Yen, tax included.")
    unsubscribed = serializers.IntegerField()
    open_rate = serializers.FloatField(allow_null=True)
    click_rate = serializers.FloatField(allow_null=True)
    conversion_rate = serializers.FloatField(allow_null=True)


class TimelinePointSerializer(serializers.Serializer):
    at = serializers.DateTimeField(help_text="The start of the hour or day.")
    sent = serializers.IntegerField()
    opened = serializers.IntegerField()
    clicked = serializers.IntegerField()
    converted = serializers.IntegerField()


class ResultsSerializer(serializers.Serializer):
    total = FiguresSerializer()
    channels = serializers.DictField(child=FiguresSerializer())
    skipped_by_reason = serializers.DictField(child=serializers.IntegerField())
    scans = serializers.IntegerField()
    bucket = serializers.ChoiceField(choices=["hour", "day"])
    timeline = TimelinePointSerializer(many=True)


class ProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    pending = serializers.IntegerField()
    sent = serializers.IntegerField()
    skipped = serializers.IntegerField()
    failed = serializers.IntegerField()
    held = serializers.IntegerField(help_text="Pending, held back by quiet hours or a retry's backoff.")
    percent = serializers.IntegerField()
    skipped_by_reason = serializers.DictField(child=serializers.IntegerField())


OVERRIDE = inline_serializer("LintOverride", {"reason": serializers.CharField(allow_blank=True)})
NOT_READY_EXAMPLE = OpenApiExample("Not ready", response_only=True, status_codes=["409"], value={
    "code": "campaign_not_ready", "detail": "Choose the audience: at least one segment.",
    "problems": ["Choose the audience: at least one segment."]})
BAD_TEMPLATE_EXAMPLE = OpenApiExample("Unknown merge field", response_only=True, status_codes=["400"], value={
    "code": "campaign_invalid", "detail": "Line 2: “nickname” is not a merge field.",
    "errors": {"body": ["Line 2: “nickname” is not a merge field."]}})


class CampaignViewSet(ABTestActions, viewsets.ModelViewSet):
    """Campaigns: write, get approved by a second marketer, start, follow, cancel."""

    serializer_class = CampaignSerializer
    pagination_class = Pagination
    permission_classes = [ActionPermission]
    filter_backends = []
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]  # put: the A/B test
    action_permissions = {
        "list": "campaigns.view_campaign", "retrieve": "campaigns.view_campaign",
        "progress": "campaigns.view_campaign", "preview": "campaigns.view_campaign",
        "results": "campaigns.view_campaign",
        "create": "campaigns.add_campaign", "partial_update": "campaigns.change_campaign",
        "messages": "campaigns.change_campaign", "message_delete": "campaigns.change_campaign",
        "submit": "campaigns.change_campaign", "lint_override": "campaigns.change_campaign",
        "test_send": "campaigns.change_campaign",
        "approve": "campaigns.approve_campaign", "reject": "campaigns.approve_campaign",
        "start": "campaigns.send_campaign", "cancel": "campaigns.send_campaign",
        **ABTestActions.AB_PERMISSIONS,
    }

    def get_queryset(self):
        return Campaign.objects.select_related("created_by", "approved_by").prefetch_related(
            "messages", "segments", "excluded_segments")

    def _fields(self, data) -> dict:
        return {name: data[name] for name in services.CAMPAIGN_FIELDS if name in data and name != "name"}

    @extend_schema(summary="Write a campaign (a draft)", responses={201: CampaignSerializer, 400: ERROR_400})
    def create(self, request):
        incoming = CampaignSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        campaign = services.campaign_create(name=data["name"], acting_user=request.user,
                                            segments=data.get("segments"),
                                            excluded_segments=data.get("excluded_segments"), **self._fields(data))
        return Response(CampaignSerializer(self.get_queryset().get(pk=campaign.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(summary="Edit a draft", responses={200: CampaignSerializer, 400: ERROR_400, 409: ERROR_409})
    def partial_update(self, request, pk=None):
        campaign = self.get_object()
        incoming = CampaignSerializer(campaign, data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        fields = self._fields(data)
        if "name" in data:
            fields["name"] = data["name"]
        services.campaign_update(campaign=campaign, acting_user=request.user, segments=data.get("segments"),
                                 excluded_segments=data.get("excluded_segments"), **fields)
        return Response(CampaignSerializer(self.get_queryset().get(pk=campaign.pk)).data)

    def destroy(self, request, pk=None):
        return Response(status=status.HTTP_405_METHOD_NOT_ALLOWED)

    @extend_schema(exclude=True)
    def update(self, request, pk=None):  # PUT is for the A/B test (api_abtest); a campaign is PATCHed
        return Response(status=status.HTTP_405_METHOD_NOT_ALLOWED)

    @extend_schema(summary="Write the message of one channel and language", request=CampaignMessageSerializer,
                   responses={200: CampaignMessageSerializer, 400: ERROR_400, 409: ERROR_409},
                   examples=[OpenApiExample("Email", request_only=True, value={
                       "channel": "email", "language": "ja", "subject": "{{ name_honorific }}、秋の新作のご案内",
                       "body": "いつもありがとうございます。\n{% if favourite_store %}{{ favourite_store }}でも"
                               "お試しいただけます。{% endif %}", "cta_label": "新作を見る", "cta_url": "/products/"}),
                       BAD_TEMPLATE_EXAMPLE])
    @action(detail=True, methods=["post"])
    def messages(self, request, pk=None):
        campaign = self.get_object()
        incoming = CampaignMessageSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        message = services.message_set(campaign=campaign, acting_user=request.user, **incoming.validated_data)
        return Response(CampaignMessageSerializer(message).data)

    @extend_schema(summary="Remove the message of one channel and language", request=None,
                   responses={204: None, 404: ERROR_404, 409: ERROR_409})
    @action(detail=True, methods=["delete"], url_path=r"messages/(?P<channel>[a-z]+)/(?P<language>[a-z-]+)")
    def message_delete(self, request, pk=None, channel=None, language=None):
        campaign = self.get_object()
        message = get_object_or_404(CampaignMessage, campaign=campaign, channel=channel, language=language)
        services.message_delete(message=message, acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _transition(self, request, service):
        campaign = service(campaign=self.get_object(), acting_user=request.user)
        return Response(CampaignSerializer(self.get_queryset().get(pk=campaign.pk)).data)

    @extend_schema(summary="Submit for approval", request=None,
                   responses={200: CampaignSerializer, 409: ERROR_409}, examples=[NOT_READY_EXAMPLE])
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._transition(request, services.campaign_submit)

    @extend_schema(summary="Approve (a marketer other than the author)", request=None,
                   responses={200: CampaignSerializer, 409: ERROR_409})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._transition(request, services.campaign_approve)

    @extend_schema(summary="Send back to the author", request=None, responses={200: CampaignSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._transition(request, services.campaign_reject)

    @extend_schema(summary="Start sending (or schedule, with send_at in the future)", request=None,
                   responses={200: CampaignSerializer, 409: ERROR_409})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._transition(request, services.campaign_start)

    @extend_schema(summary="Cancel before it finishes", request=None, responses={200: CampaignSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._transition(request, services.campaign_cancel)

    @extend_schema(summary="Send despite the brand check, for a recorded reason (empty: withdraw)",
                   request=OVERRIDE, responses={200: CampaignSerializer, 409: ERROR_409})
    @action(detail=True, methods=["post"], url_path="lint-override")
    def lint_override(self, request, pk=None):
        reason = request.data.get("reason", "")
        if not isinstance(reason, str):
            return Response({"code": "invalid", "detail": "reason must be text.",
                             "errors": {"reason": ["Enter text."]}}, status=status.HTTP_400_BAD_REQUEST)
        campaign = services.campaign_lint_override(campaign=self.get_object(), reason=reason,
                                                   acting_user=request.user)
        return Response(CampaignSerializer(self.get_queryset().get(pk=campaign.pk)).data)

    @extend_schema(summary="Sending progress: every recipient accounted for", responses={200: ProgressSerializer})
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        campaign = self.get_object()
        counts = campaign_progress(campaign)
        counts["skipped_by_reason"] = {reason: n for reason, _label, n in selectors.skipped_by_reason(campaign)}
        return Response(ProgressSerializer(counts).data)

    @extend_schema(summary="Results: sent, delivered, opened, clicked, converted, revenue, unsubscribed, and over time",
                   parameters=[OpenApiParameter("bucket", str, enum=["hour", "day"],
                                                description="Default: hours for a campaign of up to 3 days.")],
                   responses={200: ResultsSerializer})
    @action(detail=True, methods=["get"])
    def results(self, request, pk=None):
        from .results import campaign_results, campaign_timeline, timeline_bucket

        campaign = self.get_object()
        found = campaign_results(campaign)
        bucket = request.query_params.get("bucket") or timeline_bucket(campaign)
        if bucket not in ("hour", "day"):
            return Response({"code": "invalid", "detail": "bucket is hour or day.",
                             "errors": {"bucket": ["Choose hour or day."]}}, status=status.HTTP_400_BAD_REQUEST)
        return Response(ResultsSerializer({
            "total": found.total, "channels": found.channels,
            "skipped_by_reason": {reason: n for reason, _label, n in found.skipped_by_reason},
            "scans": found.scans, "bucket": bucket, "timeline": campaign_timeline(campaign, bucket=bucket),
        }).data)

    @extend_schema(
        summary="A message rendered for one customer of the audience",
        parameters=[OpenApiParameter("channel", str, required=True), OpenApiParameter("language", str),
                    OpenApiParameter("customer", int, description="Default: the first customer of the audience.")],
        responses={200: inline_serializer("Preview", {"subject": serializers.CharField(),
                                                      "text": serializers.CharField(),
                                                      "html": serializers.CharField()}), 404: ERROR_404})
    @action(detail=True, methods=["get"])
    def preview(self, request, pk=None):
        campaign = self.get_object()
        message = get_object_or_404(CampaignMessage, campaign=campaign, channel=request.query_params.get("channel"),
                                    language=request.query_params.get("language") or
                                    campaign.messages.values_list("language", flat=True).first())
        customer = selectors.preview_customer(campaign, request.query_params.get("customer"))
        if customer is None:
            return Response({"code": "not_found", "detail": "No customer to preview this message for."},
                            status=status.HTTP_404_NOT_FOUND)
        contexts = personalisation.merge_contexts(customer_ids=[customer.pk],
                                                  recommendations=message.include_recommendations)
        rendered = render_message(campaign, message, contexts[customer.pk], unsubscribe_url="#unsubscribe-preview",
                              offer_code=sample_offer_code(message.campaign))
        return Response({"subject": rendered.subject, "text": rendered.text, "html": rendered.html})

    @extend_schema(summary="Send an email message as a test to the signed-in staff member",
                   request=inline_serializer("TestSend", {"language": serializers.CharField(required=False),
                                                          "customer": serializers.IntegerField(required=False)}),
                   responses={200: inline_serializer("TestSent", {"message_id": serializers.CharField()}),
                              409: ERROR_409})
    @action(detail=True, methods=["post"], url_path="test-send")
    def test_send(self, request, pk=None):
        campaign = self.get_object()
        language = request.data.get("language") or campaign.messages.filter(
            channel=MessageChannel.EMAIL).values_list("language", flat=True).first()
        message = get_object_or_404(CampaignMessage, campaign=campaign, channel=MessageChannel.EMAIL,
                                    language=language)
        customer = selectors.preview_customer(campaign, request.data.get("customer"))
        if customer is None:
            return Response({"code": "not_found", "detail": "No customer to preview this message for."},
                            status=status.HTTP_404_NOT_FOUND)
        message_id = campaign_test_send(campaign=campaign, message=message, customer=customer,
                                        to=request.user.email, acting_user=request.user)
        return Response({"message_id": message_id})


class MergeFieldsView(APIView):
    permission_classes = [ActionPermission]
    action_permissions = {"get": "campaigns.view_campaign"}

    @extend_schema(summary="The merge fields a message may use",
                   responses={200: inline_serializer("MergeFields", {"fields": serializers.DictField(
                       child=serializers.CharField())})})
    def get(self, request):
        return Response({"fields": {name: str(label) for name, label in MERGE_FIELDS.items()}})


class SendingPolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = SendingPolicy
        fields = ["frequency_cap", "frequency_days", "sender_name", "sender_address", "contact", "updated_at"]
        read_only_fields = ["updated_at"]


class SendingPolicyView(APIView):
    permission_classes = [ActionPermission]
    action_permissions = {"get": "campaigns.view_sendingpolicy", "patch": "campaigns.change_sendingpolicy"}

    @extend_schema(summary="The sending policy", responses={200: SendingPolicySerializer})
    def get(self, request):
        return Response(SendingPolicySerializer(services.sending_policy()).data)

    @extend_schema(summary="Change the sending policy", request=SendingPolicySerializer,
                   responses={200: SendingPolicySerializer, 400: ERROR_400, 403: ERROR_403})
    def patch(self, request):
        incoming = SendingPolicySerializer(services.sending_policy(), data=request.data, partial=True)
        incoming.is_valid(raise_exception=True)
        policy = services.sending_policy_update(acting_user=request.user, **incoming.validated_data)
        return Response(SendingPolicySerializer(policy).data)

