"""A campaign's A/B test in the API: define its variants (``PUT``), read its results per variant
with the verdict in words, send the winner to the rest. The same services as the console
(campaigns.abtests); mixed into ``CampaignViewSet``."""

from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from kernel.api import ERROR_400, ERROR_404, ERROR_409

from . import abtests
from .models_abtest import VARIANT_LABELS, ABMetric, ABTest, VariantChannel


class ABVariantSerializer(serializers.Serializer):
    label = serializers.ChoiceField(choices=VARIANT_LABELS)
    copy = serializers.DictField(
        child=serializers.DictField(child=serializers.CharField(allow_blank=True)), required=False, default=dict,
        help_text='The copy that replaces the messages\', by "channel/language": '
                  '{"email/ja": {"subject": "…", "body": "…"}}. Left out: the message as written. A channel '
                  'variant\'s text goes under its channel: {"sms/ja": {"body": "…"}}.')
    offer = serializers.IntegerField(
        required=False, allow_null=True, default=None,
        help_text="The id of another of the campaign's offers (current, with codes): this variant's recipients get "
                  "its code in {{ offer_code }}. Null: the campaign's own offer.")
    channel = serializers.ChoiceField(
        choices=VariantChannel.choices, required=False, allow_blank=True, default="",
        help_text="Goes by this channel instead of the campaign's one sent channel (the split decides each "
                  "customer's channel; those without an opt-in to it are skipped and counted). Empty: the campaign's.")


class ABTestSerializer(serializers.Serializer):
    test_share = serializers.IntegerField(default=20, help_text="Percent of the audience in the test (1–100).")
    metric = serializers.ChoiceField(choices=ABMetric.choices, default=ABMetric.CLICK_RATE)
    decide_after_hours = serializers.IntegerField(allow_null=True, required=False, default=None,
                                                  help_text="Empty: a marketer sends the winner.")
    variants = ABVariantSerializer(many=True)
    status = serializers.CharField(read_only=True)
    winner = serializers.CharField(read_only=True, source="winner.label", default=None)
    p_value = serializers.FloatField(read_only=True, allow_null=True)
    test_started_at = serializers.DateTimeField(read_only=True, allow_null=True)
    decided_at = serializers.DateTimeField(read_only=True, allow_null=True)


class VariantFiguresSerializer(serializers.Serializer):
    label = serializers.CharField()
    channel = serializers.CharField(allow_blank=True, help_text="The channel a channel variant goes by ('' the "
                                                                "campaign's).")
    offer = serializers.CharField(allow_blank=True, help_text="The offer a variant grants instead of the "
                                                              "campaign's ('' the campaign's).")
    recipients = serializers.IntegerField()
    sent = serializers.IntegerField()
    skipped = serializers.IntegerField(help_text="Not sent (no opt-in, no address, …): outside the rates.")
    no_consent = serializers.IntegerField(help_text="Skipped for want of an opt-in to the variant's channel.")
    delivered = serializers.IntegerField()
    opened = serializers.IntegerField()
    clicked = serializers.IntegerField()
    converted = serializers.IntegerField()
    revenue = serializers.IntegerField(help_text="Yen.")
    open_rate = serializers.FloatField(allow_null=True)
    click_rate = serializers.FloatField(allow_null=True)
    conversion_rate = serializers.FloatField(allow_null=True)
    revenue_per_recipient = serializers.FloatField(allow_null=True)
    is_winner = serializers.BooleanField()


class ABResultsSerializer(serializers.Serializer):
    metric = serializers.CharField()
    status = serializers.CharField()
    variants = VariantFiguresSerializer(many=True)
    rest = VariantFiguresSerializer(help_text="The audience outside the test (the winner's, once sent).")
    leader = serializers.CharField(allow_blank=True)
    runner_up = serializers.CharField(allow_blank=True)
    p_value = serializers.FloatField(allow_null=True, help_text="The chance the leader's lead is luck "
                                                                "(two-proportion z-test; Welch's t for revenue).")
    significant = serializers.BooleanField(help_text="p < 0.05.")
    sentence = serializers.CharField(help_text="The result in plain words, in the request's language.")
    sentences = serializers.DictField(child=serializers.CharField(), help_text="The same in each language.")


ONE_VARIANT_EXAMPLE = OpenApiExample("One variant", status_codes=["400"], response_only=True, value={
    "code": "campaign_invalid", "detail": "Variants: an A/B test needs at least two variants to compare; it has 1 "
    "(A). Add a variant or remove the test.", "errors": {"variants": [
        "Variants: an A/B test needs at least two variants to compare; it has 1 (A). Add a variant or remove the test."]}})


def _test_data(ab: ABTest) -> dict:
    return ABTestSerializer({**{name: getattr(ab, name) for name in (
        "test_share", "metric", "decide_after_hours", "status", "p_value", "test_started_at", "decided_at")},
        "winner": ab.winner, "variants": [{"label": v.label, "copy": v.copy, "offer": v.offer_id, "channel": v.channel}
                                          for v in ab.variants.all()]}).data


