"""REST endpoints of the customers domain: staff look customers up, read their timeline and
record consent and touchpoints; a customer's own account manages its consent at /me/consent/."""

import django_filters
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiTypes,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from kernel import roles
from kernel.api import (
    ERROR_400,
    ERROR_403,
    ERROR_404,
    ERROR_409,
    ActionPermission,
    Pagination,
    is_customer_account,
)

from . import profile, selectors, services, tracking
from .api_privacy import CustomerPrivacyActions
from .consent import (
    STAFF_SOURCE_CHOICES,
    consent_customer_choose,
    consent_decide,
    consent_request_meta,
)
from .models import ConsentPurpose, ConsentSource, Customer, CustomerEvent, Segment
from .segments import segment_condition
from .serializers import (
    ConsentInSerializer,
    ConsentStateSerializer,
    CustomerCreateInSerializer,
    CustomerDetailSerializer,
    CustomerEmailInSerializer,
    CustomerEventSerializer,
    CustomerImportInSerializer,
    CustomerImportOutSerializer,
    CustomerProfileInSerializer,
    CustomerSerializer,
    StaffEventInSerializer,
)

OWN_CONSENT_SOURCE = "api-me"


class LegacyConsentInSerializer(ConsentInSerializer):
    """The body of the deprecated POST /customers/{id}/consent/ (see customers.api_consent for the
    endpoints that replace it): the channel and the choice, and optionally where it was made."""

    source = serializers.ChoiceField(choices=STAFF_SOURCE_CHOICES, required=False, default=ConsentSource.API,
                                     help_text=gettext_lazy("Where the customer told you: staff, pos, import or api "
                                                           "(default api)."))
    source_detail = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


def legacy_consent_detail(user) -> str:
    """What the ledger says about a legacy staff consent change that came with no detail: who called."""
    return f"{user.get_username()} (deprecated POST /customers/<id>/consent/)"[:200]


@extend_schema_field(OpenApiTypes.INT)
class SegmentFilter(django_filters.ModelChoiceFilter):
    """A segment by id (the schema says integer: the filter reads a ``Segment``)."""


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Name, furigana, email or phone")
    email = django_filters.CharFilter(field_name="email", lookup_expr="iexact")
    segment = SegmentFilter(
        queryset=Segment.objects.all(), method="filter_segment",
        label="Members of this segment (id): its rules or static list, in the same query "
              "(needs customers.view_segment)")

    class Meta:
        model = Customer
        fields = ["q", "email", "segment"]

    def filter_q(self, queryset, name, value):
        return queryset.search(value)

    def filter_segment(self, queryset, name, value):
        if not self.request.user.has_perm("customers.view_segment"):
            raise PermissionDenied(_("You may not read segments."))
        return queryset.filter(segment_condition(value))


