"""The API of duplicate review and merge (staff with ``customers.merge_customer``): the queue of
possible duplicates, dismissing a pair, starting the search, and merging two customers. The same
services as the console (``customers.merge``)."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel.api import ERROR_400, ERROR_403, ERROR_404, ERROR_409, ActionPermission, Pagination

from . import merge
from .models import CustomerMerge, DuplicateCandidate, DuplicateReason, DuplicateScan

PERMISSION = "customers.merge_customer"


class DuplicateCustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()
    full_name_kana = serializers.CharField()
    email = serializers.EmailField(allow_null=True)
    phone = serializers.CharField()
    postal_code = serializers.CharField()


class DuplicateCandidateSerializer(serializers.ModelSerializer):
    customers = serializers.SerializerMethodField()
    reasons = serializers.ListField(child=serializers.ChoiceField(choices=DuplicateReason.choices),
                                    help_text=_("Which keys the two records share."))

    class Meta:
        model = DuplicateCandidate
        fields = ["id", "customers", "reasons", "score", "status", "found_at", "reviewed_at"]

    @extend_schema_field(DuplicateCustomerSerializer(many=True))
    def get_customers(self, candidate: DuplicateCandidate) -> list[dict]:
        return [DuplicateCustomerSerializer(c).data for c in (candidate.customer_low, candidate.customer_high) if c]


class MergeInSerializer(serializers.Serializer):
    merged = serializers.IntegerField(min_value=1, help_text=_("The id of the customer merged into this one "
                                                               "(it is deleted)."))
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class CustomerMergeSerializer(serializers.ModelSerializer):
    survivor = serializers.IntegerField(source="survivor_pk")
    merged = serializers.IntegerField(source="merged_pk")
    acting_user = serializers.StringRelatedField()

    class Meta:
        model = CustomerMerge
        fields = ["id", "survivor", "merged", "merged_name", "merged_snapshot", "moved", "filled", "consents",
                  "reason", "acting_user", "created_at"]


class DuplicateScanSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    running = serializers.BooleanField(read_only=True)

    class Meta:
        model = DuplicateScan
        fields = ["id", "started_at", "finished_at", "running", "percent", "pairs_found", "pairs_new", "error"]


MERGE_EXAMPLE = OpenApiExample("Merge a store-only record into an online account",
                               value={"merged": 4172, "reason": "Same person: confirmed at the Umeda counter"},
                               request_only=True)


class CustomerMergeView(APIView):
    permission_classes = [ActionPermission]
    action_permissions = {"post": PERMISSION, "get": PERMISSION}

    @extend_schema(
        tags=["customers"], summary="Merge another customer into this one",
        description="Moves the merged customer's orders, timeline, consent ledger, identities, cart and account "
                    "to this customer in one transaction, fills this customer's empty profile fields (never "
                    "overwriting) and deletes the merged record. Consent after the merge is, per channel and "
                    "purpose, the most recent decision of either record; no consent is created. Refused: the "
                    "same id twice (400 merge_same_customer), an unknown id (404 customer_not_found), a customer "
                    "merged before (409 customer_already_merged, with `merged_into`).",
        request=MergeInSerializer, examples=[MERGE_EXAMPLE],
        responses={201: CustomerMergeSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404, 409: ERROR_409},
    )
    def post(self, request, pk: int):
        incoming = MergeInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        survivor = merge.customer_for_merge(pk, field="id")
        merged = merge.customer_for_merge(incoming.validated_data["merged"], field="merged") \
            if incoming.validated_data["merged"] != survivor.pk else survivor
        record = merge.customer_merge(survivor=survivor, merged=merged, acting_user=request.user,
                                      reason=incoming.validated_data["reason"])
        return Response(CustomerMergeSerializer(record).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=["customers"], summary="The merges that made this customer (\"merged from\")",
                   responses={200: CustomerMergeSerializer(many=True), 403: ERROR_403, 404: ERROR_404})
    def get(self, request, pk: int):
        customer = merge.customer_for_merge(pk, field="id")
        return Response(CustomerMergeSerializer(merge.customer_merges(customer=customer), many=True).data)


class DuplicateListView(ListAPIView):
    """Open possible duplicates, surest first."""

    permission_classes = [ActionPermission]
    action_permissions = {"get": PERMISSION}
    serializer_class = DuplicateCandidateSerializer
    pagination_class = Pagination
    filter_backends = []

    def get_queryset(self):
        return merge.duplicates_open()

    @extend_schema(tags=["customers"], summary="The review queue of possible duplicates",
                   responses={200: DuplicateCandidateSerializer(many=True), 403: ERROR_403})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DuplicateDismissView(APIView):
    permission_classes = [ActionPermission]
    action_permissions = {"post": PERMISSION}

    @extend_schema(tags=["customers"], summary="Two different people: the pair is never proposed again",
                   request=None,
                   responses={200: DuplicateCandidateSerializer, 403: ERROR_403, 404: ERROR_404, 409: ERROR_409})
    def post(self, request, pk: int):
        candidate = get_object_or_404(DuplicateCandidate.objects.select_related("customer_low", "customer_high"),
                                      pk=pk)
        candidate = merge.duplicate_dismiss(candidate=candidate, acting_user=request.user)
        return Response(DuplicateCandidateSerializer(candidate).data)


class DuplicateScanView(APIView):
    permission_classes = [ActionPermission]
    action_permissions = {"post": PERMISSION, "get": PERMISSION}

    @extend_schema(tags=["customers"], summary="Search for duplicates now (a background job; also nightly)",
                   request=None, responses={202: DuplicateScanSerializer, 403: ERROR_403})
    def post(self, request):
        scan = merge.duplicates_scan_request(acting_user=request.user)
        return Response(DuplicateScanSerializer(scan).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(tags=["customers"], summary="The latest duplicate search and its progress",
                   responses={200: DuplicateScanSerializer, 403: ERROR_403,
                              404: OpenApiResponse(description="No search has run yet.")})
    def get(self, request):
        scan = merge.scan_latest()
        if scan is None:
            return Response({"code": "not_found", "detail": str(_("No search has run yet."))},
                            status=status.HTTP_404_NOT_FOUND)
        return Response(DuplicateScanSerializer(scan).data)