class ABTestActions:
    """The A/B endpoints of ``CampaignViewSet`` (``/campaigns/{id}/ab-test/…``)."""

    AB_PERMISSIONS = {"ab_test": "campaigns.view_campaign", "ab_results": "campaigns.view_campaign",
                      "ab_winner": "campaigns.send_campaign"}
    AB_WRITE_PERMISSION = "campaigns.change_campaign"

    @extend_schema(methods=["GET"], summary="The campaign's A/B test", responses={200: ABTestSerializer,
                                                                                   404: ERROR_404})
    @extend_schema(methods=["PUT"], summary="Define the A/B test of a draft: 2–4 variants, the share, the metric",
                   request=ABTestSerializer, responses={200: ABTestSerializer, 400: ERROR_400, 409: ERROR_409},
                   examples=[OpenApiExample("Two subjects", request_only=True, value={
                       "test_share": 20, "metric": "click_rate", "decide_after_hours": 24, "variants": [
                           {"label": "A", "copy": {}},
                           {"label": "B", "copy": {"email/ja": {"subject": "【本日限定】秋の新作 10% オフ"}}}]}),
                       OpenApiExample("Email against SMS, with another offer", request_only=True, value={
                           "test_share": 20, "metric": "conversion_rate", "variants": [
                               {"label": "A", "copy": {}},
                               {"label": "B", "channel": "sms", "offer": 12,
                                "copy": {"sms/ja": {"body": "{{ name }}様 秋の新作 20%オフ コード {{ offer_code }}"}}}]}),
                       ONE_VARIANT_EXAMPLE])
    @extend_schema(methods=["DELETE"], summary="Remove the A/B test of a draft", request=None,
                   responses={204: None, 409: ERROR_409})
    @action(detail=True, methods=["get", "put", "delete"], url_path="ab-test")
    def ab_test(self, request, pk=None):
        campaign = self.get_object()
        if request.method != "GET" and not request.user.has_perm(self.AB_WRITE_PERMISSION):
            self.permission_denied(request)
        if request.method == "DELETE":
            abtests.abtest_remove(campaign=campaign, acting_user=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        if request.method == "PUT":
            incoming = ABTestSerializer(data=request.data)
            incoming.is_valid(raise_exception=True)
            data = incoming.validated_data
            abtests.abtest_save(campaign=campaign, acting_user=request.user, test_share=data["test_share"],
                                metric=data["metric"], decide_after_hours=data.get("decide_after_hours"),
                                variants=[abtests.VariantIn(label=v["label"], copy=v.get("copy") or {},
                                                            offer_id=v.get("offer"), channel=v.get("channel") or "")
                                          for v in data["variants"]])
        ab = ABTest.objects.filter(campaign=campaign).select_related("winner").first()
        if ab is None:
            return Response({"code": "not_found", "detail": "This campaign has no A/B test."},
                            status=status.HTTP_404_NOT_FOUND)
        return Response(_test_data(ab))

    @extend_schema(summary="A/B results: each variant's figures side by side, the verdict and its sentence",
                   responses={200: ABResultsSerializer, 404: ERROR_404})
    @action(detail=True, methods=["get"], url_path="ab-test/results")
    def ab_results(self, request, pk=None):
        from django.conf import settings

        found = abtests.abtest_results(self.get_object())
        if found is None:
            return Response({"code": "not_found", "detail": "This campaign has no A/B test."},
                            status=status.HTTP_404_NOT_FOUND)
        verdict = found.verdict

        def figures(f):
            return {**{name: getattr(f, name) for name in (
                "label", "channel", "offer", "recipients", "sent", "skipped", "no_consent", "delivered", "opened", "clicked", "converted", "revenue", "open_rate",
                "click_rate", "conversion_rate", "revenue_per_recipient", "is_winner")}, "label": str(f.label)}

        return Response(ABResultsSerializer({
            "metric": found.ab_test.metric, "status": found.ab_test.status,
            "variants": [figures(f) for f in found.variants], "rest": figures(found.rest),
            "leader": verdict.leader, "runner_up": verdict.runner_up, "p_value": verdict.p_value,
            "significant": verdict.significant, "sentence": found.sentence,
            "sentences": {code: found.sentence_in(code) for code, _name in settings.LANGUAGES},
        }).data)

    @extend_schema(summary="Send the winner to the rest of the audience (the leader, or the variant named)",
                   request=inline_serializer("ABWinner", {"label": serializers.ChoiceField(
                       choices=VARIANT_LABELS, required=False)}),
                   responses={200: ABTestSerializer, 400: ERROR_400, 409: ERROR_409})
    @action(detail=True, methods=["post"], url_path="ab-test/winner")
    def ab_winner(self, request, pk=None):
        campaign = self.get_object()
        label = request.data.get("label", "") or ""
        if not isinstance(label, str):
            return Response({"code": "invalid", "detail": "label must be text.", "errors": {"label": ["Enter A–D."]}},
                            status=status.HTTP_400_BAD_REQUEST)
        ab = abtests.abtest_send_winner(campaign=campaign, acting_user=request.user, label=label)
        return Response(_test_data(ABTest.objects.select_related("winner").get(pk=ab.pk)))
