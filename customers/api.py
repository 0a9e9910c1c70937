"""REST endpoints of the customers domain (staff only; a customer's own data is at /me/)."""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from omnishop.api import ERROR_403, ERROR_404, ActionPermission, Pagination

from .models import Customer
from .serializers import CustomerDetailSerializer, CustomerSerializer


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Name, furigana, email or phone")
    email = django_filters.CharFilter(field_name="email", lookup_expr="iexact")

    class Meta:
        model = Customer
        fields = ["q", "email"]

    def filter_q(self, queryset, name, value):
        return queryset.search(value)


@extend_schema(tags=["customers"])
@extend_schema_view(
    list=extend_schema(summary="Search customers", responses={200: CustomerSerializer(many=True), 403: ERROR_403}),
    retrieve=extend_schema(summary="One customer with consent state",
                           responses={200: CustomerDetailSerializer, 403: ERROR_403, 404: ERROR_404}),
)
class CustomerViewSet(viewsets.ReadOnlyModelViewSet):
    filterset_class = CustomerFilter
    pagination_class = Pagination
    permission_classes = [ActionPermission]
    action_permissions = {"list": "customers.view_customer", "retrieve": "customers.view_customer"}

    def get_queryset(self):
        return Customer.objects.select_related("favourite_location").order_by("family_name_kana", "id")

    def get_serializer_class(self):
        return CustomerDetailSerializer if self.action == "retrieve" else CustomerSerializer
