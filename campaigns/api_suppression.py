"""REST endpoints of the suppression list (``/api/v1/suppressions/``): the same services as the
console page (``campaigns.suppression``). The lead mounts them with
``api_routes = "campaigns.api_suppression.register_routes"`` (or calls it from the app's own)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiTypes,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from kernel.api import ERROR_400, ERROR_403, ERROR_404, ActionPermission, Pagination

from . import suppression
from .models import SENT_CHANNELS, Suppression, SuppressionReason


class SuppressionSerializer(serializers.ModelSerializer):
    channel = serializers.ChoiceField(choices=[(c.value, c.label) for c in SENT_CHANNELS])
    address = serializers.CharField(max_length=254, help_text=_(
        "An email address, a Japanese mobile number (stored as +81…) or a LINE user id."))
    reason = serializers.ChoiceField(choices=SuppressionReason.choices, default=SuppressionReason.MANUAL)
    detail = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    class Meta:
        model = Suppression
        fields = ["id", "channel", "address", "reason", "detail", "created_at", "created_by"]
        read_only_fields = ["id", "created_at", "created_by"]
        validators = []  # the service keeps one row per address


SEARCH_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="A part of the address or note (a mobile number "
                                                        "in any writing matches)."),
    OpenApiParameter("channel", OpenApiTypes.STR, enum=[c.value for c in SENT_CHANNELS]),
    OpenApiParameter("reason", OpenApiTypes.STR, enum=SuppressionReason.values),
]


@extend_schema(tags=["campaigns"])
@extend_schema_view(
    list=extend_schema(summary="Suppressed addresses", parameters=SEARCH_PARAMETERS,
                       responses={200: SuppressionSerializer(many=True), 403: ERROR_403}),
    retrieve=extend_schema(summary="One suppressed address",
                           responses={200: SuppressionSerializer, 403: ERROR_403, 404: ERROR_404}),
)
class SuppressionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Addresses no marketing message goes to: bounces and complaints from the providers'
    receipts, and addresses added by staff."""

    serializer_class = SuppressionSerializer
    pagination_class = Pagination
    filter_backends = []
    permission_classes = [ActionPermission]
    action_permissions = {
        "list": "campaigns.view_suppression", "retrieve": "campaigns.view_suppression",
        "create": "campaigns.add_suppression", "destroy": "campaigns.delete_suppression",
    }

    def get_queryset(self):
        if self.action != "list":
            return Suppression.objects.all()
        params = self.request.query_params
        return suppression.suppressions_search(query=params.get("q", ""), channel=params.get("channel", ""),
                                               reason=params.get("reason", ""))

    @extend_schema(
        summary="Suppress an address",
        description="Idempotent: an address already suppressed answers 200 with the existing row (its "
                    "first reason kept); a new one 201. A malformed address answers 400 naming the field.",
        request=SuppressionSerializer,
        responses={200: SuppressionSerializer, 201: SuppressionSerializer, 400: ERROR_400, 403: ERROR_403},
        examples=[
            OpenApiExample("Mobile number", request_only=True,
                           value={"channel": "sms", "address": "090-1234-5678", "reason": "manual",
                                  "detail": "電話で配信停止の依頼"}),
            OpenApiExample("Not a mobile number", response_only=True, status_codes=["400"], value={
                "code": "invalid", "detail": "The request has invalid fields.",
                "errors": {"address": ["Enter a Japanese mobile number (070, 080 or 090)."]}}),
        ],
    )
    def create(self, request):
        incoming = SuppressionSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        row, created = suppression.suppression_add(acting_user=request.user, **incoming.validated_data)
        return Response(SuppressionSerializer(row).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(summary="Take an address off the list", responses={204: None, 403: ERROR_403, 404: ERROR_404})
    def destroy(self, request, pk=None):
        suppression.suppression_remove(suppression=self.get_object(), acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def register_routes(router) -> None:
    router.register("suppressions", SuppressionViewSet, basename="suppression")