@extend_schema(tags=["customers"])
@extend_schema_view(
    list=extend_schema(summary="Search customers", responses={200: CustomerSerializer(many=True), 403: ERROR_403}),
    retrieve=extend_schema(summary="One customer with consent state",
                           responses={200: CustomerDetailSerializer, 403: ERROR_403, 404: ERROR_404}),
)
class CustomerViewSet(CustomerPrivacyActions, viewsets.ReadOnlyModelViewSet):
    filterset_class = CustomerFilter
    pagination_class = Pagination
    permission_classes = [ActionPermission]
    action_permissions = {
        "list": "customers.view_customer",
        "retrieve": "customers.view_customer",
        "partial_update": "customers.change_customer",
        "consent": "customers.change_customer",
        "email": "customers.change_customer",
        "create": "customers.add_customer",
        "destroy": "customers.delete_customer",
        "import_rows": "customers.view_customer",  # and an administrator: checked in import_rows()
        "export": "customers.handle_privacy_requests",
        "erase": "customers.handle_privacy_requests",
    }

    def get_queryset(self):
        return Customer.objects.select_related("favourite_location").order_by("family_name_kana", "id")

    def get_serializer_class(self):
        return CustomerSerializer if self.action == "list" else CustomerDetailSerializer

    @extend_schema(
        summary="Correct a customer's profile (only the fields sent change)",
        description="The same rules as the console's profile form: furigana become katakana, the postal code "
                    "123-4567, the phone must be a Japanese number (full-width digits are fine). The email (the "
                    "login) is not changed here. `addresses`, when sent, replaces the whole address book. Every "
                    "field is checked before anything is stored: a 400 names each bad field "
                    "(`addresses.1.postal_code`) and nothing changes.",
        request=CustomerProfileInSerializer,
        examples=[OpenApiExample("Preferences and an address", request_only=True, value={
            "phone": "０９０-１２３４-５６７８", "birthday": "1990-04-01", "preferred_channel": "line",
            "sizes": {"tops": "M", "shoes": "24.5"}, "interests": ["linen", "tea"],
            "addresses": [{"label": "自宅", "name": "山田 花子", "postal_code": "1500001", "prefecture": "東京都",
                           "city": "渋谷区", "line1": "神宮前1-2-3", "line2": "ハイツ101"}]}),
                  OpenApiExample("Bad postal code", response_only=True, status_codes=["400"], value={
                      "code": "invalid", "detail": "The request has invalid fields.",
                      "errors": {"addresses.0.postal_code": ["Enter a postal code as 123-4567."]}})],
        responses={200: CustomerDetailSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404},
    )
    def partial_update(self, request, pk=None):
        customer = self.get_object()
        incoming = CustomerProfileInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        profile.customer_profile_save(customer=customer, acting_user=request.user, **incoming.validated_data)
        customer.refresh_from_db()
        return Response(CustomerDetailSerializer(customer, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Create a customer record (staff)",
        description="The profile rules of PATCH, and an optional email no other customer has (stored in lower "
                    "case). The same service as the Django admin's add form: customer_create.",
        request=CustomerCreateInSerializer,
        responses={201: CustomerDetailSerializer, 400: ERROR_400, 403: ERROR_403},
    )
    def create(self, request):
        incoming = CustomerCreateInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        customer = profile.customer_create_with_addresses(acting_user=request.user, **incoming.validated_data)
        return Response(CustomerDetailSerializer(customer, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Import customers from another system (administrators)",
        description="Customers with their original \"customer since\" time, profile and consent ledger (the "
                    "rules of POST /customers/). All or nothing: one bad row refuses the whole request, with "
                    "every bad row's errors under rows.<index>.<field>. No accounts are made and no domain "
                    "events are published. At most 1000 rows per request.",
        request=CustomerImportInSerializer,
        responses={201: CustomerImportOutSerializer, 400: ERROR_400, 403: ERROR_403},
    )
    @action(detail=False, methods=["post"], url_path="import")
    def import_rows(self, request):
        if not roles.is_administrator(request.user):
            raise PermissionDenied(_("Only an administrator can import data."))
        incoming = CustomerImportInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        rows = [services.CustomerImportIn(
            **{**row, "email": row["email"] or None,
               "consents": [services.ConsentImportIn(**consent) for consent in row["consents"]]})
            for row in incoming.validated_data["rows"]]
        created = services.customers_import(rows=rows, source=incoming.validated_data["source"],
                                            acting_user=request.user)
        return Response({"created": len(created), "customers": [
            {"row": index, "id": customer.pk, "email": customer.email} for index, customer in enumerate(created)]},
            status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a customer's email address",
        description="Also the login of a customer with an account (the two stay equal). Refused when another "
                    "customer or account has it, or when emptied for a customer with an account.",
        request=CustomerEmailInSerializer,
        responses={200: CustomerDetailSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404},
    )
    @action(detail=True, methods=["post"])
    def email(self, request, pk=None):
        customer = self.get_object()
        incoming = CustomerEmailInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        services.customer_email_change(customer=customer, email=incoming.validated_data["email"],
                                       acting_user=request.user)
        return Response(CustomerDetailSerializer(customer, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Delete a customer record entered by mistake",
        description="Refused (409 customer_not_deletable) for a customer with orders or an account. The consent "
                    "ledger and the timeline go with it.",
        responses={204: None, 403: ERROR_403, 404: ERROR_404, 409: ERROR_409},
    )
    def destroy(self, request, pk=None):
        services.customer_delete(customer=self.get_object(), acting_user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Record a marketing opt-in or opt-out the customer gave staff (deprecated)",
        description="Deprecated: use POST /customers/{id}/consents/grant/ and /consents/withdraw/, which take a "
                    "purpose and require the source. This older door records the same ledger row through the same "
                    "service (purpose marketing, no double opt-in for staff): `source` is where the customer told "
                    "you (staff, pos, import or api; `api` when left out) and `source_detail` says more (when left "
                    "out: the staff user who called). An unknown source is a 400 naming it; nothing is stored.",
        request=LegacyConsentInSerializer,
        examples=[OpenApiExample("Opt-in told at the counter", request_only=True, value={
            "channel": "sms", "granted": True, "source": "staff", "source_detail": "渋谷店カウンターで口頭"})],
        responses={200: CustomerDetailSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404},
        deprecated=True,
    )
    @action(detail=True, methods=["post"])
    def consent(self, request, pk=None):
        customer = self.get_object()
        incoming = LegacyConsentInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        consent_decide(customer=customer, channel=data["channel"], purpose=ConsentPurpose.MARKETING,
                       granted=data["granted"], source=data["source"],
                       source_detail=data["source_detail"] or legacy_consent_detail(request.user),
                       acting_user=request.user, **consent_request_meta(request))
        return Response(CustomerDetailSerializer(customer, context=self.get_serializer_context()).data)


CUSTOMER_ID_PARAMETER = OpenApiParameter("customer_id", OpenApiTypes.INT, OpenApiParameter.PATH,
                                         description="The customer's id.")


@extend_schema(tags=["customers"], parameters=[CUSTOMER_ID_PARAMETER])
@extend_schema_view(
    list=extend_schema(summary="The customer's timeline: every touchpoint, newest first",
                       parameters=[
                           OpenApiParameter("channel", OpenApiTypes.STR, description=(
                               "Only one channel: online, store, email, sms, phone, chat, social, marketplace.")),
                           OpenApiParameter("kind", OpenApiTypes.STR, description="Only one kind, e.g. page_viewed."),
                       ],
                       responses={200: CustomerEventSerializer(many=True), 403: ERROR_403, 404: ERROR_404}),
)
class CustomerEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The customer's event stream (append-only). Staff add store visits and notes like in the console."""

    serializer_class = CustomerEventSerializer
    pagination_class = Pagination
    filter_backends = []  # always the whole stream, newest first
    permission_classes = [ActionPermission]
    action_permissions = {"list": "customers.view_customer", "create": "customers.view_customer"}

    def get_customer(self) -> Customer:
        return get_object_or_404(Customer, pk=self.kwargs["customer_id"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return CustomerEvent.objects.none()
        return tracking.customer_events_filtered(customer=self.get_customer(),
                                                 channel=self.request.query_params.get("channel", ""),
                                                 kind=self.request.query_params.get("kind", ""))

    def list(self, request, *args, **kwargs):
        page = selectors.events_labelled(self.paginate_queryset(self.filter_queryset(self.get_queryset())))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="Note a store visit or a staff interaction on the customer's timeline",
        request=StaffEventInSerializer,
        responses={201: CustomerEventSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404},
    )
    def create(self, request, *args, **kwargs):
        customer = self.get_customer()
        incoming = StaffEventInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        event = services.staff_event_record(customer=customer, kind=incoming.validated_data["kind"],
                                            interaction=incoming.validated_data["interaction"],
                                            note=incoming.validated_data["note"], acting_user=request.user)
        event = selectors.events_labelled([selectors.customer_events(customer=customer).get(pk=event.pk)])[0]
        return Response(CustomerEventSerializer(event).data, status=status.HTTP_201_CREATED)


class MyConsentView(APIView):
    """A customer account's own marketing consent: read it, and opt in or out per channel."""

    permission_classes = [ActionPermission]
    action_permissions = {"get": None, "post": None}

    def _customer(self, request) -> Customer:
        if not is_customer_account(request.user):
            raise PermissionDenied(_("Only a customer account has its own consent."))
        return request.user.customer

    @extend_schema(summary="My marketing consent per channel", tags=["me"],
                   responses={200: ConsentStateSerializer, 403: ERROR_403})
    def get(self, request):
        return Response(selectors.consent_state(customer=self._customer(request)))

    @extend_schema(summary="Opt in or out of a marketing channel (source \"api-me\")", tags=["me"],
                   description="Email opt-ins are confirmed by a link we email first (double opt-in); see "
                               "/me/consents/ for every channel and purpose.",
                   request=ConsentInSerializer,
                   responses={200: ConsentStateSerializer, 400: ERROR_400, 403: ERROR_403})
    def post(self, request):
        customer = self._customer(request)
        incoming = ConsentInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        channel, granted = incoming.validated_data["channel"], incoming.validated_data["granted"]
        # email marketing is confirmed by the link we email first (customers.consent)
        consent_customer_choose(customer=customer, channel=channel, purpose=ConsentPurpose.MARKETING, granted=granted,
                                source=ConsentSource.API, source_detail=OWN_CONSENT_SOURCE, acting_user=request.user,
                                **consent_request_meta(request))
        return Response(selectors.consent_state(customer=customer))
